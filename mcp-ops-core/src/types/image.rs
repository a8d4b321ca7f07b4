//! [`ImageRef`]: a container image reference `[registry[:port]/]path[:tag][@digest]`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const FIELD: &str = "image";
/// Longest name (registry and path, without tag and digest).
const NAME_MAX: usize = 255;
/// Longest tag.
const TAG_MAX: usize = 128;

/// A validated OCI image reference, e.g. `ghcr.io/your-org/mcp-typescript-server:v1.0.1`.
///
/// The first `/`-separated component is the registry when it contains `.` or `:` or is
/// `localhost`; the rest is the repository path of lowercase components. `Display` gives back
/// the reference in its canonical text, which parses to an equal value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageRef {
    registry: Option<String>,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageRef {
    /// Parses and validates a reference; the error says which part is wrong.
    pub fn parse(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::invalid(FIELD, "must not be empty"));
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(
                FIELD,
                format!("{s:?} contains {c:?}; whitespace and control characters are not allowed"),
            ));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((rest, digest)) => {
                check_digest(digest)?;
                (rest, Some(digest.to_owned()))
            }
            None => (s, None),
        };
        let last_slash = rest.rfind('/');
        let (name, tag) = match rest.rfind(':') {
            Some(colon) if last_slash.is_none_or(|sl| colon > sl) => {
                let tag = &rest[colon + 1..];
                check_tag(tag)?;
                (&rest[..colon], Some(tag.to_owned()))
            }
            _ => (rest, None),
        };
        if name.is_empty() {
            return Err(Error::invalid(
                FIELD,
                format!("{s:?} has no repository name before the tag or digest"),
            ));
        }
        if name.len() > NAME_MAX {
            return Err(Error::invalid(
                FIELD,
                format!(
                    "name is {} characters long; at most {NAME_MAX} are allowed",
                    name.len()
                ),
            ));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
                check_registry(first)?;
                (Some(first.to_owned()), path)
            }
            _ => (None, name),
        };
        check_path(repository)?;
        Ok(Self {
            registry,
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }

    /// The registry host (with port), when the reference names one.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The repository path without registry, tag or digest (`your-org/mcp-typescript-server`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, when there is one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`sha256:…`), when there is one.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// Registry and repository, without tag and digest (`ghcr.io/your-org/server`).
    pub fn name(&self) -> String {
        match &self.registry {
            Some(r) => format!("{r}/{}", self.repository),
            None => self.repository.clone(),
        }
    }

    /// The same image name with `tag` instead of the current tag. The digest is dropped: it
    /// pins the old content and would contradict the new tag.
    pub fn with_tag(&self, tag: impl AsRef<str>) -> Result<ImageRef> {
        let tag = tag.as_ref();
        check_tag(tag)?;
        Ok(Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: Some(tag.to_owned()),
            digest: None,
        })
    }

    /// Whether the reference pins content by digest.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }
}

fn check_tag(tag: &str) -> Result<()> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = tag.chars();
    match chars.next() {
        None => return Err(Error::invalid(FIELD, "tag after ':' is empty")),
        Some(c) if !word(c) => {
            return Err(Error::invalid(
                FIELD,
                format!("tag {tag:?} must start with a letter, digit or '_'"),
            ));
        }
        Some(_) => {}
    }
    if let Some(c) = chars.find(|&c| !(word(c) || c == '.' || c == '-')) {
        return Err(Error::invalid(
            FIELD,
            format!(
                "tag {tag:?} contains {c:?}; only letters, digits, '_', '.' and '-' are allowed"
            ),
        ));
    }
    if tag.len() > TAG_MAX {
        return Err(Error::invalid(
            FIELD,
            format!(
                "tag is {} characters long; at most {TAG_MAX} are allowed",
                tag.len()
            ),
        ));
    }
    Ok(())
}

fn check_digest(digest: &str) -> Result<()> {
    let Some((algo, hex)) = digest.split_once(':') else {
        return Err(Error::invalid(
            FIELD,
            format!("digest {digest:?} is not of the form algorithm:hex"),
        ));
    };
    let algo_ok = !algo.is_empty()
        && algo.split(['+', '.', '_', '-']).all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !algo_ok {
        return Err(Error::invalid(
            FIELD,
            format!("digest algorithm {algo:?} is not a lowercase name like sha256"),
        ));
    }
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        || hex.is_empty()
    {
        return Err(Error::invalid(
            FIELD,
            format!("digest of {algo} must be lowercase hexadecimal"),
        ));
    }
    let expected = match algo {
        "sha256" => Some(64),
        "sha512" => Some(128),
        _ => None,
    };
    match expected {
        Some(n) if hex.len() != n => Err(Error::invalid(
            FIELD,
            format!(
                "{algo} digest has {} hex digits; exactly {n} are required",
                hex.len()
            ),
        )),
        None if hex.len() < 32 => Err(Error::invalid(
            FIELD,
            format!(
                "{algo} digest has {} hex digits; at least 32 are required",
                hex.len()
            ),
        )),
        _ => Ok(()),
    }
}

fn check_registry(reg: &str) -> Result<()> {
    let (host, port) = match reg.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (reg, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !host_ok {
        return Err(Error::invalid(
            FIELD,
            format!("registry host {host:?} is not a valid host name"),
        ));
    }
    if let Some(p) = port {
        let valid = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
        if !valid || p.parse::<u32>().ok().is_none_or(|n| n == 0 || n > 65535) {
            return Err(Error::invalid(
                FIELD,
                format!("registry port {p:?} is not a number in 1..=65535"),
            ));
        }
    }
    Ok(())
}

fn check_path(path: &str) -> Result<()> {
    for comp in path.split('/') {
        check_component(comp)?;
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn check_component(comp: &str) -> Result<()> {
    if comp.is_empty() {
        return Err(Error::invalid(
            FIELD,
            "repository path has an empty component (leading, trailing or double '/')",
        ));
    }
    if let Some(c) = comp
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        let hint = if c.is_ascii_uppercase() {
            "the repository must be lowercase"
        } else {
            "only lowercase letters, digits, '.', '_' and '-' are allowed"
        };
        return Err(Error::invalid(
            FIELD,
            format!("repository component {comp:?} contains {c:?}: {hint}"),
        ));
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = comp.as_bytes();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(Error::invalid(
            FIELD,
            format!("repository component {comp:?} must start and end with a letter or digit"),
        ));
    }
    for sep in comp
        .split(|c: char| c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
    {
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
            return Err(Error::invalid(
                FIELD,
                format!(
                    "repository component {comp:?} has separator {sep:?}; use '.', '_', '__' or dashes"
                ),
            ));
        }
    }
    Ok(())
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.registry {
            write!(f, "{r}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl FromStr for ImageRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ImageRef {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<ImageRef> for String {
    fn from(i: ImageRef) -> String {
        i.to_string()
    }
}

#[cfg(test)]
#[path = "image_tests.rs"]
mod tests;
