//! What capacity a participant comes in; organisers count officials by it.

/// The roles a participant can register with (the values the form and API take).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    GovernmentOfficial,
    UnEntity,
    CivilSociety,
    Other,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::GovernmentOfficial,
        Role::UnEntity,
        Role::CivilSociety,
        Role::Other,
    ];

    /// # Errors
    /// When the value is not one of the four roles.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "government_official" => Ok(Self::GovernmentOfficial),
            "un_entity" => Ok(Self::UnEntity),
            "civil_society" => Ok(Self::CivilSociety),
            "other" => Ok(Self::Other),
            "" => Err("Choose the capacity you come in.".to_owned()),
            _ => Err(
                "Choose one of government_official, un_entity, civil_society, other.".to_owned(),
            ),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::GovernmentOfficial => "government_official",
            Self::UnEntity => "un_entity",
            Self::CivilSociety => "civil_society",
            Self::Other => "other",
        }
    }

    /// The label in a language.
    pub fn label_in(&self, lang: convene_shared::i18n::Lang) -> &'static str {
        use convene_shared::i18n::Msg;
        match self {
            Self::GovernmentOfficial => Msg::RoleGovernmentOfficial,
            Self::UnEntity => Msg::RoleUnEntity,
            Self::CivilSociety => Msg::RoleCivilSociety,
            Self::Other => Msg::RoleOther,
        }
        .text(lang)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::GovernmentOfficial => "Government official",
            Self::UnEntity => "UN entity",
            Self::CivilSociety => "Civil society",
            Self::Other => "Other",
        }
    }
}
