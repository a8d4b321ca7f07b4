#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::change::{ChangeSpec, Risk, derive_risk};

fn silence(alertname: &str, minutes: u32) -> ChangeSpec {
    ChangeSpec::Silence {
        alertname: alertname.into(),
        minutes,
    }
}

fn incident(action: IncidentChange) -> ChangeSpec {
    ChangeSpec::Incident { action }
}

fn id(s: &str) -> IncidentId {
    IncidentId::new(s).unwrap()
}

fn open(title: &str, severity: Severity) -> ChangeSpec {
    incident(IncidentChange::Open {
        title: title.into(),
        severity,
    })
}

#[test]
fn a_silence_is_low_risk_with_its_own_type_target_and_summary() {
    let s = silence("HighErrorRate", 60);
    assert!(s.validate().is_ok());
    let assessed = derive_risk(&s);
    assert_eq!(assessed.risk, Risk::Low);
    assert!(assessed.why.contains("HighErrorRate"), "{}", assessed.why);
    assert_eq!(s.kind().to_string(), "Silence");
    assert_eq!(s.targets(), vec!["alert HighErrorRate".to_owned()]);
    assert_eq!(s.summary(), "silence alert HighErrorRate for 60 minutes");
    assert_eq!(silence("A", 1).summary(), "silence alert A for 1 minute");
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "silence", "alertname": "HighErrorRate", "minutes": 60})
    );
    assert_eq!(serde_json::from_value::<ChangeSpec>(json).unwrap(), s);
}

#[test]
fn a_silence_must_name_an_alert_and_last_one_minute_to_a_week() {
    for bad in [
        silence("", 60),
        silence("High Error Rate", 60),
        silence("1stAlert", 60),
        silence("line\nbreak", 60),
        silence(&"A".repeat(600), 60),
        silence("HighErrorRate", 0),
        silence("HighErrorRate", SILENCE_MINUTES_MAX + 1),
    ] {
        let e = bad.validate().unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad:?}: {e}");
    }
    assert!(
        silence("job:HighErrorRate_5m", SILENCE_MINUTES_MAX)
            .validate()
            .is_ok()
    );
    assert!(silence("HighErrorRate", 1).validate().is_ok());
}

#[test]
fn what_runs_must_be_the_approved_silence() {
    let approved = silence("HighErrorRate", 60);
    assert!(
        approved
            .differences(&silence("HighErrorRate", 60))
            .is_empty()
    );
    let d = approved.differences(&silence("HighLatency", 60));
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].to_string(),
        "alertname: approved HighErrorRate, planned HighLatency"
    );
    let d = approved.differences(&silence("HighErrorRate", 120));
    assert_eq!(d[0].to_string(), "minutes: approved 60, planned 120");
    assert_eq!(
        approved.differences(&open("x", Severity::P1))[0].field,
        "type"
    );
}

#[test]
fn incident_actions_are_low_risk_and_serialize_with_their_kind() {
    let specs = [
        open("API down", Severity::P1),
        incident(IncidentChange::Ack {
            incident: id("INC-20261206-0001"),
        }),
        incident(IncidentChange::Update {
            incident: id("INC-20261206-0001"),
        }),
        incident(IncidentChange::Resolve {
            incident: id("INC-20261206-0001"),
        }),
    ];
    for (s, kind) in specs.iter().zip(["open", "ack", "update", "resolve"]) {
        assert_eq!(derive_risk(s).risk, Risk::Low, "{s:?}");
        assert_eq!(s.kind().to_string(), "Incident");
        assert!(s.validate().is_ok());
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json["type"], "incident");
        assert_eq!(json["action"]["kind"], kind);
        assert_eq!(&serde_json::from_value::<ChangeSpec>(json).unwrap(), s);
    }
    assert_eq!(specs[0].summary(), "open a P1 incident \"API down\"");
    assert_eq!(specs[0].targets(), vec!["new P1 incident".to_owned()]);
    assert_eq!(
        serde_json::to_value(&specs[0]).unwrap()["action"]["severity"],
        "P1"
    );
    assert_eq!(specs[1].summary(), "acknowledge incident INC-20261206-0001");
    assert_eq!(
        specs[1].targets(),
        vec!["incident INC-20261206-0001".to_owned()]
    );
    assert_eq!(
        specs[2].summary(),
        "post an update to incident INC-20261206-0001"
    );
    assert_eq!(specs[3].summary(), "resolve incident INC-20261206-0001");
    // An incident id that is not one does not deserialize.
    let bad = serde_json::json!({"type": "incident", "action": {"kind": "ack", "incident": "a b"}});
    assert!(serde_json::from_value::<ChangeSpec>(bad).is_err());
}

#[test]
fn an_opening_needs_a_title_of_one_visible_line() {
    for title in ["", "   ", "two\nlines", &"x".repeat(LINE_MAX + 1)] {
        assert!(open(title, Severity::P2).validate().is_err(), "{title:?}");
    }
    assert!(open(&"x".repeat(LINE_MAX), Severity::P2).validate().is_ok());
}

#[test]
fn what_runs_must_be_the_approved_incident_action() {
    let ack = |s: &str| incident(IncidentChange::Ack { incident: id(s) });
    let resolve = |s: &str| incident(IncidentChange::Resolve { incident: id(s) });
    assert!(ack("INC-1").differences(&ack("INC-1")).is_empty());
    let d = ack("INC-1").differences(&ack("INC-2"));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].to_string(), "incident: approved INC-1, planned INC-2");
    let d = ack("INC-1").differences(&resolve("INC-1"));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].field, "action");
    assert!(d[0].planned.contains("resolve"), "{}", d[0]);
    let a = open("API down", Severity::P1);
    let fields: Vec<_> = a
        .differences(&open("DB down", Severity::P0))
        .iter()
        .map(|d| d.field)
        .collect();
    assert_eq!(fields, ["title", "severity"]);
    assert_eq!(a.differences(&ack("INC-1"))[0].field, "action");
    assert_eq!(a.differences(&silence("A", 5))[0].field, "type");
}
