//! Alerts and silences of [`MockAlerting`]: matcher filtering, and silences that start and
//! expire by the mock's clock.

use jiff::Timestamp;

use super::{AlertingState, MockAlerting};
use crate::error::{Error, Result};
use crate::escalation::{Alert, AlertFilter, AlertState, Silence, SilenceRequest};
use crate::types::Intent;

/// Whether `silence` mutes alerts at `now`.
fn active(silence: &Silence, now: Timestamp) -> bool {
    !silence.expired && silence.request.starts_at <= now && now < silence.request.ends_at
}

/// A silence as seen at `now`: expired once its end has passed.
fn as_of(silence: &Silence, now: Timestamp) -> Silence {
    let mut s = silence.clone();
    s.expired = s.expired || s.request.ends_at <= now;
    s
}

fn suppressed(s: &AlertingState, alert: &Alert, now: Timestamp) -> bool {
    s.silences.iter().any(|sil| {
        active(sil, now)
            && sil
                .request
                .matchers
                .iter()
                .all(|m| m.matches(&alert.labels))
    })
}

impl MockAlerting {
    pub(crate) fn list_alerts(&self, filter: &AlertFilter) -> Vec<Alert> {
        let now = self.now();
        let s = self.lock();
        s.alerts
            .iter()
            .filter(|a| filter.matchers.iter().all(|m| m.matches(&a.labels)))
            .filter_map(|a| {
                let muted = suppressed(&s, a, now);
                if muted && !filter.include_silenced {
                    return None;
                }
                let mut a = a.clone();
                a.state = if muted {
                    AlertState::Suppressed
                } else {
                    AlertState::Active
                };
                Some(a)
            })
            .collect()
    }

    pub(crate) fn create_silence(
        &self,
        request: &SilenceRequest,
        intent: &Intent,
    ) -> Result<Silence> {
        request.validate()?;
        let mut s = self.lock();
        let silence = Silence {
            id: format!("silence-{:04}", s.next_silence),
            request: request.clone(),
            expired: false,
        };
        if !intent.is_dry_run() {
            s.next_silence += 1;
            s.silences.push(silence.clone());
        }
        Ok(silence)
    }

    pub(crate) fn list_silences(&self) -> Vec<Silence> {
        let now = self.now();
        self.lock()
            .silences
            .iter()
            .rev()
            .map(|sil| as_of(sil, now))
            .collect()
    }

    pub(crate) fn expire(&self, id: &str, intent: &Intent) -> Result<()> {
        let now = self.now();
        let mut s = self.lock();
        let sil = s
            .silences
            .iter_mut()
            .find(|sil| sil.id == id)
            .ok_or_else(|| Error::not_found("silence", id))?;
        if !intent.is_dry_run() {
            sil.expired = true;
            if sil.request.starts_at < now && now < sil.request.ends_at {
                sil.request.ends_at = now;
            }
        }
        Ok(())
    }
}
