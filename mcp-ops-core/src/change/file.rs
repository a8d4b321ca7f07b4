//! [`ChangeStore`] in one JSON file, so that one `ops` process can request a change and
//! another approve it, apply it or show it.
//!
//! See [`FileChangeStore`] for the file layout, locking and atomicity rules.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{ChangeId, ChangeRequest, ChangeStore};
use crate::private_file::{self, PrivateFileError, sibling};
use crate::{Error, Result};

const BACKEND: &str = "change-file";

/// The layout version this build reads and writes (the file's `"version"` field).
const CHANGE_FILE_VERSION: u64 = 1;

/// What the file holds: `{"version": 1, "sequences": {"2026": 3}, "changes": [...]}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeFile {
    version: u64,
    /// The last number handed out per year.
    sequences: BTreeMap<i16, u32>,
    changes: Vec<ChangeRequest>,
}

impl ChangeFile {
    fn empty() -> Self {
        Self {
            version: CHANGE_FILE_VERSION,
            sequences: BTreeMap::new(),
            changes: Vec::new(),
        }
    }

    /// The next number of `year`: one past both the recorded sequence and the highest
    /// number present (a hand-edited file may have one without the other).
    fn next_number(&self, year: i16) -> Result<u32> {
        let recorded = self.sequences.get(&year).copied().unwrap_or(0);
        let present = self
            .changes
            .iter()
            .filter(|c| c.id.year() == year)
            .map(|c| c.id.number())
            .max()
            .unwrap_or(0);
        recorded
            .max(present)
            .checked_add(1)
            .ok_or_else(|| Error::backend(BACKEND, format!("numbers of {year} exhausted"), false))
    }

    fn position(&self, id: &ChangeId) -> Option<usize> {
        self.changes.iter().position(|c| &c.id == id)
    }
}

/// Change requests in one JSON file.
///
/// - Every CR lives in one file with a `"version": 1` field and the last number handed out
///   per year; a missing file is an empty store.
/// - Every change ([`ChangeStore::create`], [`ChangeStore::modify`]) holds an exclusive
///   advisory lock on the sidecar file `<path>.lock` for its whole read-modify-write, so
///   concurrent processes get distinct ids and lose no approval. Reads take a shared lock when
///   the lock file can be opened and otherwise read without it (a read-only state directory
///   still lists changes). The lock is `flock(2)` on Unix (`std::fs::File::lock`): advisory,
///   per open file (two store values in one process exclude each other too), and not reliable
///   on network file systems.
/// - Writes go to `<path>.tmp-<pid>`, are flushed to disk and renamed over the file, then
///   the directory is flushed, so a reader sees the old file or the new one, never a part.
///   The file and the lock file are mode `0600`, a directory created for them `0700` (Unix).
/// - Nothing (directory, lock file, data file) is created by a read, by a change of a CR that
///   does not exist, or by a create whose `make` refuses its input.
/// - A file that still parses is accepted even when edited by hand: telling an edited CR is
///   the policy's job (the approvals carry the CR's digest). A file that does not parse, or
///   has another version, is an [`Error::InvalidInput`] naming the path and is never
///   overwritten. Error messages name the path and a position, never the file's contents
///   (a description may be sensitive).
///
/// The file I/O runs synchronously inside the async methods (the files are small and no
/// `.await` happens while the lock is held, so tasks cannot deadlock on it; a contended lock
/// blocks the calling thread for the few milliseconds the holder needs).
#[derive(Clone)]
pub struct FileChangeStore {
    path: PathBuf,
    lock_path: PathBuf,
}

impl std::fmt::Debug for FileChangeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileChangeStore")
            .field("path", &self.path)
            .finish()
    }
}

/// A failed file step (`<path>: <what>: <io error>`) as this store's backend error.
fn io_failure(e: PrivateFileError) -> Error {
    Error::backend(BACKEND, e.to_string(), false)
}

/// A file this build cannot use, named with the reason, never with its contents.
fn unusable(path: &Path, why: &str) -> Error {
    Error::invalid(
        "change file",
        format!(
            "{}: not an mcp-ops change file ({why}); it was left untouched",
            path.display()
        ),
    )
}

/// Decodes the file. serde's own messages may quote the file's contents, so the errors carry
/// positions, field names of the layout and the index of a CR only.
fn decode(path: &Path, bytes: &[u8]) -> Result<ChangeFile> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "invalid JSON",
        };
        unusable(
            path,
            &format!("{what} at line {} column {}", e.line(), e.column()),
        )
    })?;
    let version = value
        .get("version")
        .ok_or_else(|| unusable(path, "no \"version\" field"))?
        .as_u64()
        .ok_or_else(|| unusable(path, "\"version\" is not a number"))?;
    if version != CHANGE_FILE_VERSION {
        return Err(Error::invalid(
            "change file",
            format!(
                "{}: change file version {version} is not supported (this build reads version \
                 {CHANGE_FILE_VERSION}); it was left untouched",
                path.display()
            ),
        ));
    }
    // Each CR on its own, so that the error can say which one does not decode.
    let changes = match value.get_mut("changes").map(serde_json::Value::take) {
        Some(serde_json::Value::Array(items)) => items,
        Some(_) => return Err(unusable(path, "\"changes\" is not a list")),
        None => return Err(unusable(path, "no \"changes\" field")),
    };
    let changes = changes
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value::<ChangeRequest>(item)
                .map_err(|_| unusable(path, &format!("changes[{i}] is not a valid change request")))
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(object) = value.as_object_mut() {
        object.insert("changes".into(), serde_json::Value::Array(Vec::new()));
    }
    let mut file: ChangeFile = serde_json::from_value(value).map_err(|_| {
        unusable(
            path,
            &format!("its fields do not match the version {CHANGE_FILE_VERSION} layout"),
        )
    })?;
    file.changes = changes;
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = file.changes.iter().find(|c| !seen.insert(c.id.as_str())) {
        return Err(unusable(path, &format!("{} appears twice", dup.id)));
    }
    Ok(file)
}

/// Refuses a CR whose id is not the one it is stored under.
fn same_id(expected: &ChangeId, cr: &ChangeRequest) -> Result<()> {
    if &cr.id == expected {
        Ok(())
    } else {
        Err(Error::invalid(
            "change id",
            format!(
                "the store assigned {expected}, the request carries {}",
                cr.id
            ),
        ))
    }
}

impl FileChangeStore {
    /// A store kept in the file at `path` (the CLI uses `<state dir>/changes.json`). Nothing
    /// is created here: the parent directory (`0700`; an existing one keeps its permissions),
    /// the lock file and the file are created by the first change.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use std::time::Duration;
    /// use mcp_ops_core::change::*;
    /// use mcp_ops_core::jiff::Timestamp;
    ///
    /// let dir = std::env::temp_dir().join(format!("ops-doc-{}", std::process::id()));
    /// let store = FileChangeStore::new(dir.join("state").join("changes.json"))?;
    /// assert!(store.list().await?.is_empty());
    /// assert!(!dir.exists(), "reading creates nothing");
    ///
    /// let now: Timestamp = "2026-01-08T14:00:00Z".parse().unwrap();
    /// let draft = ChangeDraft {
    ///     spec: ChangeSpec::Rollback { deployment: "mcp-production/mcp-typescript-api".parse()? },
    ///     window: ChangeWindow::new(now, Duration::from_secs(1800))?,
    ///     rollback_plan: "kubectl rollout undo".into(),
    ///     description: "go back to v1.0.0".into(),
    ///     requester: "oncall".into(),
    ///     requested_risk: None,
    /// };
    /// let cr = store.create(2026, &|id| ChangeRequest::new(id, draft.clone(), now)).await?;
    /// assert_eq!(cr.id.as_str(), "CR-2026-001");
    /// // Another store value (another process) over the same file sees it.
    /// let other = FileChangeStore::new(store.path())?;
    /// assert_eq!(other.get(&cr.id).await?, Some(cr));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `path` has no file name.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if path.file_name().is_none() {
            return Err(Error::invalid(
                "path",
                format!("{}: must name a file", path.display()),
            ));
        }
        let lock_path = sibling(&path, ".lock");
        Ok(Self { path, lock_path })
    }

    /// The file the changes are kept in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the exclusive lock (creating the directory, `0700`, and the lock file if
    /// needed); it is released when the returned file is dropped.
    fn lock_exclusive(&self) -> Result<File> {
        private_file::lock_exclusive(&self.lock_path).map_err(io_failure)
    }

    /// The shared lock for a read when the lock file exists and can be locked; otherwise the
    /// read goes ahead without it (it still sees a whole file, changes replace it by rename).
    fn lock_shared(&self) -> Option<File> {
        private_file::lock_shared(&self.lock_path)
    }

    fn load(&self) -> Result<ChangeFile> {
        match fs::read(&self.path) {
            Ok(bytes) => decode(&self.path, &bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(ChangeFile::empty()),
            Err(e) => Err(Error::invalid(
                "change file",
                format!("{}: cannot read: {e}", self.path.display()),
            )),
        }
    }

    /// Replaces the file atomically: temporary file, fsync, rename, fsync of the directory
    /// (best effort: some file systems refuse it).
    fn store(&self, state: &ChangeFile) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| Error::backend(BACKEND, format!("encode: {e}"), false))?;
        bytes.push(b'\n');
        private_file::replace_atomically(&self.path, &bytes).map_err(io_failure)
    }

    /// Reads the file under the shared lock.
    fn snapshot(&self) -> Result<ChangeFile> {
        let _lock = self.lock_shared();
        self.load()
    }
}

#[async_trait]
impl ChangeStore for FileChangeStore {
    async fn create(
        &self,
        year: i16,
        make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        if !self.lock_path.exists() {
            // The first change here: refuse a file this build cannot use, and input `make`
            // refuses, before creating the directory or the lock file.
            let state = self.load()?;
            same_id_of(make, ChangeId::new(year, state.next_number(year)?)?)?;
        }
        let _lock = self.lock_exclusive()?;
        let mut state = self.load()?;
        let number = state.next_number(year)?;
        let cr = same_id_of(make, ChangeId::new(year, number)?)?;
        state.sequences.insert(year, number);
        state.changes.push(cr.clone());
        self.store(&state)?;
        Ok(cr)
    }

    async fn get(&self, id: &ChangeId) -> Result<Option<ChangeRequest>> {
        let state = self.snapshot()?;
        Ok(state.changes.into_iter().find(|c| &c.id == id))
    }

    async fn list(&self) -> Result<Vec<ChangeRequest>> {
        let mut changes = self.snapshot()?.changes;
        changes.sort_by_key(|c| (c.id.year(), c.id.number()));
        Ok(changes)
    }

    async fn modify(
        &self,
        id: &ChangeId,
        change: &(dyn Fn(ChangeRequest) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        if !self.lock_path.exists() && self.load()?.position(id).is_none() {
            // Nothing was ever changed here, so the CR cannot exist: create nothing.
            return Err(Error::not_found("change request", id.as_str()));
        }
        let _lock = self.lock_exclusive()?;
        let mut state = self.load()?;
        let at = state
            .position(id)
            .ok_or_else(|| Error::not_found("change request", id.as_str()))?;
        let updated = change(state.changes[at].clone())?;
        same_id(id, &updated)?;
        state.changes[at] = updated.clone();
        self.store(&state)?;
        Ok(updated)
    }
}

/// Calls `make` for `id` and checks that the CR it made carries that id.
fn same_id_of(
    make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    id: ChangeId,
) -> Result<ChangeRequest> {
    let cr = make(id.clone())?;
    same_id(&id, &cr)?;
    Ok(cr)
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
