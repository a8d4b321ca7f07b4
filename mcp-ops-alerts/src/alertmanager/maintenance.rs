//! The runbook's maintenance silence: mute one alert by name for a window.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::client::AlertmanagerClient;
use super::types::{Matcher, NewSilence};
use crate::error::{AlertsError, Result};

/// A maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// Start.
    pub starts_at: Timestamp,
    /// Length.
    pub duration: Duration,
    /// Who asked for it (`createdBy`).
    pub created_by: String,
    /// Why (`comment`).
    pub comment: String,
}

impl MaintenanceWindow {
    /// The silence muting `alertname` during this window (the runbook's `HighErrorRate` example).
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] for an empty or out-of-range window.
    pub fn silence_for(&self, alertname: &str) -> Result<NewSilence> {
        if self.duration.is_zero() {
            return Err(AlertsError::InvalidInput(
                "maintenance window is empty".into(),
            ));
        }
        let len = SignedDuration::try_from(self.duration)
            .map_err(|e| AlertsError::InvalidInput(format!("window length: {e}")))?;
        let ends_at = self
            .starts_at
            .checked_add(len)
            .map_err(|e| AlertsError::InvalidInput(format!("window end: {e}")))?;
        Ok(NewSilence {
            matchers: vec![Matcher::equal("alertname", alertname)],
            starts_at: self.starts_at,
            ends_at,
            created_by: self.created_by.clone(),
            comment: self.comment.clone(),
        })
    }
}

/// Silences `alertname` for the window; returns the silence id.
///
/// # Errors
/// Those of [`MaintenanceWindow::silence_for`] and [`AlertmanagerClient::create_silence`].
pub async fn silence_alert(
    client: &AlertmanagerClient,
    alertname: &str,
    window: &MaintenanceWindow,
) -> Result<String> {
    let s = window.silence_for(alertname)?;
    client.create_silence(&s).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn runbook_example_window() {
        let w = MaintenanceWindow {
            starts_at: "2025-01-08T02:00:00Z".parse().unwrap(),
            duration: Duration::from_secs(7200),
            created_by: "ops-team".into(),
            comment: "Maintenance window".into(),
        };
        let s = w.silence_for("HighErrorRate").unwrap();
        assert_eq!(s.ends_at.to_string(), "2025-01-08T04:00:00Z");
        assert_eq!(
            s.matchers,
            vec![Matcher::equal("alertname", "HighErrorRate")]
        );
    }
}
