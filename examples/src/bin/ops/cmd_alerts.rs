//! `ops alerts`: the alerts firing now (Alertmanager API v2; read only).

use mcp_ops_core::escalation::{Alert, AlertFilter, AlertState};
use serde_json::json;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, table, to_value};
use crate::{Outcome, context};

/// The equivalent read (Alertmanager API v2, as `ops silence` writes).
const LIST_ALERTS: &str = "curl $ALERTMANAGER/api/v2/alerts";

/// `ops alerts`: every alert Alertmanager holds now, silenced ones included (their state
/// says so).
///
/// Fails closed: when Alertmanager is not configured or cannot be read, the report's status
/// is `failed` (exit 1) with the reason and `report.alerts` is `null` — never "no alerts".
/// A list that was read is `ok` (exit 0) even while alerts fire; the summary counts them.
pub async fn alerts(g: &Global, b: &Backends) -> Outcome {
    let ctx = context("alerts", "ops alerts", g, b)?;
    let filter = AlertFilter {
        matchers: Vec::new(),
        include_silenced: true,
    };
    let read = ctx
        .step("list alerts", "alertmanager")
        .command(LIST_ALERTS)
        .read(
            || b.escalator.alerts(&filter),
            |a| format!("{} alerts", a.len()),
        )
        .await;
    let journal = ctx.journal().entries();
    let mut alerts = match read {
        Ok(alerts) => alerts,
        Err(e) => {
            let why = e.to_string();
            return Ok(Report::new(
                "alerts",
                Status::Failed,
                format!("alerts: unknown: {why}"),
                json!({"alerts": null, "error": why}),
            )
            .journal(journal));
        }
    };
    alerts.sort_by(|a, b| {
        let key = |x: &Alert| {
            (
                x.state != AlertState::Active,
                x.starts_at,
                x.labels.get("alertname").cloned(),
            )
        };
        key(a).cmp(&key(b))
    });
    let active = alerts
        .iter()
        .filter(|a| a.state == AlertState::Active)
        .count();
    let summary = match alerts.len() {
        0 => "alerts: none firing".to_owned(),
        n => format!(
            "alerts: {active} firing, {} silenced or unprocessed ({n} in all)",
            n - active
        ),
    };
    Ok(Report::new(
        "alerts",
        Status::Ok,
        summary,
        json!({"alerts": to_value(&alerts), "error": null}),
    )
    .table("Alerts (firing first)", alerts_table(&alerts))
    .journal(journal))
}

fn state_word(state: AlertState) -> &'static str {
    match state {
        AlertState::Active => "firing",
        AlertState::Suppressed => "silenced",
        AlertState::Unprocessed => "unprocessed",
        _ => "other",
    }
}

fn alerts_table(alerts: &[Alert]) -> comfy_table::Table {
    let rows = alerts.iter().map(|a| {
        let label = |k: &str| a.labels.get(k).cloned().unwrap_or_default();
        let other: Vec<String> = a
            .labels
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "alertname" | "severity"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let summary = a
            .annotations
            .get("summary")
            .cloned()
            .unwrap_or_else(|| other.join(", "));
        vec![
            label("alertname"),
            label("severity"),
            state_word(a.state).to_owned(),
            a.starts_at.to_string(),
            summary,
        ]
    });
    table(
        &[
            "ALERTNAME",
            "SEVERITY",
            "STATE",
            "SINCE",
            "SUMMARY / LABELS",
        ],
        rows,
    )
}
