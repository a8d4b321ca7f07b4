//! The Escalator engine: incidents, escalation by elapsed time, notifications through a
//! persistent outbox, contacts, and Alertmanager silences.

mod alerting;
pub mod contacts;
mod contacts_check;
mod delivery;
pub mod engine;
mod file;
#[cfg(feature = "postgres")]
pub mod postgres;
mod report;
pub mod store;
mod tick;

pub use contacts::{Contacts, Person, Rotation, Team};
pub use engine::EscalationEngine;
pub use file::{FILE_FORMAT_VERSION, FileEscalationStore};
#[cfg(feature = "postgres")]
pub use postgres::{BUSY_SERVER_PATIENCE, PgEscalationStore};
pub use report::{ChannelDelivery, MessageDelivery};
pub use store::{Change, DeliveryStatus, EscalationStore, InMemoryStore, OutboxEntry};
