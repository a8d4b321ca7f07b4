//! Chain verification: the pure algorithm every log runs over what it reads back.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::canonical::GENESIS;
use super::record::{AuditRecord, ChainHead};
use super::stored::StoredEntry;

/// What kind of tampering (or damage) a break shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BreakKind {
    /// The record's content no longer gives its hash, or it was rewritten and rehashed so
    /// that the next record (or the head anchor) no longer links to it.
    Edited,
    /// Records are missing: a gap in the seq numbers.
    Deleted,
    /// A record that the chain does not account for: a second record with the same seq, or
    /// one past the head anchor.
    Inserted,
    /// A record stands after one with a higher seq.
    Reordered,
    /// The last records are gone: the head anchor says the chain is longer.
    Truncated,
    /// A line or row that does not decode as a record.
    Unreadable,
    /// A head kept outside the log (`--expect-head`) is no longer in the chain.
    UnknownHead,
}

impl BreakKind {
    /// The word used in reports (`edited`, `deleted` …).
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            BreakKind::Edited => "edited",
            BreakKind::Deleted => "deleted",
            BreakKind::Inserted => "inserted",
            BreakKind::Reordered => "reordered",
            BreakKind::Truncated => "truncated",
            BreakKind::Unreadable => "unreadable",
            BreakKind::UnknownHead => "unknown head",
        }
    }
}

impl std::fmt::Display for BreakKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// One place where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    /// The 1-based line (file) or row (in seq order, PostgreSQL); for
    /// [`BreakKind::Truncated`] the position after the last one; 0 when the break concerns
    /// the chain as a whole ([`BreakKind::UnknownHead`]).
    pub position: u64,
    /// The seq of the record concerned, when known.
    pub seq: Option<u64>,
    /// What kind of break.
    pub kind: BreakKind,
    /// What was found, in words (never the record's content).
    pub detail: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "position {}", self.position)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}: {}", self.kind, self.detail)
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// How many lines or rows were read.
    pub records: u64,
    /// The hash of the chain's last record; `None` for an empty chain.
    pub head: Option<String>,
    /// Every break found, by position.
    pub breaks: Vec<ChainBreak>,
}

impl ChainReport {
    /// Whether no break was found.
    #[must_use]
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }

    /// Adds the break [`expect_head`] finds for `expected`, if any.
    pub fn check_expected_head(&mut self, records: &[AuditRecord], expected: &str) {
        if let Some(b) = expect_head(records, expected) {
            self.breaks.push(b);
        }
    }
}

/// Checks a head hash kept outside the log (printed by an earlier `ops journal verify`,
/// stored elsewhere): it must still be the hash of one of `records`. A chain rewritten from
/// that point on — even consistently, anchor included — no longer contains it.
#[must_use]
pub fn expect_head(records: &[AuditRecord], expected: &str) -> Option<ChainBreak> {
    let expected = expected.trim().to_ascii_lowercase();
    if records.iter().any(|r| r.hash == expected) {
        return None;
    }
    Some(ChainBreak {
        position: 0,
        seq: None,
        kind: BreakKind::UnknownHead,
        detail: format!(
            "the expected head {} is not the hash of any record: the chain was rewritten or \
             cut at or before it",
            short(&expected)
        ),
    })
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// A readable record and where it stands.
#[derive(Clone, Copy)]
struct Placed<'a> {
    position: u64,
    record: &'a AuditRecord,
    edited: bool,
}

/// Verifies a chain as read back: `entries` in stored order (file lines; rows by seq) and the
/// head anchor the log keeps beside them, if any.
///
/// Every break is named with its 1-based position and kind: a record whose content does not
/// give its hash, or that was rehashed so that its successor or the anchor no longer links to
/// it ([`BreakKind::Edited`]); a gap in seq ([`BreakKind::Deleted`]); a duplicate seq or a
/// record past the anchor ([`BreakKind::Inserted`]); a record after a higher seq
/// ([`BreakKind::Reordered`]); an anchor ahead of the last record
/// ([`BreakKind::Truncated`]); a line that does not decode ([`BreakKind::Unreadable`]).
///
/// ```
/// use mcp_ops_core::audit::{AuditDraft, AuditKind, BreakKind, ChainHead, StoredEntry, seal, verify_records};
/// use mcp_ops_core::jiff::Timestamp;
///
/// let drafts = (0..3)
///     .map(|i| AuditDraft::new(Timestamp::UNIX_EPOCH, "alice", AuditKind::Note, &format!("note {i}")))
///     .collect();
/// let records = seal(&ChainHead::genesis(), drafts)?;
/// let head = records[2].head();
/// let mut entries: Vec<StoredEntry> = records.into_iter().map(StoredEntry::from_record).collect();
/// assert!(verify_records(&entries, Some(&head)).intact());
///
/// entries.remove(1); // a record in the middle disappears
/// let report = verify_records(&entries, Some(&head));
/// assert_eq!(report.breaks.len(), 1);
/// assert_eq!((report.breaks[0].kind, report.breaks[0].position), (BreakKind::Deleted, 2));
/// # Ok::<(), mcp_ops_core::Error>(())
/// ```
#[must_use]
pub fn verify_records(entries: &[StoredEntry], anchor: Option<&ChainHead>) -> ChainReport {
    let mut breaks = Vec::new();
    let mut placed = Vec::new();
    let mut unreadable: Vec<(u64, Option<u64>)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let position = i as u64 + 1;
        match entry {
            StoredEntry::Unreadable { seq, why } => {
                unreadable.push((position, *seq));
                breaks.push(brk(position, *seq, BreakKind::Unreadable, why.clone()));
            }
            StoredEntry::Record { record, computed } => {
                let edited = *computed != record.hash;
                if edited {
                    breaks.push(brk(
                        position,
                        Some(record.seq),
                        BreakKind::Edited,
                        "its content does not give its hash: changed after it was written".into(),
                    ));
                }
                placed.push(Placed {
                    position,
                    record,
                    edited,
                });
            }
        }
    }
    reordered(&placed, &mut breaks);
    let chain = deduplicated(placed, anchor, &mut breaks);
    links(&chain, &unreadable, anchor, &mut breaks);
    let last = chain.last();
    if let Some(anchor) = anchor {
        let last_seq = last.map_or(0, |p| p.record.seq);
        if anchor.seq > last_seq {
            breaks.push(brk(
                entries.len() as u64 + 1,
                Some(last_seq + 1),
                BreakKind::Truncated,
                format!(
                    "the head anchor says the chain ends at seq {} ({}), the last record is \
                     seq {last_seq}: seq {}..={} are gone",
                    anchor.seq,
                    short(&anchor.hash),
                    last_seq + 1,
                    anchor.seq
                ),
            ));
        } else if let Some(p) = last.filter(|p| p.record.seq == anchor.seq)
            && p.record.hash != anchor.hash
            && !p.edited
        {
            breaks.push(brk(
                p.position,
                Some(p.record.seq),
                BreakKind::Edited,
                "its hash is not the one the head anchor kept: rewritten and rehashed".into(),
            ));
        }
    }
    breaks.sort_by_key(|b| b.position);
    ChainReport {
        records: entries.len() as u64,
        head: last.map(|p| p.record.hash.clone()),
        breaks,
    }
}

fn brk(position: u64, seq: Option<u64>, kind: BreakKind, detail: String) -> ChainBreak {
    ChainBreak {
        position,
        seq,
        kind,
        detail,
    }
}

/// A record standing after a higher seq (a duplicate seq is an insertion, not this).
fn reordered(placed: &[Placed<'_>], breaks: &mut Vec<ChainBreak>) {
    let mut seen = BTreeSet::new();
    let mut highest = 0;
    for p in placed {
        let seq = p.record.seq;
        if seq < highest && !seen.contains(&seq) {
            breaks.push(brk(
                p.position,
                Some(seq),
                BreakKind::Reordered,
                format!("seq {seq} stands after seq {highest}"),
            ));
        }
        seen.insert(seq);
        highest = highest.max(seq);
    }
}

/// The records in seq order, one per seq: of several with the same seq, the one the chain
/// (or the anchor) links to is kept and the others are reported as inserted.
fn deduplicated<'a>(
    mut placed: Vec<Placed<'a>>,
    anchor: Option<&ChainHead>,
    breaks: &mut Vec<ChainBreak>,
) -> Vec<Placed<'a>> {
    placed.sort_by_key(|p| (p.record.seq, p.position));
    let mut chain: Vec<Placed<'a>> = Vec::new();
    let mut i = 0;
    while i < placed.len() {
        let seq = placed[i].record.seq;
        let end = placed[i..]
            .iter()
            .position(|p| p.record.seq != seq)
            .map_or(placed.len(), |n| i + n);
        let before = chain.last().map_or(GENESIS, |p| p.record.hash.as_str());
        // What names this seq's hash: the next records' `prev`, or the anchor.
        let mut after: Vec<&str> = placed[end..]
            .iter()
            .take_while(|p| p.record.seq == seq + 1)
            .map(|p| p.record.prev.as_str())
            .collect();
        if let Some(a) = anchor.filter(|a| a.seq == seq) {
            after.push(a.hash.as_str());
        }
        // Best: linked on both sides and not edited; then linked on one side; then the first.
        let score = |p: &Placed<'_>| {
            u8::from(!p.edited) * 4
                + u8::from(after.contains(&p.record.hash.as_str())) * 2
                + u8::from(p.record.prev == before)
        };
        let group = &placed[i..end];
        let keep = (0..group.len())
            .max_by_key(|k| (score(&group[*k]), std::cmp::Reverse(*k)))
            .unwrap_or(0);
        for (k, p) in group.iter().enumerate() {
            if k != keep {
                breaks.push(brk(
                    p.position,
                    Some(seq),
                    BreakKind::Inserted,
                    format!(
                        "a second record with seq {seq} (the chain links through position {})",
                        group[keep].position
                    ),
                ));
            }
        }
        i = end;
        chain.push(group[keep]);
    }
    chain
}

/// Gaps, broken links and records past the anchor along the chain in seq order.
fn links(
    chain: &[Placed<'_>],
    unreadable: &[(u64, Option<u64>)],
    anchor: Option<&ChainHead>,
    breaks: &mut Vec<ChainBreak>,
) {
    let mut before: Option<&Placed<'_>> = None;
    for p in chain {
        let r = p.record;
        if let Some(a) = anchor.filter(|a| r.seq > a.seq) {
            breaks.push(brk(
                p.position,
                Some(r.seq),
                BreakKind::Inserted,
                format!(
                    "seq {} is past the head anchor (seq {}): added outside the log, or the \
                     writer stopped before updating the anchor",
                    r.seq, a.seq
                ),
            ));
            before = Some(p);
            continue;
        }
        let (prev_seq, prev_hash, prev_pos) = before.map_or((0, GENESIS, 0), |b| {
            (b.record.seq, b.record.hash.as_str(), b.position)
        });
        if r.seq > prev_seq + 1 {
            let (from, to) = (prev_seq + 1, r.seq - 1);
            let (lo, hi) = (prev_pos.min(p.position), prev_pos.max(p.position));
            let explained = unreadable.iter().any(|(pos, seq)| match seq {
                Some(s) => (from..=to).contains(s),
                None => *pos > lo && *pos < hi,
            });
            if !explained {
                let missing = if from == to {
                    format!("seq {from} is missing")
                } else {
                    format!("seq {from}..={to} are missing")
                };
                breaks.push(brk(
                    p.position,
                    Some(r.seq),
                    BreakKind::Deleted,
                    format!("{missing} before this record"),
                ));
            }
        } else if r.prev != prev_hash && !p.edited {
            match before {
                Some(b) if !b.edited => breaks.push(brk(
                    b.position,
                    Some(b.record.seq),
                    BreakKind::Edited,
                    format!(
                        "the next record (seq {}, position {}) names another previous hash: \
                         this record was rewritten and rehashed (or that link was)",
                        r.seq, p.position
                    ),
                )),
                Some(_) => {}
                None => breaks.push(brk(
                    p.position,
                    Some(r.seq),
                    BreakKind::Edited,
                    "the first record does not start from the genesis hash".into(),
                )),
            }
        }
        before = Some(p);
    }
}
