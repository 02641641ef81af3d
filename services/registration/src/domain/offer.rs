//! An offer from an organisation (often a Champion country's ministry) to co-sponsor an exchange.

use serde::Deserialize;

use super::registration::loose_string;
use super::{BoundedText, CountryCode, Email, FieldErrors};

/// The kinds of support an organisation can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportKind {
    Funding,
    Hosting,
    Expertise,
    Speakers,
    Interpretation,
    Other,
}

impl SupportKind {
    pub const ALL: [SupportKind; 6] = [
        Self::Funding,
        Self::Hosting,
        Self::Expertise,
        Self::Speakers,
        Self::Interpretation,
        Self::Other,
    ];

    /// # Errors
    /// When the value is not one of the kinds.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                "Choose one of funding, hosting, expertise, speakers, interpretation, other."
                    .to_owned()
            })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Funding => "funding",
            Self::Hosting => "hosting",
            Self::Expertise => "expertise",
            Self::Speakers => "speakers",
            Self::Interpretation => "interpretation",
            Self::Other => "other",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Funding => "Funding",
            Self::Hosting => "Hosting or venue",
            Self::Expertise => "Expertise and content",
            Self::Speakers => "Speakers",
            Self::Interpretation => "Interpretation or translation",
            Self::Other => "Other support",
        }
    }
}

/// The raw fields of an offer, as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CosponsorOfferInput {
    #[serde(deserialize_with = "loose_string")]
    pub organisation: String,
    #[serde(deserialize_with = "loose_string")]
    pub country: String,
    #[serde(deserialize_with = "loose_string")]
    pub contact_name: String,
    #[serde(deserialize_with = "loose_string")]
    pub contact_email: String,
    #[serde(deserialize_with = "loose_string")]
    pub support_kind: String,
    #[serde(deserialize_with = "loose_string")]
    pub message: String,
    #[serde(deserialize_with = "loose_string")]
    pub website: String,
}

/// An offer that passed validation.
#[derive(Debug, Clone)]
pub struct NewCosponsorOffer {
    pub organisation: BoundedText,
    pub country: CountryCode,
    pub contact_name: BoundedText,
    pub contact_email: Email,
    pub support_kind: SupportKind,
    pub message: BoundedText,
}

impl TryFrom<&CosponsorOfferInput> for NewCosponsorOffer {
    type Error = FieldErrors;

    fn try_from(input: &CosponsorOfferInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let organisation = errors.check(
            "organisation",
            BoundedText::parse(&input.organisation, 1, 200, false),
        );
        let country = errors.check("country", CountryCode::parse(&input.country));
        let contact_name = errors.check(
            "contact_name",
            BoundedText::parse(&input.contact_name, 1, 200, false),
        );
        let contact_email = errors.check("contact_email", Email::parse(&input.contact_email));
        let support_kind = errors.check("support_kind", SupportKind::parse(&input.support_kind));
        let message = errors.check("message", BoundedText::parse(&input.message, 0, 5000, true));
        match (
            organisation,
            country,
            contact_name,
            contact_email,
            support_kind,
            message,
        ) {
            (
                Some(organisation),
                Some(country),
                Some(contact_name),
                Some(contact_email),
                Some(support_kind),
                Some(message),
            ) => Ok(Self {
                organisation,
                country,
                contact_name,
                contact_email,
                support_kind,
                message,
            }),
            _ => Err(errors),
        }
    }
}
