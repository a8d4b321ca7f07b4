//! Checks for the free text people put into incidents and notifications: titles, impacts,
//! updates, resolutions, names.
//!
//! A text is refused when it is empty once whitespace and invisible characters are removed
//! (a title of only zero-width spaces looks empty in every channel), when it carries bidi
//! controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C: they reorder what a reader
//! sees, so `evil<U+202E>txt.exe` reads as `evilexe.txt`), control characters (a line may carry
//! none; a text may carry line feeds and tabs), or more characters than its bound.

use crate::error::{Error, Result};

/// The most characters of a one-line value (titles, names, impacts).
pub const LINE_MAX: usize = 512;

/// The most characters of a free text (incident updates, resolutions, notes, evidence):
/// about a page, and within one Slack section and one PagerDuty summary's details.
pub const TEXT_MAX: usize = 4096;

/// Whether `c` reorders the text around it (Unicode bidi embedding, override, isolate and
/// mark characters).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Whether `c` shows nothing (zero-width spaces and joiners, word joiner, invisible
/// operators, byte-order mark, soft hyphen, Mongolian vowel separator, Hangul fillers).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{180E}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
    )
}

fn check(field: &'static str, value: &str, max: usize, multiline: bool) -> Result<()> {
    if value
        .chars()
        .all(|c| c.is_whitespace() || is_invisible(c) || c.is_control())
    {
        return Err(Error::invalid(
            field,
            "must not be empty (or only spaces and invisible characters)",
        ));
    }
    let n = value.chars().count();
    if n > max {
        return Err(Error::invalid(
            field,
            format!("is {n} characters; at most {max} are accepted"),
        ));
    }
    if let Some(c) = value.chars().find(|c| is_bidi_control(*c)) {
        return Err(Error::invalid(
            field,
            format!(
                "must not contain the bidirectional control U+{:04X} (it reorders what readers see)",
                u32::from(c)
            ),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t' | '\r')))
    {
        return Err(Error::invalid(
            field,
            format!(
                "must not contain the control character U+{:04X}",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// Checks a one-line value of at most `max` characters (see the module's rules).
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` and the reason, never quoting the value.
pub fn check_line(field: &'static str, value: &str, max: usize) -> Result<()> {
    check(field, value, max, false)
}

/// Checks a free text of at most `max` characters; line feeds and tabs are allowed.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` and the reason, never quoting the value.
pub fn check_text(field: &'static str, value: &str, max: usize) -> Result<()> {
    check(field, value, max, true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn refuses_what_readers_cannot_see_or_would_misread() {
        for bad in [
            "",
            "   ",
            "\u{200B}\u{200B}",
            "\u{FEFF}\u{2060} \u{200D}",
            "API \u{202E}nwod",
            "API\u{2066}down",
            "API\u{7}down",
            "API\ndown",
        ] {
            assert!(check_line("title", bad, LINE_MAX).is_err(), "{bad:?}");
        }
        assert!(check_line("title", &"x".repeat(513), LINE_MAX).is_err());
        assert!(check_text("actions", &"x".repeat(100_000), TEXT_MAX).is_err());
        assert!(check_text("actions", "a\u{0}b", TEXT_MAX).is_err());
        for good in [
            "API down",
            "Hohe Fehlerrate – API",
            "数据库连接池耗尽",
            "👩‍💻 on it",
        ] {
            check_line("title", good, LINE_MAX).unwrap();
        }
        check_text("actions", "1. restarted pods\n2.\tscaled", TEXT_MAX).unwrap();
    }

    #[test]
    fn errors_name_the_field_and_never_quote_the_value() {
        let e = check_line("title", "secret\u{202E}xyz", LINE_MAX).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("title") && text.contains("U+202E"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }
}
