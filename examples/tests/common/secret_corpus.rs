//! What the secret property test looks for: a corpus of secrets (made up here or read from the
//! servers), each searched raw, percent-encoded and base64-encoded in everything `ops` printed
//! or wrote.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::fmt;
use std::hash::{BuildHasher as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;

/// Random hex, different in every call and every process.
pub fn token() -> String {
    let mut a = std::collections::hash_map::RandomState::new().build_hasher();
    a.write_u64(1);
    let mut b = std::collections::hash_map::RandomState::new().build_hasher();
    b.write_u64(2);
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

/// `url` with `user:password@` inserted after its scheme.
pub fn with_userinfo(url: &str, user: &str, password: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{user}:{password}@{rest}"),
        None => panic!("not a URL: {url}"),
    }
}

/// The secrets of one test and the forms each may take.
#[derive(Default)]
pub struct Corpus {
    secrets: Vec<(String, Vec<String>)>,
}

impl Corpus {
    /// A new secret named after `what` (`Leak<what>…`), remembered.
    pub fn secret(&mut self, what: &str) -> String {
        let value = format!("Leak{what}{}", token());
        self.add(&value);
        value
    }

    /// Remembers a secret that exists already (a Secret's value, a client key).
    pub fn add(&mut self, value: &str) {
        assert!(value.len() >= 8, "too short to search for: {value:?}");
        if self.secrets.iter().any(|(v, _)| v == value) {
            return;
        }
        let mut forms = vec![value.to_owned(), percent(value)];
        forms.push(base64::engine::general_purpose::STANDARD.encode(value));
        forms.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value));
        forms.sort();
        forms.dedup();
        self.secrets.push((value.to_owned(), forms));
    }

    /// One line per secret found in `text` (which form, where, around what).
    pub fn leaks_in(&self, place: &str, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (secret, forms) in &self.secrets {
            for form in forms {
                if let Some(at) = text.find(form.as_str()) {
                    let start = text[..at]
                        .char_indices()
                        .rev()
                        .nth(40)
                        .map_or(0, |(i, _)| i);
                    let context: String = text[start..].chars().take(120).collect();
                    found.push(format!(
                        "{place}: {} (as {}) in …{context:?}",
                        label(secret),
                        if form == secret { "is" } else { "encoded" }
                    ));
                }
            }
        }
        found
    }
}

/// How a secret is named in a failure message: its first characters only.
fn label(secret: &str) -> String {
    let head: String = secret.chars().take(10).collect();
    format!("{head}…")
}

fn percent(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One run of `ops`.
pub struct Outcome {
    /// Its arguments.
    pub args: Vec<String>,
    /// Its exit code (`None` when a signal ended it).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Outcome {
    /// The outcome of `ops args…`.
    pub fn of(args: &[&str], output: Output) -> Self {
        Self {
            args: args.iter().map(ToString::to_string).collect(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Both streams.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// `ops <args> (exit N)`, with any secret in the arguments cut short.
    pub fn label(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| {
                if a.contains("Leak") {
                    label(a)
                } else {
                    a.clone()
                }
            })
            .collect();
        format!("ops {} (exit {:?})", args.join(" "), self.code)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\nstdout: {}\nstderr: {}",
            self.label(),
            self.stdout,
            self.stderr
        )
    }
}

/// Every string value starting with `prefix` (ids: `INC-…`, `config-…`) in a JSON document
/// of `ops --output json`, sorted, once each.
pub fn strings_starting(json: &str, prefix: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let mut ids = Vec::new();
    collect(&doc, prefix, &mut ids);
    ids.sort();
    ids.dedup();
    ids
}

fn collect(value: &serde_json::Value, prefix: &str, ids: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if s.starts_with(prefix) && !s.contains(' ') => {
            ids.push(s.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, prefix, ids)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect(v, prefix, ids)),
        _ => {}
    }
}

/// Every regular file under `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(path),
                Ok(t) if t.is_file() => files.push(path),
                _ => {}
            }
        }
    }
    files.sort();
    files
}
