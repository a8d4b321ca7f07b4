//! Alertmanager v2 label matchers (`isRegex`, `isEqual`) and their filter syntax.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{AlertsError, Result};

/// One label matcher of a silence or an alert filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Value or regular expression.
    pub value: String,
    /// Whether `value` is a regular expression.
    pub is_regex: bool,
    /// `true` for `=`/`=~`, `false` for `!=`/`!~`.
    #[serde(default = "default_true")]
    pub is_equal: bool,
}

fn default_true() -> bool {
    true
}

impl Matcher {
    /// `name="value"`.
    #[must_use]
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, value, false, true)
    }

    /// `name!="value"`.
    #[must_use]
    pub fn not_equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, value, false, false)
    }

    /// `name=~"regex"`.
    #[must_use]
    pub fn regex(name: impl Into<String>, regex: impl Into<String>) -> Self {
        Self::new(name, regex, true, true)
    }

    /// `name!~"regex"`.
    #[must_use]
    pub fn not_regex(name: impl Into<String>, regex: impl Into<String>) -> Self {
        Self::new(name, regex, true, false)
    }

    fn new(
        name: impl Into<String>,
        value: impl Into<String>,
        is_regex: bool,
        is_equal: bool,
    ) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            is_regex,
            is_equal,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let ok_name = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !self.name.starts_with(|c: char| c.is_ascii_digit());
        if !ok_name {
            return Err(AlertsError::InvalidInput(format!(
                "matcher label name {:?} is not a valid label name",
                self.name
            )));
        }
        Ok(())
    }
}

/// The filter syntax Alertmanager accepts in `filter=`: `name="v"`, `name=~"re"`, …
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match (self.is_equal, self.is_regex) {
            (true, false) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (false, true) => "!~",
        };
        write!(f, "{}{op}\"", self.name)?;
        for c in self.value.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_render_as_filters() {
        assert_eq!(
            Matcher::equal("alertname", "HighErrorRate").to_string(),
            r#"alertname="HighErrorRate""#
        );
        assert_eq!(Matcher::not_equal("a", "b").to_string(), r#"a!="b""#);
        assert_eq!(Matcher::regex("a", "x|y").to_string(), r#"a=~"x|y""#);
        assert_eq!(
            Matcher::not_regex("a", r#"q"z"#).to_string(),
            r#"a!~"q\"z""#
        );
    }
}
