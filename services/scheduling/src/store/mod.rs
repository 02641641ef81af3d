//! Where the scheduling service keeps its copy of exchanges and registrations, and the
//! reminders it has decided to send.

pub mod events;
pub mod registrations;
pub mod reminders;
