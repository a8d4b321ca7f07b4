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
    /// CHANGE REVIEW NEEDED: a break-glass change waits for its retroactive review (the
    /// "incident id" is the change request's id).
    ChangeReview,
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

/// Checks that a notifier's URL (a secret) is `https://`, or `http://` to a loopback host
/// (`127.0.0.0/8`, `::1`, `localhost`: a local relay or a test server), without user
/// information. Errors name `what`, never the URL.
pub(crate) fn check_https(url: &str, what: &str) -> crate::Result<()> {
    let bad = |why: &str| Err(crate::AlertsError::InvalidInput(format!("{what} {why}")));
    let Ok(u) = reqwest::Url::parse(url) else {
        return bad("is not a URL");
    };
    if !u.username().is_empty() || u.password().is_some() {
        return bad("must not carry a user name or password");
    }
    let Some(host) = u.host_str().filter(|h| !h.is_empty()) else {
        return bad("has no host");
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match u.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => bad("must be https:// (http:// is accepted for loopback hosts only)"),
        _ => bad("is not an http(s) URL"),
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
