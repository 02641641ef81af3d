//! Typed values that more than one service checks: an email address, a bounded piece of
//! text. Each parses raw input once and can only exist valid; the registration service
//! builds them from forms and JSON, the notification service re-checks addresses it is
//! handed in messages before sending anything.

mod email;
mod text;

pub use email::Email;
pub use text::BoundedText;
