//! Prometheus: a typed query client and the runbook's queries.

pub mod client;
pub mod queries;
pub mod types;

pub use client::{PrometheusClient, Range};
pub use queries::{PodMemory, Reading};
pub use types::{Labels, Point, QueryResult, Sample, Series};
