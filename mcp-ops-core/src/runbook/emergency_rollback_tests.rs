//! Unit tests of [`RollbackStatus`]: its JSON shape and which statuses count as "back".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::types::Revision;
use serde_json::json;

fn rev(n: u64) -> Revision {
    Revision::new(n).unwrap()
}

#[test]
fn status_json_carries_the_undo_outcome_beside_the_tag() {
    let cases = [
        (
            RollbackStatus::Undo(UndoOutcome::RolledBack {
                from: rev(2),
                to: rev(1),
            }),
            json!({"status": "undo", "outcome": "rolled_back", "from": 2, "to": 1}),
        ),
        (
            RollbackStatus::Undo(UndoOutcome::Skipped { already_at: rev(1) }),
            json!({"status": "undo", "outcome": "skipped", "already_at": 1}),
        ),
        (
            RollbackStatus::Undo(UndoOutcome::NoHistory),
            json!({"status": "undo", "outcome": "no_history"}),
        ),
        (
            RollbackStatus::Undo(UndoOutcome::Paused),
            json!({"status": "undo", "outcome": "paused"}),
        ),
        (
            RollbackStatus::Failed {
                error: "denied".into(),
            },
            json!({"status": "failed", "error": "denied"}),
        ),
        (RollbackStatus::Planned, json!({"status": "planned"})),
    ];
    for (status, expected) in cases {
        assert_eq!(serde_json::to_value(&status).unwrap(), expected);
        let back: RollbackStatus = serde_json::from_value(expected).unwrap();
        assert_eq!(back, status);
    }
    assert!(serde_json::from_value::<RollbackStatus>(json!({"status": "undo"})).is_err());
}

#[test]
fn only_a_rollback_or_a_skip_counts_as_back() {
    let undo = RollbackStatus::Undo;
    assert!(
        undo(UndoOutcome::RolledBack {
            from: rev(2),
            to: rev(1)
        })
        .is_back()
    );
    assert!(undo(UndoOutcome::Skipped { already_at: rev(1) }).is_back());
    assert!(!undo(UndoOutcome::NoHistory).is_back());
    assert!(!undo(UndoOutcome::Paused).is_back());
    assert!(!RollbackStatus::Planned.is_back());
    assert!(!RollbackStatus::Failed { error: "x".into() }.is_back());
    assert_eq!(
        undo(UndoOutcome::Paused).to_string(),
        UndoOutcome::Paused.to_string()
    );
}
