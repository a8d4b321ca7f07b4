//! The channel-neutral message the notifiers send.

/// Which template a notice follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoticeKind {
    /// INCIDENT DETECTED.
    Detected,
    /// INCIDENT UPDATE.
    Update,
    /// Escalation to a new level.
    Escalation,
    /// INCIDENT ACKNOWLEDGED: someone owns it, escalation stopped (PagerDuty: `acknowledge`).
    Acknowledged,
    /// INCIDENT RESOLVED.
    Resolved,
}

/// A rendered incident message ready for any channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The template.
    pub kind: NoticeKind,
    /// The incident id (PagerDuty derives its dedup key from it).
    pub incident_id: String,
    /// `P0` … `P3`.
    pub severity: String,
    /// One-line subject.
    pub subject: String,
    /// The body in the runbook's template (plain text, several lines).
    pub body: String,
    /// The escalation level for [`NoticeKind::Escalation`].
    pub level: Option<u8>,
    /// Who should receive it (escalation targets, mentions).
    pub recipients: Vec<String>,
}

impl Notice {
    /// A notice without level or recipients.
    #[must_use]
    pub fn new(
        kind: NoticeKind,
        incident_id: impl Into<String>,
        severity: impl Into<String>,
        subject: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            incident_id: incident_id.into(),
            severity: severity.into(),
            subject: subject.into(),
            body: body.into(),
            level: None,
            recipients: Vec::new(),
        }
    }
}

/// A channel's receipt for a sent notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `slack`, `pagerduty` or `email`.
    pub channel: &'static str,
    /// An id the channel gave back (PagerDuty dedup key, SMTP response), if any.
    pub reference: Option<String>,
}

/// Reads a secret as text; constructors check that it is UTF-8, so this never loses data.
pub(crate) fn secret_str(s: &mcp_ops_core::SecretValue) -> &str {
    s.expose_str().unwrap_or("")
}

/// Checks that a secret is non-empty UTF-8 without ever showing it.
pub(crate) fn check_secret(s: &mcp_ops_core::SecretValue, what: &str) -> crate::Result<()> {
    match s.expose_str() {
        Ok(t) if !t.trim().is_empty() => Ok(()),
        _ => Err(crate::AlertsError::InvalidInput(format!(
            "{what} is empty or not UTF-8"
        ))),
    }
}

/// Cuts `s` to at most `max` characters, ending with `…` when cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcdé", 3), "ab…");
        assert_eq!(truncate_chars("ééééé", 4).chars().count(), 4);
    }
}
