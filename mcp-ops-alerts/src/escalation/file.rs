//! [`EscalationStore`] in one JSON file, so that a command-line tool can open an incident in
//! one process and acknowledge or resolve it in another.
//!
//! See [`FileEscalationStore`] for the file layout, locking and atomicity rules.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use jiff::Timestamp;
use mcp_ops_core::private_file::{self, PrivateFileError, sibling};
use mcp_ops_core::{Error, Incident, IncidentId, Result};
use serde::{Deserialize, Serialize};

use super::store::{
    Change, DeliveryStatus, EscalationStore, OutboxEntry, claim_entry, prunable, save_into,
    settle_entry,
};

const BACKEND: &str = "file-store";

/// The layout version this build reads and writes (the file's `"version"` field).
pub const FILE_FORMAT_VERSION: u64 = 1;

/// What the file holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u64,
    sequence: u64,
    incidents: Vec<Incident>,
    outbox: Vec<OutboxEntry>,
}

impl StateFile {
    fn empty() -> Self {
        Self {
            version: FILE_FORMAT_VERSION,
            sequence: 0,
            incidents: Vec::new(),
            outbox: Vec::new(),
        }
    }
}

/// Escalation state in one JSON file.
///
/// - The whole state (sequence, incidents, outbox) lives in one file with a `"version": 1`
///   field; a missing file is an empty store.
/// - Every change holds an exclusive advisory lock on the sidecar file `<path>.lock` for its
///   whole read-modify-write ([`EscalationStore::modify`] included), so concurrent processes
///   lose no change. Reads take a shared lock when the lock file can be opened and otherwise
///   read without it (a read-only state directory still lists incidents). Nothing — directory,
///   lock file, state file — is created before the first change. The data file itself is not
///   locked because it is replaced by `rename`. The lock is `flock(2)` on Unix: advisory, per
///   open file (so two store values in one process exclude each other too), and not reliable
///   on network file systems.
/// - Writes go to `<path>.tmp-<pid>`, are flushed to disk, and are renamed over the file, so a
///   reader never sees a half-written state. The file is mode `0600` and a directory created
///   for it `0700` (Unix).
/// - A file that does not parse, or has another version, is a typed error and is never
///   overwritten; error messages name the path, never the file's contents.
///
/// The file I/O runs synchronously inside the async methods: the crate's tokio features do not
/// include `spawn_blocking` outside `testing`, and the files are small. No `.await` happens
/// while the lock is held, so tasks cannot deadlock on it, but a contended lock blocks the
/// calling runtime thread until the holder (a few milliseconds of I/O) is done.
#[derive(Clone)]
pub struct FileEscalationStore {
    path: PathBuf,
    lock_path: PathBuf,
}

impl std::fmt::Debug for FileEscalationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileEscalationStore")
            .field("path", &self.path)
            .finish()
    }
}

/// A failed file step (`<path>: <what>: <io error>`) as this store's backend error.
fn io_error(e: PrivateFileError) -> Error {
    Error::backend(BACKEND, e.to_string(), false)
}

/// A state file this build cannot use: bad input (exit 2 in the CLI) naming the file and the
/// reason, never its contents.
fn not_a_state_file(path: &Path, why: &str) -> Error {
    Error::invalid(
        "state file",
        format!(
            "{}: not an mcp-ops escalation state file ({why}); it was left untouched",
            path.display()
        ),
    )
}

/// Decodes the file's bytes. Error messages carry positions and categories only, because
/// serde's own messages may quote the file's contents.
fn decode(path: &Path, bytes: &[u8]) -> Result<StateFile> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Io => "unreadable",
            _ => "invalid JSON",
        };
        not_a_state_file(
            path,
            &format!("{what} at line {} column {}", e.line(), e.column()),
        )
    })?;
    let version = value
        .get("version")
        .ok_or_else(|| not_a_state_file(path, "no \"version\" field"))?
        .as_u64()
        .ok_or_else(|| not_a_state_file(path, "\"version\" is not a number"))?;
    if version != FILE_FORMAT_VERSION {
        return Err(Error::invalid(
            "state file",
            format!(
                "{}: escalation state file version {version} is not supported (this build \
                 reads version {FILE_FORMAT_VERSION}); it was left untouched",
                path.display()
            ),
        ));
    }
    serde_json::from_value(value).map_err(|_| {
        not_a_state_file(
            path,
            &format!("its fields do not match the version {FILE_FORMAT_VERSION} layout"),
        )
    })
}

impl FileEscalationStore {
    /// A store kept in the file at `path` (for example
    /// `~/.local/state/mcp-ops/incidents.json`). Nothing is created here: the parent
    /// directory (mode `0700` on Unix; an existing directory keeps its permissions), the lock
    /// file and the state file are created by the first change, so bad input and reads leave
    /// no trace.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use std::sync::Arc;
    /// use mcp_ops_alerts::escalation::{EscalationEngine, FileEscalationStore};
    /// use mcp_ops_core::{Escalator, SystemClock};
    ///
    /// let dir = tempfile::tempdir().map_err(|e| mcp_ops_core::Error::invalid("dir", e.to_string()))?;
    /// let store = FileEscalationStore::new(dir.path().join("incidents.json"))?;
    /// let engine = EscalationEngine::new(Arc::new(store), Arc::new(SystemClock));
    /// assert!(engine.open_incidents().await?.is_empty()); // no file is created by reading
    /// assert!(!dir.path().join("incidents.json").exists());
    /// # Ok(()) }
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

    /// The state file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the exclusive lock for a change (creating the directory and the lock file if
    /// needed); it is released when the returned file is dropped.
    fn lock(&self) -> Result<File> {
        if !self.lock_path.exists() {
            // The first change here: refuse a state file this build cannot use before
            // creating the directory or the lock file.
            self.load()?;
        }
        private_file::lock_exclusive(&self.lock_path).map_err(io_error)
    }

    /// Takes the shared lock for a read when the lock file can be opened; without one (no
    /// change was ever made, or a read-only directory the file cannot be opened in) the
    /// read goes ahead unlocked: it still sees a whole file, since changes replace it by
    /// `rename`.
    fn lock_shared(&self) -> Option<File> {
        private_file::lock_shared(&self.lock_path)
    }

    fn load(&self) -> Result<StateFile> {
        match fs::read(&self.path) {
            Ok(bytes) => decode(&self.path, &bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(StateFile::empty()),
            Err(e) => Err(Error::invalid(
                "state file",
                format!("{}: cannot read: {e}", self.path.display()),
            )),
        }
    }

    /// Replaces the file atomically: temporary file, fsync, rename, then (best effort) fsync
    /// of the directory so the rename itself survives a crash.
    fn write(&self, state: &StateFile) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| Error::backend(BACKEND, format!("encode: {e}"), false))?;
        bytes.push(b'\n');
        private_file::replace_atomically(&self.path, &bytes).map_err(io_error)
    }

    fn read<T>(&self, f: impl FnOnce(StateFile) -> T) -> Result<T> {
        let _lock = self.lock_shared();
        Ok(f(self.load()?))
    }

    fn update<T>(&self, f: impl FnOnce(&mut StateFile) -> Result<T>) -> Result<T> {
        let _lock = self.lock()?;
        let mut state = self.load()?;
        let out = f(&mut state)?;
        self.write(&state)?;
        Ok(out)
    }
}

#[async_trait]
impl EscalationStore for FileEscalationStore {
    async fn next_sequence(&self) -> Result<u64> {
        self.update(|s| {
            s.sequence = s
                .sequence
                .checked_add(1)
                .ok_or_else(|| Error::backend(BACKEND, "sequence exhausted", false))?;
            Ok(s.sequence)
        })
    }

    async fn save(&self, incident: &Incident, outbox: &[OutboxEntry]) -> Result<()> {
        self.update(|s| {
            save_into(&mut s.incidents, &mut s.outbox, incident, outbox);
            Ok(())
        })
    }

    async fn modify(&self, id: &IncidentId, change: &Change<'_>) -> Result<Incident> {
        let _lock = self.lock()?;
        let mut state = self.load()?;
        let current = state
            .incidents
            .iter()
            .find(|i| &i.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("incident", id.as_str()))?;
        match change(current.clone())? {
            None => Ok(current),
            Some((incident, outbox)) => {
                save_into(&mut state.incidents, &mut state.outbox, &incident, &outbox);
                self.write(&state)?;
                Ok(incident)
            }
        }
    }

    async fn incident(&self, id: &IncidentId) -> Result<Option<Incident>> {
        self.read(|s| s.incidents.into_iter().find(|i| &i.id == id))
    }

    async fn incidents(&self) -> Result<Vec<Incident>> {
        self.read(|s| s.incidents)
    }

    async fn pending(&self) -> Result<Vec<OutboxEntry>> {
        self.read(|s| {
            s.outbox
                .into_iter()
                .filter(OutboxEntry::is_pending)
                .collect()
        })
    }

    async fn set_status(&self, key: &str, status: DeliveryStatus) -> Result<()> {
        self.update(|s| settle_entry(&mut s.outbox, key, status))
    }

    async fn claim(&self, key: &str, attempts: u32, now: Timestamp) -> Result<bool> {
        self.update(|s| claim_entry(&mut s.outbox, key, attempts, now))
    }

    async fn outbox(&self, incident: &IncidentId) -> Result<Vec<OutboxEntry>> {
        self.read(|s| {
            s.outbox
                .into_iter()
                .filter(|e| &e.incident == incident)
                .collect()
        })
    }

    async fn prune(&self, before: Timestamp) -> Result<Vec<IncidentId>> {
        self.update(|s| {
            let gone = prunable(&s.incidents, &s.outbox, before);
            s.incidents.retain(|i| !gone.contains(&i.id));
            s.outbox.retain(|e| !gone.contains(&e.incident));
            Ok(gone)
        })
    }
}
