//! Where a secret comes from: an environment variable or a file, never the platform file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{PlatformError, PlatformResult, field};
use crate::error::{Error, Result};
use crate::types::SecretValue;
use crate::url_check::url_problem;

/// A secret given by reference: `{ env = "DATABASE_URL" }` or `{ file = "/run/secrets/x" }`.
/// A platform file holding the secret itself is refused on load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretRef {
    /// The value of this environment variable.
    Env(String),
    /// The content of this file (trailing whitespace trimmed).
    File(PathBuf),
}

impl SecretRef {
    /// The secret's value: `None` when the variable is not set or empty (not configured).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the file cannot be read (its path and the kind of
    /// failure, never its content).
    pub fn resolve(&self) -> Result<Option<SecretValue>> {
        match self {
            SecretRef::Env(name) => Ok(std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(SecretValue::from_str_value)),
            SecretRef::File(path) => read_file(path).map(Some),
        }
    }

    /// `env DATABASE_URL` or `file /run/secrets/x`, for banners and reports.
    pub fn describe(&self) -> String {
        match self {
            SecretRef::Env(name) => format!("env {name}"),
            SecretRef::File(path) => format!("file {}", path.display()),
        }
    }

    /// The TOML table `{ env = "…" }` / `{ file = "…" }`.
    pub(crate) fn to_value(&self) -> toml::Value {
        let mut t = toml::Table::new();
        match self {
            SecretRef::Env(n) => t.insert("env".into(), toml::Value::String(n.clone())),
            SecretRef::File(p) => t.insert(
                "file".into(),
                toml::Value::String(p.to_string_lossy().into_owned()),
            ),
        };
        toml::Value::Table(t)
    }

    /// Reads a secret reference at `key` from the TOML value `v`. A string is refused as an
    /// inline secret (the value is not repeated).
    pub(crate) fn parse(key: &str, v: &toml::Value) -> PlatformResult<Self> {
        let t = match v {
            toml::Value::String(_) => {
                return Err(PlatformError::at(
                    key,
                    "inline secrets are refused: give { env = \"VARIABLE\" } or \
                     { file = \"/run/secrets/name\" }",
                ));
            }
            toml::Value::Table(t) => t,
            _ => {
                return Err(PlatformError::at(
                    key,
                    "must be { env = \"VARIABLE\" } or { file = \"/path\" }",
                ));
            }
        };
        if let Some(unknown) = t.keys().find(|k| *k != "env" && *k != "file") {
            return Err(PlatformError::at(
                field(key, unknown),
                "unknown key: a secret is { env = \"VARIABLE\" } or { file = \"/path\" }",
            ));
        }
        match (t.get("env"), t.get("file")) {
            (Some(toml::Value::String(name)), None) => {
                check_env_name(&field(key, "env"), name)?;
                Ok(SecretRef::Env(name.clone()))
            }
            (None, Some(toml::Value::String(path))) => {
                if path.trim().is_empty() || path.chars().any(char::is_control) {
                    return Err(PlatformError::at(
                        field(key, "file"),
                        "must be a path without control characters",
                    ));
                }
                Ok(SecretRef::File(PathBuf::from(path)))
            }
            (Some(_), None) => Err(PlatformError::at(field(key, "env"), "must be a string")),
            (None, Some(_)) => Err(PlatformError::at(field(key, "file"), "must be a string")),
            (Some(_), Some(_)) => Err(PlatformError::at(key, "give env or file, not both")),
            (None, None) => Err(PlatformError::at(
                key,
                "must be { env = \"VARIABLE\" } or { file = \"/path\" }",
            )),
        }
    }
}

/// A URL that may be written in the file when it holds no credentials (Prometheus,
/// Alertmanager), or given by reference like a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlSource {
    /// The URL itself (checked: http or https, a host, no user or password).
    Url(String),
    /// By reference.
    Secret(SecretRef),
}

impl UrlSource {
    /// The URL: `None` when a referenced variable is not set.
    ///
    /// # Errors
    /// As [`SecretRef::resolve`], and [`Error::InvalidInput`] when the referenced value is
    /// not valid UTF-8.
    pub fn resolve(&self) -> Result<Option<String>> {
        match self {
            UrlSource::Url(u) => Ok(Some(u.clone())),
            UrlSource::Secret(s) => s
                .resolve()?
                .map(|v| v.expose_str().map(str::to_owned))
                .transpose(),
        }
    }

    pub(crate) fn to_value(&self) -> toml::Value {
        match self {
            UrlSource::Url(u) => toml::Value::String(u.clone()),
            UrlSource::Secret(s) => s.to_value(),
        }
    }

    /// Reads `key`: a string is a URL (refused when it carries a user or password), a table
    /// a reference.
    pub(crate) fn parse(key: &str, v: &toml::Value) -> PlatformResult<Self> {
        match v {
            toml::Value::String(u) => {
                if let Some(why) = url_problem(u, &["http", "https"]) {
                    return Err(PlatformError::at(key, why));
                }
                if has_userinfo(u) {
                    return Err(PlatformError::at(
                        key,
                        "holds a user or password: inline secrets are refused, give \
                         { env = \"VARIABLE\" } or { file = \"/path\" }",
                    ));
                }
                Ok(UrlSource::Url(u.clone()))
            }
            other => SecretRef::parse(key, other).map(UrlSource::Secret),
        }
    }
}

/// Whether the authority of `url` has a `user@` or `user:password@` part.
pub(crate) fn has_userinfo(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..end].contains('@')
}

/// An environment variable name: ASCII letters, digits and `_`, not starting with a digit.
fn check_env_name(key: &str, name: &str) -> PlatformResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 256
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PlatformError::at(
            key,
            "must be an environment variable name (letters, digits and '_', not starting with \
             a digit)",
        ))
    }
}

fn read_file(path: &Path) -> Result<SecretValue> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::invalid(
            "platform secret file",
            format!("{}: {}", path.display(), e.kind()),
        )
    })?;
    Ok(SecretValue::from_str_value(text.trim_end()))
}
