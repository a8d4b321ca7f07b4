//! [`PlatformError`]: what is wrong with a platform file, naming the key (and the file and
//! line when the TOML parser knows them).

use std::fmt;
use std::path::PathBuf;

use crate::error::Error;

/// A platform file that cannot be used: the key path (`deployments[1].containers[0].name`),
/// the file and line when known, and the reason. The reason never quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlatformError {
    /// The file, when the platform was loaded from one.
    pub file: Option<PathBuf>,
    /// The 1-based line (and column) the TOML parser pointed at, when it did.
    pub line: Option<(usize, usize)>,
    /// The key path, e.g. `deployments[1].containers[0].name`; empty when the parser could
    /// not tell (a syntax error).
    pub key: String,
    /// Why, in words a user can act on.
    pub reason: String,
}

impl PlatformError {
    /// An error at `key` for `reason`.
    pub fn at(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: None,
            line: None,
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// The same error, said to be in `file`.
    #[must_use]
    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
            if let Some((line, column)) = self.line {
                write!(f, "{line}:{column}:")?;
            }
            f.write_str(" ")?;
        } else if let Some((line, column)) = self.line {
            write!(f, "line {line}, column {column}: ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.reason)
    }
}

impl From<PlatformError> for Error {
    /// [`Error::InvalidInput`] for the field `platform`, the reason being the whole message
    /// (file, line, key path and why).
    fn from(e: PlatformError) -> Self {
        Error::invalid("platform", e.to_string())
    }
}

/// A result whose error is a [`PlatformError`].
pub type PlatformResult<T> = std::result::Result<T, PlatformError>;

/// The key path of element `i` of the list `key`: `deployments[1]`.
pub(crate) fn item(key: &str, i: usize) -> String {
    format!("{key}[{i}]")
}

/// The key path of `child` under `key`: `deployments[1].name`.
pub(crate) fn field(key: &str, child: &str) -> String {
    if key.is_empty() {
        child.to_owned()
    } else {
        format!("{key}.{child}")
    }
}

/// A [`PlatformError`] at `key` from a core validation error (its reason only: the core's
/// field name is replaced by the key path).
pub(crate) fn from_core(key: &str, e: Error) -> PlatformError {
    match e {
        Error::InvalidInput { reason, .. } => PlatformError::at(key, reason),
        other => PlatformError::at(key, other.to_string()),
    }
}
