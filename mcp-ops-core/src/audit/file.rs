//! [`FileAuditLog`]: the audit journal as JSON lines in the state directory, shared by every
//! process of one machine.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::canonical::canonical_json;
use super::log::AuditLog;
use super::record::{AuditDraft, AuditRecord, ChainHead, seal};
use super::stored::StoredEntry;
use super::verify::{BreakKind, ChainBreak, ChainReport, verify_records};
use crate::private_file::{self, PrivateFileError, sibling};
use crate::{Error, Result};

const BACKEND: &str = "audit-file";

/// How much of the file's end an append reads to find the head.
const TAIL_BYTES: u64 = 64 * 1024;

/// An audit journal in a JSON lines file (for example `<state dir>/journal.jsonl`).
///
/// - One record per line, in canonical form (keys sorted, no whitespace). Appends hold an
///   exclusive `flock(2)` on `<path>.lock` from reading the head to the last write, so
///   concurrent processes (and separate values in one process) make one chain. Reads take a
///   shared lock when the lock file exists.
/// - After the lines are written and flushed to disk, the head anchor `<path>.head`
///   (`{"seq":…,"hash":…}`) is replaced atomically (temporary file, fsync, rename). It makes
///   the removal of the *last* lines visible ([`BreakKind::Truncated`]), and an append after
///   such a removal continues from the anchor, so the gap stays visible too.
/// - The file and anchor are mode `0600`, a directory created for them `0700` (Unix).
///   Nothing is created by reads or by an empty append.
/// - Reading never fails on a tampered line: [`AuditLog::records`] leaves it out and
///   [`AuditLog::verify`] reports it. Errors name the path, never a line's content.
///
/// The file I/O is synchronous inside the async methods (a few milliseconds; no `.await`
/// while the lock is held). Appends read only the file's last 64 KiB to find the head;
/// reads and verify read the whole file.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::audit::{AuditDraft, AuditKind, AuditLog, BreakKind, FileAuditLog};
/// use mcp_ops_core::jiff::Timestamp;
///
/// let dir = std::env::temp_dir().join(format!("audit-doc-{}", std::process::id()));
/// let path = dir.join("journal.jsonl");
/// let log = FileAuditLog::new(&path)?;
/// assert!(log.verify().await?.intact()); // nothing is created by reading
/// assert!(!path.exists());
///
/// let at = Timestamp::UNIX_EPOCH;
/// let notes = ["one", "two", "three"].map(|s| AuditDraft::new(at, "alice", AuditKind::Note, s));
/// log.append(notes.to_vec()).await?;
///
/// // Someone edits the second line by hand.
/// let text = std::fs::read_to_string(&path).unwrap_or_default();
/// std::fs::write(&path, text.replacen("two", "TWO", 1)).unwrap_or_default();
/// let report = log.verify().await?;
/// assert_eq!((report.breaks[0].kind, report.breaks[0].position), (BreakKind::Edited, 2));
/// # std::fs::remove_dir_all(&dir).unwrap_or_default();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FileAuditLog {
    path: PathBuf,
    lock_path: PathBuf,
    head_path: PathBuf,
}

impl std::fmt::Debug for FileAuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAuditLog")
            .field("path", &self.path)
            .finish()
    }
}

fn io_error(path: &Path, what: &str, e: &io::Error) -> Error {
    Error::backend(BACKEND, format!("{}: {what}: {e}", path.display()), false)
}

/// A failed file step (`<path>: <what>: <io error>`) as this log's backend error.
fn file_error(e: PrivateFileError) -> Error {
    Error::backend(BACKEND, e.to_string(), false)
}

/// What the file and its anchor hold.
struct Stored {
    entries: Vec<StoredEntry>,
    /// `Ok(None)`: no anchor; `Err(why)`: an anchor that does not decode.
    anchor: std::result::Result<Option<ChainHead>, String>,
}

impl FileAuditLog {
    /// A log kept in the file at `path`. Nothing is created here: the directory (`0700`),
    /// the lock file and the journal are created by the first append.
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
        Ok(Self {
            lock_path: sibling(&path, ".lock"),
            head_path: sibling(&path, ".head"),
            path,
        })
    }

    /// The journal file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The head anchor file (`<path>.head`).
    #[must_use]
    pub fn head_path(&self) -> &Path {
        &self.head_path
    }

    /// The exclusive lock of an append (directory, `0700`, and lock file created if needed).
    fn lock(&self) -> Result<File> {
        private_file::lock_exclusive(&self.lock_path).map_err(file_error)
    }

    /// The shared lock of a read, when the lock file can be opened (no lock file: nothing
    /// was ever appended by this build, the read goes ahead unlocked).
    fn lock_shared(&self) -> Option<File> {
        private_file::lock_shared(&self.lock_path)
    }

    fn load(&self) -> Result<Stored> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error(&self.path, "cannot read", &e)),
        };
        let torn = !bytes.is_empty() && !bytes.ends_with(b"\n");
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let entries = if body.is_empty() && !torn {
            Vec::new()
        } else {
            body.split(|b| *b == b'\n')
                .map(|line| match std::str::from_utf8(line) {
                    Ok("") => StoredEntry::Unreadable {
                        seq: None,
                        why: "an empty line".to_owned(),
                    },
                    Ok(text) => StoredEntry::parse(text),
                    Err(_) => StoredEntry::Unreadable {
                        seq: None,
                        why: "not UTF-8".to_owned(),
                    },
                })
                .collect()
        };
        Ok(Stored {
            entries,
            anchor: self.load_anchor(),
        })
    }

    /// `Ok(None)`: no anchor; `Err(why)`: an anchor that cannot be read or decoded.
    fn load_anchor(&self) -> std::result::Result<Option<ChainHead>, String> {
        match fs::read(&self.head_path) {
            Ok(b) => serde_json::from_slice::<ChainHead>(&b)
                .map(Some)
                .map_err(|_| "it does not decode as {\"seq\",\"hash\"}".to_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read: {e}")),
        }
    }

    /// Replaces the anchor atomically.
    fn write_anchor(&self, head: &ChainHead) -> Result<()> {
        let mut bytes = serde_json::to_vec(head)
            .map_err(|e| Error::backend(BACKEND, format!("encode head: {e}"), false))?;
        bytes.push(b'\n');
        private_file::replace_atomically(&self.head_path, &bytes).map_err(file_error)
    }

    /// The head an append continues from and whether the file ends in a torn line: the
    /// last readable record of the file's tail (the last 64 KiB; the whole file only when no
    /// record is readable there), or the anchor when it is ahead (the last lines were
    /// removed: continuing after the anchor keeps the gap visible).
    fn append_head(&self) -> Result<(ChainHead, bool)> {
        let (last, torn) = self.tail()?;
        let mut head = last.unwrap_or_else(ChainHead::genesis);
        if let Ok(Some(anchor)) = self.load_anchor()
            && anchor.seq > head.seq
        {
            head = anchor;
        }
        Ok((head, torn))
    }

    fn tail(&self) -> Result<(Option<ChainHead>, bool)> {
        let read = |what| move |e: io::Error| io_error(&self.path, what, &e);
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, false)),
            Err(e) => return Err(read("cannot read")(e)),
        };
        let len = file.metadata().map_err(read("cannot read"))?.len();
        let start = len.saturating_sub(TAIL_BYTES);
        file.seek(SeekFrom::Start(start))
            .map_err(read("cannot read"))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).map_err(read("cannot read"))?;
        let torn = !buf.is_empty() && !buf.ends_with(b"\n");
        let mut lines: Vec<&[u8]> = buf.split(|b| *b == b'\n').collect();
        if start > 0 && !lines.is_empty() {
            lines.remove(0); // may begin mid-line
        }
        let last = lines.iter().rev().find_map(|line| {
            match StoredEntry::parse(std::str::from_utf8(line).ok()?) {
                StoredEntry::Record { record, .. } => Some(record.head()),
                StoredEntry::Unreadable { .. } => None,
            }
        });
        if last.is_some() || start == 0 {
            return Ok((last, torn));
        }
        let all = self.load()?;
        let last = all.entries.iter().rev().find_map(|e| match e {
            StoredEntry::Record { record, .. } => Some(record.head()),
            StoredEntry::Unreadable { .. } => None,
        });
        Ok((last, torn))
    }

    fn append_locked(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>> {
        let _lock = self.lock()?;
        let (head, torn) = self.append_head()?;
        let sealed = seal(&head, drafts)?;
        let mut text = String::new();
        if torn {
            text.push('\n');
        }
        for record in &sealed {
            text.push_str(&canonical_json(&record.to_value()?));
            text.push('\n');
        }
        let written = private_file::open_private_append(&self.path).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        written.map_err(|e| io_error(&self.path, "cannot append", &e))?;
        if let Some(last) = sealed.last() {
            self.write_anchor(&last.head())?;
        }
        Ok(sealed)
    }
}

#[async_trait]
impl AuditLog for FileAuditLog {
    async fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>> {
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        self.append_locked(drafts)
    }

    async fn records(&self) -> Result<Vec<AuditRecord>> {
        let _lock = self.lock_shared();
        Ok(self
            .load()?
            .entries
            .into_iter()
            .filter_map(|e| match e {
                StoredEntry::Record { record, .. } => Some(record),
                StoredEntry::Unreadable { .. } => None,
            })
            .collect())
    }

    async fn verify(&self) -> Result<ChainReport> {
        let stored = {
            let _lock = self.lock_shared();
            self.load()?
        };
        let (anchor, anchor_break) = match stored.anchor {
            Ok(a) => (a, None),
            Err(why) => (
                None,
                Some(ChainBreak {
                    position: 0,
                    seq: None,
                    kind: BreakKind::Unreadable,
                    detail: format!("head anchor {}: {why}", self.head_path.display()),
                }),
            ),
        };
        let mut report = verify_records(&stored.entries, anchor.as_ref());
        if let Some(b) = anchor_break {
            report.breaks.insert(0, b);
        }
        Ok(report)
    }
}
