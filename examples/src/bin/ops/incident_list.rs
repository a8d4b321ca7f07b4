//! `ops incident list`: the open incidents, whether their messages reached anyone, and every
//! message no channel delivered (dead letters included).

use mcp_ops_core::Incident;

use crate::Outcome;
use crate::backends::Backends;
use crate::cmd_incident::state;
use crate::incident_delivery;
use crate::output::{Report, Status, table, to_value};

/// `ops incident list`: the open incidents with the state of their messages, and every
/// message no channel delivered (dead letters included).
pub async fn list(open: Vec<Incident>, b: &Backends) -> Outcome {
    let failing = incident_delivery::failing(b, None).await?;
    let (failing, max) = failing.unwrap_or_default();
    let delivery = |i: &Incident| {
        let bad: Vec<_> = failing.iter().filter(|m| m.incident == i.id).collect();
        match bad.iter().filter(|m| m.undelivered()).count() {
            0 if bad.is_empty() => "delivered".to_owned(),
            0 => "some channels failing".to_owned(),
            n => format!("NOT DELIVERED ({n})"),
        }
    };
    let mut data = Vec::new();
    for i in &open {
        let mut v = to_value(i);
        if let Some(obj) = v.as_object_mut() {
            obj.insert(
                "delivery".to_owned(),
                serde_json::Value::String(delivery(i)),
            );
        }
        data.push(v);
    }
    let rows = open.iter().map(|i| {
        vec![
            i.id.to_string(),
            i.severity.to_string(),
            state(&i.state),
            format!("L{}", i.level),
            delivery(i),
            i.title.clone(),
        ]
    });
    let summary = format!("{} open incidents", open.len());
    let mut report = Report::new(
        "incident-list",
        Status::Ok,
        summary,
        serde_json::Value::Array(data),
    )
    .table(
        "Open incidents",
        table(
            &["ID", "SEVERITY", "STATE", "LEVEL", "DELIVERY", "TITLE"],
            rows,
        ),
    )
    .table(
        "Undelivered messages (each `ops incident tick` retries them)",
        incident_delivery::failures_table(&failing, max),
    );
    let dead = failing.iter().filter(|m| m.undelivered()).count();
    if dead > 0 {
        report.notes.push(format!(
            "{dead} message(s) reached no channel; `ops incident tick` retries them"
        ));
    }
    Ok(report)
}
