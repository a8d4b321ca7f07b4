//! `ops drill --enforce-changes`: the game day under change management. Before the bad
//! deploy a change request is opened by the on-call engineer and approved by a second
//! person who holds the role its risk needs (the runbook's team: `oncall` requests,
//! `engineering-manager` approves the Medium release); the deploy runs with `--change`;
//! its automatic rollback is a break-glass that opens a retroactive change request, shown
//! in the report with the approved one.

use std::time::Duration;

use mcp_ops_core::IncidentId;
use mcp_ops_core::audit::{AuditDraft, AuditKind, drafts_from_journal};
use mcp_ops_core::change::{
    Approval, ChangeDraft, ChangeGate, ChangeRequest, ChangeSpec, ChangeStatus, ChangeWindow,
    Person,
};
use mcp_ops_core::platform::Platform;
use mcp_ops_core::runbook::{Context, Journal};
use mcp_ops_core::types::ImageRef;
use serde_json::{Value, json};

use crate::Failure;
use crate::backends::Backends;
use crate::change_setup::ChangeSetup;

/// The approved change the drill's deploy runs under.
pub struct DrillChange {
    /// Where it is kept (in memory).
    pub setup: ChangeSetup,
    /// The approved change request.
    pub approved: ChangeRequest,
    /// Who requested it (and runs the deploy).
    pub requester: String,
}

/// The requester: `oncall` when the team has it, else the first person holding no role,
/// else the first person.
fn requester(p: &Platform) -> Result<&Person, Failure> {
    let people = p.team.people();
    people
        .iter()
        .find(|x| x.handle == "oncall")
        .or_else(|| people.iter().find(|x| x.roles.is_empty()))
        .or_else(|| people.first())
        .ok_or_else(|| {
            Failure::BadInput(
                "--enforce-changes: the platform's team is empty: add [[team]] entries".to_owned(),
            )
        })
}

/// Requests the deploy of `image` as the on-call engineer and has it approved by the people
/// its risk needs, journaled in `ctx` and in the drill's persisted journal.
pub async fn prepare(
    p: &Platform,
    image: &ImageRef,
    ctx: &Context,
    b: &Backends,
) -> Result<DrillChange, Failure> {
    let setup = b.changes.clone().unwrap_or_else(ChangeSetup::memory);
    let api = p.api();
    let container = api
        .containers
        .first()
        .ok_or_else(|| Failure::BadInput("the API deployment has no container".to_owned()))?;
    let running = b.deployer.deployment(&api.reference).await?;
    let spec = ChangeSpec::Deploy {
        deployment: api.reference.clone(),
        container: container.name.clone(),
        image: image.clone(),
        from: running.images.get(&container.name).cloned(),
    };
    let who = requester(p)?.handle.clone();
    let now = b.clock.now();
    let draft = ChangeDraft {
        spec,
        window: ChangeWindow::new(now, Duration::from_secs(30 * 60))?,
        rollback_plan: format!(
            "kubectl rollout undo deployment/{} -n {}",
            api.reference.name, api.reference.namespace
        ),
        description: format!("Game day: deploy {image}"),
        requester: who.clone(),
        requested_risk: None,
    };
    let year = now.to_zoned(mcp_ops_core::jiff::tz::TimeZone::UTC).year();
    let cr = setup
        .store
        .create(year, &|id| ChangeRequest::new(id, draft.clone(), now))
        .await?;
    let target = api.reference.to_string();
    ctx.note(
        "change request",
        &target,
        format!(
            "{} requested by {who}: {} risk ({})",
            cr.id, cr.risk, cr.derived_risk.why
        ),
    );
    let mut drafts = vec![audit(
        now,
        &who,
        AuditKind::ChangeRequested,
        &cr,
        "requested",
    )];
    // One approver per required role, each a different person who is not the requester.
    let mut approvers: Vec<String> = Vec::new();
    for role in p.changes.required(cr.risk).to_vec() {
        let Some(person) = p
            .team
            .holders(role)
            .into_iter()
            .find(|x| x.handle != who && !approvers.contains(&x.handle))
        else {
            return Err(Failure::BadInput(format!(
                "--enforce-changes: nobody besides {who} holds the role {role} in the platform's team"
            )));
        };
        approvers.push(person.handle.clone());
        let (handle, policy, team) = (person.handle.clone(), p.changes.clone(), p.team.clone());
        setup
            .store
            .modify(&cr.id, &|mut c: ChangeRequest| {
                policy
                    .may_approve(&c, &handle, role, &team, now)
                    .map_err(|r| mcp_ops_core::Error::ChangeRefused(Box::new(r)))?;
                let digest = c.digest();
                c.approvals.push(Approval {
                    by: handle.clone(),
                    role,
                    at: now,
                    comment: Some("game day".to_owned()),
                    digest,
                });
                Ok(c)
            })
            .await?;
        ctx.note(
            "change approval",
            &target,
            format!("{} approved by {handle} as {role}", cr.id),
        );
        drafts.push(audit(
            now,
            &handle,
            AuditKind::ChangeApproved,
            &cr,
            &format!("approved as {role}"),
        ));
    }
    setup.audit.append(drafts).await?;
    let approved = setup
        .store
        .get(&cr.id)
        .await?
        .ok_or_else(|| Failure::Failed(format!("{} vanished from the store", cr.id)))?;
    Ok(DrillChange {
        setup,
        approved,
        requester: who,
    })
}

fn audit(
    at: mcp_ops_core::jiff::Timestamp,
    actor: &str,
    kind: AuditKind,
    cr: &ChangeRequest,
    what: &str,
) -> AuditDraft {
    let mut d = AuditDraft::new(at, actor, kind, &format!("{what} {}", cr.id))
        .with_change(Some(cr.id.as_str()));
    d.digest = Some(cr.digest());
    d
}

impl DrillChange {
    /// The enforcing gate the deploy runs under, naming the approved change.
    pub fn gate(&self, p: &Platform, b: &Backends) -> ChangeGate {
        let mut policy = p.changes.clone();
        policy.enforce = true;
        ChangeGate::new(self.setup.store.clone(), policy, p.team.clone())
            .with_change(Some(self.approved.id.clone()))
            .with_notifiers(b.notifiers.clone())
            .with_audit(self.setup.audit.clone())
    }

    /// After the deploy: the drill's journal appended to the (in-memory) persisted journal
    /// and its chain verified; the retroactive change request of the break-glass rollback,
    /// if one was opened; the report's check rows, Markdown and JSON.
    pub async fn finish(
        &self,
        p: &Platform,
        b: &Backends,
        journal: &Journal,
        incident: Option<&IncidentId>,
    ) -> Result<Outcome, Failure> {
        let now = b.clock.now();
        self.setup
            .audit
            .append(drafts_from_journal(
                journal,
                &self.requester,
                Some(self.approved.id.as_str()),
                incident.map(IncidentId::as_str),
            ))
            .await?;
        let chain = self.setup.audit.verify().await?;
        let all = self.setup.store.list().await?;
        let retro = all
            .iter()
            .find(|c| c.is_retroactive() && c.id != self.approved.id)
            .cloned();
        let approved_ok = p.changes.review(&self.approved, &p.team).is_complete()
            && self
                .approved
                .approvals
                .iter()
                .all(|a| a.by != self.requester);
        let awaiting = retro
            .as_ref()
            .is_some_and(|c| p.changes.status(c, &p.team, now) == ChangeStatus::AwaitingReview);
        let mut md = self.approved.to_markdown(&p.changes, &p.team, now);
        if let Some(c) = &retro {
            md.push_str("\n\n");
            md.push_str(&c.to_markdown(&p.changes, &p.team, now));
        }
        Ok(Outcome {
            rows: vec![
                (
                    format!(
                        "{} requested by {} and approved by another person",
                        self.approved.id, self.requester
                    ),
                    approved_ok,
                ),
                (
                    match &retro {
                        Some(c) => format!(
                            "rollback as break-glass: retroactive {} awaiting review",
                            c.id
                        ),
                        None => "rollback as break-glass: retroactive change request".to_owned(),
                    },
                    awaiting,
                ),
                (
                    format!("journal hash chain intact ({} records)", chain.records),
                    chain.intact(),
                ),
            ],
            markdown: md,
            json: json!({"approved": crate::output::to_value(&self.approved),
                         "retroactive": crate::output::to_value(&retro)}),
        })
    }
}

/// What the enforce-mode drill adds to the report.
pub struct Outcome {
    /// Check rows (what, passed).
    pub rows: Vec<(String, bool)>,
    /// The CR documents.
    pub markdown: String,
    /// The change requests.
    pub json: Value,
}
