//! Typed domain values: each parses raw input once, at the edge, and can only exist valid.
//!
//! The HTML form and the JSON API build the same values here, so a rule is written once.
//! Parsing collects every problem into [`FieldErrors`] so a person sees them all at once.

mod attendance;
mod console_path;
mod country;
mod country_names;
mod errors;
mod event;
mod invitation;
mod offer;
pub mod participant_report;
mod registration;
mod role;
mod slug;

pub use attendance::Attendance;
pub use console_path::ConsolePath;
pub use convene_shared::values::{BoundedText, Email};
pub use country::CountryCode;
pub use errors::FieldErrors;
pub use event::{MeetingUrl, NewEvent, ReminderNote, DEFAULT_REMINDER_OFFSETS};
pub use invitation::{parse_invitees, parse_pasted, NewInvitation, MAX_INVITEES};
pub use offer::{CosponsorOfferInput, NewCosponsorOffer, SupportKind};
pub use registration::{NewRegistration, RegistrationInput, CONSENT_TEXT, CONSENT_VERSION};
pub use role::Role;
pub use slug::Slug;
