//! Where the notification service keeps its data: recipients, invitees, organisers' reminder notes
//! and the log of emails sent.

pub mod invitees;
pub mod notes;
pub mod recipients;
pub mod sealing;
pub mod sent;
