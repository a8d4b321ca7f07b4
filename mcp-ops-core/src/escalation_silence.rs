//! What a silence may say: rules that refuse a silence which can never match an alert, or
//! would hide alerts for an unbounded time (Prometheus and Alertmanager naming rules).

use std::time::Duration;

use crate::error::{Error, Result};
use crate::escalation::{Matcher, SilenceRequest};
use crate::types::text::{LINE_MAX, check_line};

/// The longest silence accepted: a week. A longer one hides alerts that should page; make
/// a new one when the work really takes longer.
pub const SILENCE_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// Whether `name` is a Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` can be an alert's name: Prometheus refuses alerting rules whose name is not
/// a metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), so a silence for any other name never matches.
pub fn is_alert_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Checks one matcher: a label name; for `alertname=`, an alert name; a value of one line.
///
/// # Errors
/// [`Error::InvalidInput`] naming the matcher.
pub fn check_matcher(m: &Matcher) -> Result<()> {
    if !is_label_name(&m.name) {
        return Err(Error::invalid(
            "matcher name",
            "must be a label name ([a-zA-Z_][a-zA-Z0-9_]*)",
        ));
    }
    if m.value.chars().count() > LINE_MAX || m.value.chars().any(char::is_control) {
        return Err(Error::invalid(
            "matcher value",
            format!("must be one line of at most {LINE_MAX} characters"),
        ));
    }
    if m.name == "alertname" && !m.is_regex && m.is_equal && !is_alert_name(&m.value) {
        return Err(Error::invalid(
            "alert name",
            "can never match: Prometheus alert names are [a-zA-Z_:][a-zA-Z0-9_:]* (see `ops triage` or Alertmanager for the firing ones)",
        ));
    }
    Ok(())
}

/// Checks a whole request: matchers (at least one, each valid, one of them not matching the
/// empty string, as Alertmanager requires), an end after the start and at most
/// [`SILENCE_MAX`] later, a creator and a comment of one visible line each.
///
/// # Errors
/// [`Error::InvalidInput`] naming the field.
pub fn check_silence(request: &SilenceRequest) -> Result<()> {
    if request.matchers.is_empty() {
        return Err(Error::invalid(
            "matchers",
            "a silence needs at least one matcher",
        ));
    }
    for m in &request.matchers {
        check_matcher(m)?;
    }
    let selective = request.matchers.iter().any(|m| {
        (m.is_equal && !m.value.is_empty() && !(m.is_regex && m.value == ".*"))
            || (!m.is_equal && !m.is_regex && m.value.is_empty())
    });
    if !selective {
        return Err(Error::invalid(
            "matchers",
            "every matcher matches the empty string, so the silence would mute every alert",
        ));
    }
    if request.ends_at <= request.starts_at {
        return Err(Error::invalid("ends_at", "must be after starts_at"));
    }
    let longest = request
        .starts_at
        .checked_add(SILENCE_MAX)
        .map_err(|e| Error::invalid("starts_at", e.to_string()))?;
    if request.ends_at > longest {
        return Err(Error::invalid(
            "duration",
            "a silence lasts at most 7 days (a longer one hides alerts that should page)",
        ));
    }
    check_line("created_by", &request.created_by, LINE_MAX)?;
    check_line("comment", &request.comment, LINE_MAX)?;
    Ok(())
}
