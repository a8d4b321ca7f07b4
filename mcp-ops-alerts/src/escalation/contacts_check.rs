//! What a contacts file may hold: names of one visible line, phone numbers and email
//! addresses that can be dialled or mailed, Slack channels, a shift length that makes sense.
//! Checked when the file is read, so a bad entry is refused before anyone is paged with it.

use mcp_ops_core::types::text::{LINE_MAX, check_line};
use mcp_ops_core::{Error, Result};

use super::contacts::{Contacts, Person};

/// The longest on-call shift accepted: 31 days.
const SHIFT_MAX_SECS: u64 = 31 * 24 * 3600;

/// `+1-555-0001`, `+44 20 7946 0000`, `(555) 0100`: an optional `+`, then 4 to 20 digits with
/// spaces, dashes, dots or parentheses between them.
fn is_phone(p: &str) -> bool {
    let rest = p.strip_prefix('+').unwrap_or(p);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    (4..=20).contains(&digits)
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

/// `local@domain.tld`: one `@`, a non-empty local part, a dotted domain, no spaces or controls.
fn is_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && e.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.chars().all(|c| c.is_ascii_graphic())
}

fn person(p: &Person) -> Result<()> {
    check_line("contact name", &p.name, LINE_MAX)?;
    if let Some(phone) = &p.phone
        && !is_phone(phone)
    {
        return Err(Error::invalid(
            "contact phone",
            format!("{}: not a phone number (+1-555-0001)", p.name),
        ));
    }
    if let Some(email) = &p.email
        && !is_email(email)
    {
        return Err(Error::invalid(
            "contact email",
            format!("{}: not an email address", p.name),
        ));
    }
    Ok(())
}

impl Contacts {
    /// Checks every entry (see the module's rules).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the entry.
    pub fn validate(&self) -> Result<()> {
        for p in self.on_call.people.iter().chain(self.people.values()) {
            person(p)?;
        }
        if let Some(secs) = self.on_call.period_secs
            && !(1..=SHIFT_MAX_SECS).contains(&secs)
        {
            return Err(Error::invalid(
                "on-call period",
                "must be between 1 second and 31 days",
            ));
        }
        for (name, team) in &self.teams {
            check_line("team name", name, LINE_MAX)?;
            if let Some(email) = &team.email
                && !is_email(email)
            {
                return Err(Error::invalid(
                    "team email",
                    format!("{name}: not an email address"),
                ));
            }
            if let Some(channel) = &team.channel {
                let ok = channel.strip_prefix('#').is_some_and(|c| {
                    (1..=80).contains(&c.len())
                        && c.chars().all(|c| {
                            c.is_ascii_lowercase()
                                || c.is_ascii_digit()
                                || matches!(c, '-' | '_' | '.')
                        })
                });
                if !ok {
                    return Err(Error::invalid(
                        "team channel",
                        format!("{name}: a Slack channel is # and 1-80 of a-z 0-9 - _ ."),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn refuses_entries_nobody_can_reach() {
        let base = r##"{"on_call":{"people":[{"name":"A","phone":"+1-555-0001"}]},
            "teams":{"db":{"channel":"#db","email":"db@company.com"}}}"##;
        Contacts::from_json(base).unwrap();
        for bad in [
            base.replace("+1-555-0001", "call me"),
            base.replace("+1-555-0001", "+1"),
            base.replace("db@company.com", "db at company"),
            base.replace("db@company.com", "db@@company.com"),
            base.replace("#db", "db"),
            base.replace("#db", "#DB ROOM"),
            base.replace("\"A\"", "\"\\u200b\""),
            base.replace("\"A\"", "\"A\\u202eB\""),
            base.replace("]}", "],\"period_secs\":0}"),
        ] {
            assert!(Contacts::from_json(&bad).is_err(), "{bad}");
        }
    }
}
