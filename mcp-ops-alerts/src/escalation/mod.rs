//! The Escalator engine: incidents, escalation by elapsed time, notifications through a
//! persistent outbox, contacts, and Alertmanager silences.

mod alerting;
pub mod contacts;
mod delivery;
pub mod engine;
mod file;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod store;

pub use contacts::{Contacts, Person, Rotation, Team};
pub use engine::EscalationEngine;
pub use file::{FILE_FORMAT_VERSION, FileEscalationStore};
#[cfg(feature = "postgres")]
pub use postgres::PgEscalationStore;
pub use store::{DeliveryStatus, EscalationStore, InMemoryStore, OutboxEntry};
