//! The alert and silence half of the Escalator: Alertmanager API v2 behind core's types.

use std::collections::BTreeSet;

use mcp_ops_core::escalation::{Alert, AlertFilter, AlertState, Matcher, Silence, SilenceRequest};
use mcp_ops_core::{Error, Intent, Result};

use super::engine::EscalationEngine;
use crate::alertmanager::{self as am, AlertmanagerClient};

fn to_am(m: &Matcher) -> am::Matcher {
    am::Matcher {
        name: m.name.clone(),
        value: m.value.clone(),
        is_regex: m.is_regex,
        is_equal: m.is_equal,
    }
}

fn from_am(m: &am::Matcher) -> Matcher {
    Matcher {
        name: m.name.clone(),
        value: m.value.clone(),
        is_regex: m.is_regex,
        is_equal: m.is_equal,
    }
}

fn to_silence(s: am::Silence) -> Silence {
    Silence {
        id: s.id,
        expired: s.status.state == am::SilenceState::Expired,
        request: SilenceRequest {
            matchers: s.matchers.iter().map(from_am).collect(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            created_by: s.created_by,
            comment: s.comment,
        },
    }
}

impl EscalationEngine {
    fn am(&self, operation: &'static str) -> Result<&AlertmanagerClient> {
        self.alertmanager.as_ref().ok_or(Error::Unsupported {
            operation,
            backend: "mcp-ops-alerts without alertmanager",
        })
    }

    pub(crate) async fn am_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        let client = self.am("alerts")?;
        let f = am::AlertFilter {
            silenced: Some(filter.include_silenced),
            matchers: filter.matchers.iter().map(to_am).collect(),
            ..am::AlertFilter::default()
        };
        let alerts = client.alerts(&f).await?;
        Ok(alerts
            .into_iter()
            .map(|a| Alert {
                state: match a.status.state {
                    am::AlertState::Active => AlertState::Active,
                    am::AlertState::Suppressed => AlertState::Suppressed,
                    am::AlertState::Unprocessed => AlertState::Unprocessed,
                },
                labels: a.labels,
                annotations: a.annotations,
                starts_at: a.starts_at,
            })
            .collect())
    }

    pub(crate) async fn am_silence(
        &self,
        request: &SilenceRequest,
        intent: &Intent,
    ) -> Result<Silence> {
        request.validate()?;
        let client = self.am("silence")?;
        if intent.is_dry_run() {
            return Ok(Silence {
                id: "dry-run".into(),
                request: request.clone(),
                expired: false,
            });
        }
        let new = am::NewSilence {
            matchers: request.matchers.iter().map(to_am).collect(),
            starts_at: request.starts_at,
            ends_at: request.ends_at,
            created_by: request.created_by.clone(),
            comment: request.comment.clone(),
        };
        let id = client.create_silence(&new).await?;
        Ok(to_silence(client.silence(&id).await?))
    }

    pub(crate) async fn am_silences(&self) -> Result<Vec<Silence>> {
        let client = self.am("silences")?;
        let mut all = client.silences(&[]).await?;
        all.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        let mut seen = BTreeSet::new();
        Ok(all
            .into_iter()
            .filter(|s| seen.insert(s.id.clone()))
            .map(to_silence)
            .collect())
    }

    pub(crate) async fn am_expire(&self, id: &str, intent: &Intent) -> Result<()> {
        let client = self.am("expire silence")?;
        if intent.is_dry_run() {
            client.silence(id).await?;
            return Ok(());
        }
        Ok(client.expire_silence(id).await?)
    }
}
