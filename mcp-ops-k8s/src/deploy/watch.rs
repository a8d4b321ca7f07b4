//! Waiting for a rollout by WATCH (list, then watch from the list's resourceVersion, as
//! `kubectl rollout status` does), re-establishing dropped watches with backoff, and deciding
//! every ADDED/MODIFIED object with [`super::status::decide`]. A 403 on the list or the watch
//! ends the wait at once with `Error::Forbidden` (waiting cannot grant the permission).
//!
//! An API server that goes away is noticed within the client's retry policy: after
//! [`RetryPolicy::max_attempts`](crate::RetryPolicy) consecutive failed re-lists or re-watches
//! (connection refused, no answer, 5xx) the wait ends with `Error::Unavailable` — "the API
//! server is unreachable (connection refused) since 12 s" — instead of waiting out its
//! timeout in silence. A frozen API server (accepting connections, answering nothing) would
//! leave a watch silent for minutes, so the wait also GETs the Deployment every
//! [`HEARTBEAT`] with the same bound: a GET that fails or does not answer counts as a failed
//! attempt, one that answers resets the count and decides the rollout too (an event the watch
//! missed cannot stall the wait).

use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::runtime::{WatchStreamExt, watcher};
use mcp_ops_core::types::DeploymentRef;
use mcp_ops_core::{Error, Result, RolloutStatus};

use super::status::decide;
use crate::cluster::KubeCluster;
use crate::error::Failure;

/// What one watch event means for the wait.
enum Step {
    Done(RolloutStatus),
    Gone,
    Continue,
}

fn on_event(ev: watcher::Event<Deployment>, listed: &mut bool) -> Step {
    match ev {
        watcher::Event::Apply(d) | watcher::Event::InitApply(d) => {
            *listed = true;
            let s = decide(&d);
            tracing::debug!(status = %s, "rollout status");
            if s.is_terminal() {
                Step::Done(s)
            } else {
                Step::Continue
            }
        }
        watcher::Event::Delete(_) => Step::Gone,
        watcher::Event::Init => {
            *listed = false;
            Step::Continue
        }
        watcher::Event::InitDone if !*listed => Step::Gone,
        watcher::Event::InitDone => Step::Continue,
    }
}

/// Consecutive transient failures of the watch, since when.
#[derive(Debug, Default)]
struct Outage {
    since: Option<Instant>,
    failures: u32,
}

/// The innermost cause of an error (`Connection refused (os error 111)` under kube's
/// `client error (Connect)`).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The failure in a few words: `connection refused`, `no answer within 30s`, `HTTP 503 …`.
fn short_reason(f: &Failure, cause: &str) -> String {
    let text = f.to_string();
    let lower = format!("{text} {cause}").to_lowercase();
    if lower.contains("connection refused") {
        "connection refused".to_owned()
    } else if lower.contains("connection reset") {
        "connection reset".to_owned()
    } else if let Some((i, _)) = text.char_indices().nth(160) {
        format!("{}…", &text[..i])
    } else {
        text
    }
}

/// How often the wait checks that the API server answers, and how long it waits for it.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(5);

impl Outage {
    /// Counts one failure (`reason` in a few words); past `budget` consecutive ones, the
    /// error to end the wait with.
    fn fail(&mut self, reason: &str, budget: u32) -> Option<Error> {
        let since = *self.since.get_or_insert_with(Instant::now);
        self.failures += 1;
        (self.failures >= budget).then(|| {
            Error::unavailable(
                crate::error::BACKEND,
                format!(
                    "the API server is unreachable ({reason}) since {} s ({} attempts)",
                    since.elapsed().as_secs(),
                    self.failures
                ),
            )
        })
    }
}

/// What one heartbeat GET says.
enum Beat {
    /// The server answered with the Deployment.
    Answered(Box<Deployment>),
    /// A failure that waiting cannot fix (403, 404): the wait ends with it.
    Fatal(Error),
    /// No answer, or a transient failure, in a few words.
    Missed(String),
}

async fn heartbeat(api: &kube::Api<Deployment>, target: &DeploymentRef) -> Beat {
    match tokio::time::timeout(HEARTBEAT, api.get(target.name.as_str())).await {
        Ok(Ok(d)) => Beat::Answered(Box::new(d)),
        Ok(Err(e)) => {
            let cause = root_cause(&e);
            let failure = Failure::from(e);
            if failure.is_transient() {
                Beat::Missed(short_reason(&failure, &cause))
            } else {
                Beat::Fatal(failure.into_core("deployment", &target.qualified()))
            }
        }
        Err(_) => Beat::Missed(format!("no answer within {} s", HEARTBEAT.as_secs())),
    }
}

impl KubeCluster {
    /// Waits by watch until the rollout of `target` is Complete or Failed.
    pub(crate) async fn watch_rollout(
        &self,
        target: &DeploymentRef,
        timeout: Duration,
    ) -> Result<RolloutStatus> {
        let (ns, name) = (target.namespace.as_str(), target.name.as_str());
        let current: Deployment = self.get("deployment", ns, name).await?;
        let now = decide(&current);
        if now.is_terminal() {
            return Ok(now);
        }
        let deadline = current
            .spec
            .as_ref()
            .and_then(|s| s.progress_deadline_seconds)
            .unwrap_or(600);
        if timeout < Duration::from_secs(u64::try_from(deadline).unwrap_or(0)) {
            tracing::warn!(
                deployment = %target, ?timeout, progress_deadline_seconds = deadline,
                "the wait is shorter than progressDeadlineSeconds: a stuck rollout may time out here before the controller marks it failed"
            );
        }
        let api = self.namespaced::<Deployment>(ns);
        let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let mut stream = watcher(api.clone(), config).default_backoff().boxed();
        let mut listed = false;
        let budget = self.retry_policy().max_attempts.max(2);
        let mut down = Outage::default();
        let mut beats =
            tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let wait = async {
            loop {
                let ev = tokio::select! {
                    ev = stream.next() => ev,
                    _ = beats.tick() => {
                        match heartbeat(&api, target).await {
                            Beat::Answered(d) => {
                                down = Outage::default();
                                let s = decide(&d);
                                if s.is_terminal() {
                                    return Ok(s);
                                }
                            }
                            Beat::Fatal(e) => return Err(e),
                            Beat::Missed(reason) => {
                                if let Some(e) = down.fail(&reason, budget) {
                                    return Err(e);
                                }
                            }
                        }
                        continue;
                    }
                };
                let Some(ev) = ev else { break };
                match ev {
                    Ok(ev) => {
                        down = Outage::default();
                        match on_event(ev, &mut listed) {
                            Step::Done(s) => return Ok(s),
                            Step::Gone => {
                                return Err(Error::not_found("deployment", target.qualified()));
                            }
                            Step::Continue => {}
                        }
                    }
                    Err(e) => {
                        let cause = root_cause(&e);
                        let failure = Failure::from(e);
                        // A refusal does not go away by watching again: fail now, typed.
                        if failure.is_forbidden() {
                            return Err(failure.into_core("deployment", &target.qualified()));
                        }
                        if failure.is_transient()
                            && let Some(e) = down.fail(&short_reason(&failure, &cause), budget)
                        {
                            return Err(e);
                        }
                        tracing::debug!(error = %failure, "watch interrupted; re-establishing");
                    }
                }
            }
            Err(Error::unavailable(
                crate::error::BACKEND,
                "the deployment watch ended",
            ))
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(r) => r,
            Err(_) => Err(Error::timeout(
                format!("rollout of {}", target.qualified()),
                timeout,
            )),
        }
    }
}
