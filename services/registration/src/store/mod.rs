//! Where the registration service keeps its data: one module per table, plain SQL beside
//! the function that runs it. Functions take a connection or transaction so that callers
//! decide what is written together (a state change and its outbox message, always).

pub mod activity;
pub mod attendance;
pub mod console;
pub mod digests;
pub mod events;
pub mod follow_up;
pub mod invitations;
pub mod join_links;
pub mod offers;
pub mod personal_data;
pub mod registrations;
pub mod seats;
pub mod survey;
