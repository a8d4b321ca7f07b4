//! `verify_records` on every single tampering of a six-record chain: each is found, named
//! with the right kind at the right position, and nothing else is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;

use super::*;

const N: usize = 6;

fn chain() -> (Vec<AuditRecord>, ChainHead) {
    let drafts = (0..N)
        .map(|i| {
            AuditDraft::new(
                Timestamp::from_second(1_767_225_600 + i as i64).unwrap(),
                "alice",
                AuditKind::Note,
                &format!("note {i}"),
            )
        })
        .collect();
    let records = seal(&ChainHead::genesis(), drafts).unwrap();
    let head = records[N - 1].head();
    (records, head)
}

fn found(records: Vec<AuditRecord>, anchor: &ChainHead) -> Vec<(u64, BreakKind)> {
    let entries: Vec<StoredEntry> = records.into_iter().map(StoredEntry::from_record).collect();
    verify_records(&entries, Some(anchor))
        .breaks
        .iter()
        .map(|b| (b.position, b.kind))
        .collect()
}

#[test]
fn an_untouched_chain_is_intact_and_its_head_is_the_last_hash() {
    let (records, anchor) = chain();
    let entries: Vec<StoredEntry> = records
        .iter()
        .cloned()
        .map(StoredEntry::from_record)
        .collect();
    let report = verify_records(&entries, Some(&anchor));
    assert!(report.intact());
    assert_eq!(report.head, Some(anchor.hash));
    assert_eq!(report.records, N as u64);
}

#[test]
fn every_single_deletion_is_found() {
    for i in 0..N {
        let (mut records, anchor) = chain();
        records.remove(i);
        let want = if i == N - 1 {
            (N as u64, BreakKind::Truncated)
        } else {
            (i as u64 + 1, BreakKind::Deleted)
        };
        assert_eq!(
            found(records, &anchor),
            vec![want],
            "deleting seq {}",
            i + 1
        );
    }
}

#[test]
fn every_adjacent_swap_is_found() {
    for i in 0..N - 1 {
        let (mut records, anchor) = chain();
        records.swap(i, i + 1);
        assert_eq!(
            found(records, &anchor),
            vec![(i as u64 + 2, BreakKind::Reordered)],
            "swapping seq {} and {}",
            i + 1,
            i + 2
        );
    }
}

#[test]
fn every_well_formed_insertion_is_found() {
    for j in 0..=N {
        let (mut records, anchor) = chain();
        let before = if j == 0 {
            ChainHead::genesis()
        } else {
            records[j - 1].head()
        };
        let forged = seal(
            &before,
            vec![AuditDraft::new(
                Timestamp::UNIX_EPOCH,
                "mallory",
                AuditKind::Note,
                "forged",
            )],
        )
        .unwrap()
        .remove(0);
        records.insert(j, forged);
        assert_eq!(
            found(records, &anchor),
            vec![(j as u64 + 1, BreakKind::Inserted)],
            "inserting at line {}",
            j + 1
        );
    }
}

#[test]
fn every_edit_with_or_without_rehash_is_found() {
    for rehash in [false, true] {
        for i in 0..N {
            let (mut records, anchor) = chain();
            records[i].draft.actor = "mallory".into();
            if rehash {
                records[i].hash = records[i].computed_hash().unwrap();
            }
            assert_eq!(
                found(records, &anchor),
                vec![(i as u64 + 1, BreakKind::Edited)],
                "editing seq {} (rehash: {rehash})",
                i + 1
            );
        }
    }
}

#[test]
fn an_unreadable_entry_is_named_without_a_second_break() {
    let (records, anchor) = chain();
    let mut entries: Vec<StoredEntry> = records.into_iter().map(StoredEntry::from_record).collect();
    entries[2] = StoredEntry::parse("{\"seq\":3,\"summary\":");
    let report = verify_records(&entries, Some(&anchor));
    let kinds: Vec<(u64, BreakKind)> = report.breaks.iter().map(|b| (b.position, b.kind)).collect();
    assert_eq!(kinds, vec![(3, BreakKind::Unreadable)]);
    assert!(!report.breaks[0].detail.contains("summary"));
}

#[test]
fn an_expected_head_must_still_be_in_the_chain() {
    let (records, _) = chain();
    assert!(expect_head(&records, &records[3].hash.to_uppercase()).is_none());
    let b = expect_head(&records[..3], &records[3].hash).unwrap();
    assert_eq!(b.kind, BreakKind::UnknownHead);
}
