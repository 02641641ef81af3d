//! Where the notification service keeps its data: recipients and the log of emails sent.

pub mod recipients;
pub mod sent;
