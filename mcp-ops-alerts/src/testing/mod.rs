//! Test harness (feature `testing`): ephemeral Prometheus and Alertmanager servers from the
//! Debian packages `prometheus` and `prometheus-alertmanager`, an OpenMetrics generator for
//! the runbook's series, and an in-memory SMTP sink.
//!
//! Missing binaries are an error naming the install command
//! ([`process::INSTALL_HINT`]); tests never skip silently.

pub mod alertmanager;
pub mod process;
pub mod prometheus;
pub mod series;
pub mod smtp_sink;

pub use alertmanager::TestAlertmanager;
pub use prometheus::TestPrometheus;
pub use series::SeriesSet;
pub use smtp_sink::{ReceivedMail, SmtpSink};
