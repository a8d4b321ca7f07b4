//! The alerting part of [`assemble`](crate::assemble::assemble): incidents in the state
//! directory's file or in PostgreSQL (`--incidents-url`), run by the escalation engine with
//! the configured notifiers; alerts and silences in Alertmanager, else the embedded stand-in,
//! else [`NotConfigured`]. The engine comes from [`AlertsBackends`] (the SDK's wiring).

use std::sync::Arc;

use mcp_ops_alerts::AlertsBackends;
use mcp_ops_alerts::escalation::{
    EscalationEngine, EscalationStore, FileEscalationStore, PgEscalationStore,
};
use mcp_ops_core::backends::{EscalatorRouter, NotConfigured};
use mcp_ops_core::{Escalator, Notifier};

use crate::Failure;
use crate::assemble::Ledger;
use crate::backends::Embedded;
use crate::endpoints::Endpoints;
use crate::incident_store::MigratedOnUse;

/// The escalator, the notifiers of maintenance notices, and the engine behind incidents
/// (`None` on the drill's stand-ins).
pub(crate) type Alerting = (
    Arc<dyn Escalator>,
    Vec<Arc<dyn Notifier>>,
    Option<Arc<EscalationEngine>>,
);

/// The escalator (incidents routed to the engine, alerts to Alertmanager or a stand-in) and
/// the notifiers maintenance notices go to. Without `endpoints` (the drill) everything is
/// the embedded stand-in.
pub(crate) fn alerting(
    e: Option<&Endpoints>,
    stand_in: Option<&Embedded>,
    ledger: &mut Ledger,
) -> Result<Alerting, Failure> {
    Ok(match e {
        Some(e) => {
            let (store, kept): (Arc<dyn EscalationStore>, String) =
                match (e.incidents_backend()?, &e.incidents) {
                    (Some(pg), Some(config)) => {
                        let store = MigratedOnUse::new(PgEscalationStore::new(pg.pool().clone()));
                        (Arc::new(store), format!("postgres {}", config.target()))
                    }
                    _ => {
                        let store =
                            FileEscalationStore::new(e.incidents_file()).map_err(|err| {
                                Failure::BadInput(format!(
                                    "state directory {}: {err}",
                                    e.state_dir.display()
                                ))
                            })?;
                        (Arc::new(store), e.incidents_file().display().to_string())
                    }
                };
            let notifiers = e
                .alerts
                .notifiers()
                .map_err(|err| Failure::BadInput(err.to_string()))?;
            let mut wiring = AlertsBackends::new().with_store(store);
            for n in &notifiers {
                wiring = wiring.with_notifier(n.clone());
            }
            let channels: Vec<&str> = notifiers.iter().map(|n| n.channel()).collect();
            if channels.is_empty() {
                ledger.notify_note = Some("no notifier configured (MCP_OPS_SLACK_WEBHOOK_URL, MCP_OPS_PAGERDUTY_ROUTING_KEY, MCP_OPS_SMTP_HOST): incident messages are shown here, not sent".to_owned());
            }
            ledger.sources.push(format!(
                "incidents: {kept} (notify: {})",
                if channels.is_empty() {
                    "nobody".to_owned()
                } else {
                    channels.join(", ")
                }
            ));
            let alerts: Arc<dyn Escalator>;
            let engine = match (&e.alertmanager, stand_in) {
                (Some(am), _) => {
                    ledger.sources.push("alerts: alertmanager".to_owned());
                    let engine = Arc::new(wiring.with_alertmanager(am.clone()).engine());
                    alerts = engine.clone();
                    engine
                }
                (None, Some(s)) => {
                    ledger.sources.push("alerts: in-memory".to_owned());
                    alerts = Arc::new(s.alerting.clone());
                    Arc::new(wiring.engine())
                }
                (None, None) => {
                    ledger.sources.push("alerts: not configured".to_owned());
                    alerts = Arc::new(NotConfigured::ALERTMANAGER);
                    Arc::new(wiring.engine())
                }
            };
            let mut maintenance_notifiers = notifiers;
            if let (true, Some(s)) = (maintenance_notifiers.is_empty(), stand_in) {
                maintenance_notifiers.push(s.slack.clone());
            }
            (
                Arc::new(EscalatorRouter {
                    incidents: engine.clone(),
                    alerts,
                }),
                maintenance_notifiers,
                Some(engine),
            )
        }
        None => match stand_in {
            Some(s) => {
                ledger
                    .sources
                    .push("incidents and alerts: in-memory".to_owned());
                (
                    Arc::new(s.alerting.clone()) as Arc<dyn Escalator>,
                    vec![s.slack.clone() as Arc<dyn Notifier>],
                    None,
                )
            }
            None => (Arc::new(NotConfigured::ALERTMANAGER), Vec::new(), None),
        },
    })
}
