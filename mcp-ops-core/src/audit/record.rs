//! What the audit journal holds: drafts (what a caller records) and sealed records (a draft
//! with its place in the chain and its hash).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::canonical::{GENESIS, content_hash};
use crate::runbook::JournalEntry;
use crate::{Error, Result};

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditKind {
    /// A step of a runbook procedure (the journal entry is in [`AuditDraft::step`]).
    Step,
    /// A change request was filed.
    ChangeRequested,
    /// A change request was approved.
    ChangeApproved,
    /// A change request was rejected.
    ChangeRejected,
    /// The change policy refused a mutation.
    ChangeRefused,
    /// An emergency action ran without approval (a retroactive change request was opened).
    BreakGlass,
    /// A tool call of an agent served by `ops mcp`: who, through which client, the
    /// arguments (secrets redacted) and the result.
    ToolCall,
    /// Anything else worth keeping.
    Note,
}

impl AuditKind {
    /// The word used in timelines (`step`, `change approved` …).
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            AuditKind::Step => "step",
            AuditKind::ChangeRequested => "change requested",
            AuditKind::ChangeApproved => "change approved",
            AuditKind::ChangeRejected => "change rejected",
            AuditKind::ChangeRefused => "change refused",
            AuditKind::BreakGlass => "break-glass",
            AuditKind::ToolCall => "tool call",
            AuditKind::Note => "note",
        }
    }
}

impl std::fmt::Display for AuditKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// What a caller records; [`super::AuditLog::append`] seals it into an [`AuditRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// When it happened (for a step: when the step started).
    pub at: Timestamp,
    /// Who did it (the caller's handle: `--as`, the OS user, a service name).
    pub actor: String,
    /// What kind of record this is.
    pub kind: AuditKind,
    /// The runbook procedure (`standard_deploy`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    /// The change request id (`CR-2026-001`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
    /// The incident id (`INC-…`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// One line, no secrets (line breaks and control characters become spaces on append).
    pub summary: String,
    /// For [`AuditKind::Step`]: the runbook journal entry, its time and duration included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<JournalEntry>,
    /// For requests and approvals: the change request's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl AuditDraft {
    /// A draft of `kind` with no procedure, change, incident, step or digest.
    #[must_use]
    pub fn new(at: Timestamp, actor: &str, kind: AuditKind, summary: &str) -> Self {
        Self {
            at,
            actor: actor.to_owned(),
            kind,
            procedure: None,
            change: None,
            incident: None,
            summary: summary.to_owned(),
            step: None,
            digest: None,
        }
    }

    /// Sets the change request id.
    #[must_use]
    pub fn with_change(mut self, change: Option<&str>) -> Self {
        self.change = change.map(str::to_owned);
        self
    }

    /// Sets the incident id.
    #[must_use]
    pub fn with_incident(mut self, incident: Option<&str>) -> Self {
        self.incident = incident.map(str::to_owned);
        self
    }

    /// The draft as it is stored: the summary on one line, the actor checked.
    fn normalized(mut self) -> Result<Self> {
        if self.actor.trim().is_empty() || self.actor.chars().any(char::is_control) {
            return Err(Error::invalid(
                "actor",
                "an audit record needs an actor: a non-empty name without control characters",
            ));
        }
        if self.summary.chars().any(char::is_control) {
            self.summary = self
                .summary
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
        }
        Ok(self)
    }
}

/// A sealed record: a draft, its place in the chain, and its hash.
///
/// The canonical form is the record without `hash` as JSON with keys sorted and no
/// whitespace; `hash` is the hex SHA-256 of it, and `prev` is the previous record's `hash`
/// ([`GENESIS`], 64 zeros, for seq 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// What was recorded.
    #[serde(flatten)]
    pub draft: AuditDraft,
    /// The previous record's hash.
    pub prev: String,
    /// The hash of this record's canonical form.
    pub hash: String,
}

impl AuditRecord {
    /// The record as a JSON value (what is stored).
    ///
    /// # Errors
    /// [`Error::Backend`] if it cannot be encoded (never for records built by this crate).
    pub fn to_value(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self)
            .map_err(|e| Error::backend("audit", format!("encode audit record: {e}"), false))
    }

    /// The hash this record's content gives (equal to `hash` unless it was altered).
    ///
    /// # Errors
    /// As [`AuditRecord::to_value`].
    pub fn computed_hash(&self) -> Result<String> {
        Ok(content_hash(&self.to_value()?))
    }

    /// The chain head this record makes.
    #[must_use]
    pub fn head(&self) -> ChainHead {
        ChainHead {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// The last record's position and hash: what the next append continues from, the anchor a
/// log keeps beside its records, and what a reader may keep outside to check later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The last record's seq (0 for an empty chain).
    pub seq: u64,
    /// The last record's hash ([`GENESIS`] for an empty chain).
    pub hash: String,
}

impl ChainHead {
    /// The head of an empty chain.
    #[must_use]
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_owned(),
        }
    }
}

/// Seals `drafts` into records that continue the chain from `head`: seq `head.seq + 1` …,
/// each `prev` the hash before it. Every log's `append` does this under its lock.
///
/// # Errors
/// [`Error::InvalidInput`] for a draft without an actor; [`Error::Backend`] if the sequence
/// is exhausted.
pub fn seal(head: &ChainHead, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>> {
    let mut prev = head.clone();
    let mut out = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let seq = prev
            .seq
            .checked_add(1)
            .ok_or_else(|| Error::backend("audit", "sequence exhausted", false))?;
        let mut record = AuditRecord {
            seq,
            draft: draft.normalized()?,
            prev: prev.hash.clone(),
            hash: String::new(),
        };
        record.hash = record.computed_hash()?;
        prev = record.head();
        out.push(record);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(summary: &str) -> AuditDraft {
        AuditDraft::new(Timestamp::UNIX_EPOCH, "alice", AuditKind::Note, summary)
    }

    #[test]
    fn sealing_links_each_record_to_the_one_before() -> Result<()> {
        let records = seal(&ChainHead::genesis(), vec![draft("a"), draft("b\nc")])?;
        assert_eq!(records[0].seq, 1);
        assert_eq!(records[0].prev, GENESIS);
        assert_eq!(records[1].prev, records[0].hash);
        assert_eq!(records[1].draft.summary, "b c");
        for r in &records {
            assert_eq!(r.computed_hash()?, r.hash);
        }
        let more = seal(&records[1].head(), vec![draft("d")])?;
        assert_eq!(
            (more[0].seq, more[0].prev.as_str()),
            (3, records[1].hash.as_str())
        );
        Ok(())
    }

    #[test]
    fn an_actor_is_required() {
        let mut d = draft("a");
        d.actor = " ".into();
        assert!(matches!(
            seal(&ChainHead::genesis(), vec![d]),
            Err(Error::InvalidInput { field: "actor", .. })
        ));
    }

    #[test]
    fn a_stored_record_reads_back_to_the_same_hash() -> Result<()> {
        let records = seal(
            &ChainHead::genesis(),
            vec![draft("a").with_change(Some("CR-2026-001"))],
        )?;
        let text = serde_json::to_string(&records[0]).unwrap_or_default();
        let back: AuditRecord = serde_json::from_str(&text).unwrap_or_else(|_| unreachable!());
        assert_eq!(back, records[0]);
        assert_eq!(back.computed_hash()?, records[0].hash);
        Ok(())
    }
}
