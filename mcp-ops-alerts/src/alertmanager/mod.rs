//! Alertmanager API v2: alerts, silences and maintenance windows.

pub mod client;
pub mod maintenance;
pub mod matcher;
pub mod types;

pub use client::AlertmanagerClient;
pub use maintenance::{MaintenanceWindow, silence_alert};
pub use types::{
    Alert, AlertFilter, AlertState, AlertStatus, Matcher, NewAlert, NewSilence, Silence,
    SilenceState,
};
