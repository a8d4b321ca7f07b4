//! Bearer tokens of `ops mcp --listen`: a private file of `<handle> sha256:<hex>` lines. Only
//! digests are kept, so the file never holds a usable token; a token is printed once, when
//! `--new-token` makes it.

use std::io::{Read as _, Write as _};
use std::path::Path;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// Why the tokens file cannot be used. Never quotes a token or a digest.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file cannot be read or written.
    #[error("tokens file {path}: {why}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
    /// A line is not `<handle> sha256:<64 hex>`.
    #[error("tokens file {path}, line {line}: expected `<handle> sha256:<64 hex digits>`")]
    Malformed {
        /// The file.
        path: String,
        /// The line number.
        line: usize,
    },
    /// The handle is not a handle of the platform's team.
    #[error("{0}: not a handle of the platform's team ([[team]] in the platform file)")]
    UnknownHandle(String),
    /// A line's handle is not a person of the platform's team (removed from `[[team]]`, or
    /// never in it): the file is refused rather than let that token in.
    #[error(
        "tokens file {path}, line {line}: {handle:?} is not a person of the platform's team ([[team]] in the platform file); remove the line"
    )]
    NotInTeam {
        /// The file.
        path: String,
        /// The line number.
        line: usize,
        /// The handle of the line.
        handle: String,
    },
}

/// The tokens: handles and the SHA-256 digests of their tokens.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    entries: Vec<(String, [u8; 32])>,
}

/// Files larger than this are refused (a tokens file holds a line per person).
const MAX_BYTES: u64 = 1 << 20;

impl Tokens {
    /// Reads the file; it must not be readable by group or others, and every line's handle
    /// must be a person of the team (`is_person`).
    ///
    /// # Errors
    /// [`TokenError`] naming the file and the line.
    pub fn load(path: &Path, is_person: &dyn Fn(&str) -> bool) -> Result<Self, TokenError> {
        let shown = path.display().to_string();
        let file_error = |why: String| TokenError::File {
            path: shown.clone(),
            why,
        };
        let file = std::fs::File::open(path).map_err(|e| file_error(e.kind().to_string()))?;
        let meta = file
            .metadata()
            .map_err(|e| file_error(e.kind().to_string()))?;
        if !meta.is_file() {
            return Err(file_error("not a regular file".to_owned()));
        }
        {
            use std::os::unix::fs::PermissionsExt as _;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(file_error(
                    "readable by others: chmod 600 it (it names who may act)".to_owned(),
                ));
            }
        }
        let mut text = String::new();
        file.take(MAX_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| file_error(e.kind().to_string()))?;
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = || TokenError::Malformed {
                path: shown.clone(),
                line: i + 1,
            };
            let mut parts = line.split_whitespace();
            let (Some(handle), Some(digest), None) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(malformed());
            };
            let hex_digest = digest.strip_prefix("sha256:").ok_or_else(malformed)?;
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(hex_digest, &mut bytes).map_err(|_| malformed())?;
            if !crate::change_setup::is_handle(handle) {
                return Err(malformed());
            }
            if !is_person(handle) {
                return Err(TokenError::NotInTeam {
                    path: shown.clone(),
                    line: i + 1,
                    handle: handle.to_owned(),
                });
            }
            entries.push((handle.to_owned(), bytes));
        }
        Ok(Self { entries })
    }

    /// The handle whose token `token` is, if any (constant time per entry).
    pub fn verify(&self, token: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (handle, known) in &self.entries {
            if bool::from(known.ct_eq(&digest)) && found.is_none() {
                found = Some(handle.as_str());
            }
        }
        found
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Makes a token for `handle`, appends its digest to `path` (created 0600) and returns it.
/// The file's existing lines must load (`is_person`: who is in the team).
///
/// # Errors
/// [`TokenError`] when the file cannot be written or randomness is unavailable.
pub fn new_token(
    path: &Path,
    handle: &str,
    is_person: &dyn Fn(&str) -> bool,
) -> Result<String, TokenError> {
    let shown = path.display().to_string();
    let file_error = |why: String| TokenError::File {
        path: shown.clone(),
        why,
    };
    if path.exists() {
        // Refuse to add to a file that would not load.
        Tokens::load(path, is_person)?;
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| file_error(format!("no randomness: {e}")))?;
    let token = format!("mcpops_{}", hex::encode(raw));
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    let mut file = mcp_ops_core::private_file::open_private_append(path)
        .map_err(|e| file_error(e.kind().to_string()))?;
    file.write_all(format!("{handle} sha256:{digest}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| file_error(e.kind().to_string()))?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn anyone(_: &str) -> bool {
        true
    }

    #[test]
    fn a_new_token_verifies_as_its_handle_and_only_its_digest_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        let alice = new_token(&path, "alice", &anyone).unwrap();
        let bob = new_token(&path, "bob", &anyone).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&alice) && !text.contains(&bob), "{text}");
        let tokens = Tokens::load(&path, &anyone).unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens.verify(&alice), Some("alice"));
        assert_eq!(tokens.verify(&bob), Some("bob"));
        assert_eq!(tokens.verify("mcpops_guess"), None);
        assert_eq!(tokens.verify(""), None);
    }

    #[test]
    fn a_file_readable_by_others_or_malformed_is_refused_without_quoting_it() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "alice sha256:zz-not-hex secret-looking\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Tokens::load(&path, &anyone).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = Tokens::load(&path, &anyone).unwrap_err().to_string();
        assert!(e.contains("line 1") && !e.contains("secret-looking"), "{e}");
        assert!(
            new_token(&path, "bob", &anyone).is_err(),
            "appending to a bad file"
        );
    }

    #[test]
    fn a_line_of_someone_outside_the_team_refuses_the_file_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        new_token(&path, "alice", &anyone).unwrap();
        new_token(&path, "mallory", &anyone).unwrap();
        let digest = std::fs::read_to_string(&path).unwrap();
        let digest = digest.lines().nth(1).unwrap().split(':').nth(1).unwrap();
        let team = |h: &str| h == "alice";
        let e = Tokens::load(&path, &team).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("mallory"), "{e}");
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(!e.contains(digest) && !e.contains('\n'), "{e}");
        assert!(
            new_token(&path, "alice", &team).is_err(),
            "appending to a bad file"
        );
    }
}
