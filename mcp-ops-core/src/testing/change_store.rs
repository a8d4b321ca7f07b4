//! The `ChangeStore` contracts: numbering, reads, atomic modification, and concurrency
//! through several store values over the same state (as separate `ops` processes have).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;

use super::{ContractViolation, ensure, step};
use crate::change::{
    Approval, ChangeDraft, ChangeId, ChangeRequest, ChangeSpec, ChangeStore, ChangeWindow,
    Rejection, TeamRole,
};
use crate::{Error, Result};

const C: &str = "change store";
const CC: &str = "change store concurrency";
/// Years the suites number in, far from real requests.
const YEAR: i16 = 2091;
const OTHER_YEAR: i16 = 2092;
const CONCURRENT_YEAR: i16 = 2093;

fn now() -> Timestamp {
    Timestamp::from_second(3_900_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A change request for `id` (a scale of the runbook's API deployment).
fn sample(id: ChangeId, replicas: u32) -> Result<ChangeRequest> {
    let draft = ChangeDraft {
        spec: ChangeSpec::Scale {
            deployment: "mcp-production/mcp-typescript-api".parse()?,
            replicas: crate::types::Replicas::new(replicas)?,
        },
        window: ChangeWindow::new(now(), Duration::from_secs(3600))?,
        rollback_plan: "scale back to 3".to_owned(),
        description: "contract suite".to_owned(),
        requester: "contract-requester".to_owned(),
        requested_risk: None,
    };
    ChangeRequest::new(id, draft, now())
}

fn approval(cr: &ChangeRequest, by: String) -> Approval {
    Approval {
        by,
        role: TeamRole::TeamLead,
        at: now(),
        comment: Some("contract".to_owned()),
        digest: cr.digest(),
    }
}

/// Checks one store: ids are sequential per year (`CR-2091-n`, `n+1`; another year numbers
/// on its own), a created request reads back equal through `get` and `list` (ordered by id),
/// an unknown id reads as `None`, `modify` keeps what its change returns, `modify` of an
/// unknown id is `NotFound`, and a `make` or `change` that fails — or a change that alters
/// the id — writes nothing. The store may hold other requests, but none of years 2091–2092.
///
/// # Errors
/// The first rule the store breaks.
pub async fn change_store_contract(store: &dyn ChangeStore) -> Result<(), ContractViolation> {
    let first = step(C, "create", store.create(YEAR, &|id| sample(id, 4)).await)?;
    let second = step(C, "create", store.create(YEAR, &|id| sample(id, 5)).await)?;
    ensure(
        C,
        first.id.year() == YEAR && second.id.year() == YEAR,
        || {
            format!(
                "ids of year {YEAR} came out as {} and {}",
                first.id, second.id
            )
        },
    )?;
    ensure(C, second.id.number() == first.id.number() + 1, || {
        format!("ids are not sequential: {} then {}", first.id, second.id)
    })?;
    let other = step(
        C,
        "create",
        store.create(OTHER_YEAR, &|id| sample(id, 6)).await,
    )?;
    let third = step(C, "create", store.create(YEAR, &|id| sample(id, 7)).await)?;
    ensure(C, other.id.year() == OTHER_YEAR, || {
        format!("a request of {OTHER_YEAR} got {}", other.id)
    })?;
    ensure(C, third.id.number() == second.id.number() + 1, || {
        format!(
            "a request of another year broke the numbering: {} then {}",
            second.id, third.id
        )
    })?;

    // A failing make stores nothing and does not break the numbering.
    let before = step(C, "list", store.list().await)?;
    let failed = store
        .create(YEAR, &|_| Err(Error::invalid("contract", "make fails")))
        .await;
    ensure(C, failed.is_err(), || {
        "a failing make was stored".to_owned()
    })?;
    let wrong = store
        .create(YEAR, &|_| sample(ChangeId::new(YEAR, 999_999)?, 1))
        .await;
    ensure(C, wrong.is_err(), || {
        "a request carrying another id than the one assigned was stored".to_owned()
    })?;
    let after = step(C, "list", store.list().await)?;
    ensure(C, before == after, || {
        "a failed create changed the stored requests".to_owned()
    })?;
    let fourth = step(C, "create", store.create(YEAR, &|id| sample(id, 8)).await)?;
    ensure(C, fourth.id.number() > third.id.number(), || {
        format!(
            "after a failed create the next id is {}, not after {}",
            fourth.id, third.id
        )
    })?;

    // Reads.
    let got = step(C, "get", store.get(&first.id).await)?;
    ensure(C, got.as_ref() == Some(&first), || {
        format!("get({}) does not return what was created", first.id)
    })?;
    let unknown = ChangeId::new(YEAR, 999_998).map_err(|e| ContractViolation {
        contract: C,
        rule: e.to_string(),
    })?;
    let none = step(C, "get unknown", store.get(&unknown).await)?;
    ensure(C, none.is_none(), || {
        format!("get({unknown}) found something")
    })?;
    let all = step(C, "list", store.list().await)?;
    let ids: Vec<&ChangeId> = all.iter().map(|c| &c.id).collect();
    ensure(C, ids.windows(2).all(|w| w[0] < w[1]), || {
        format!("list is not ordered by id: {ids:?}")
    })?;
    for cr in [&first, &second, &other, &third, &fourth] {
        ensure(C, all.contains(cr), || format!("list lacks {}", cr.id))?;
    }

    // Modify.
    let approved = step(
        C,
        "modify",
        store
            .modify(&first.id, &|mut cr| {
                let a = approval(&cr, "contract-approver".to_owned());
                cr.approvals.push(a);
                Ok(cr)
            })
            .await,
    )?;
    ensure(C, approved.approvals.len() == 1, || {
        "modify did not return the changed request".to_owned()
    })?;
    let reread = step(C, "get", store.get(&first.id).await)?;
    ensure(C, reread.as_ref() == Some(&approved), || {
        "modify's result is not what get reads back".to_owned()
    })?;
    let missing = store.modify(&unknown, &|cr| Ok(cr)).await;
    ensure(C, matches!(missing, Err(Error::NotFound { .. })), || {
        format!("modify of an unknown id gave {missing:?}, not NotFound")
    })?;
    let aborted = store
        .modify(&first.id, &|mut cr| {
            cr.rejection = Some(Rejection {
                by: "contract-approver".to_owned(),
                at: now(),
                comment: "must not be kept".to_owned(),
            });
            Err(Error::conflict("contract", "change aborts"))
        })
        .await;
    ensure(C, aborted.is_err(), || {
        "an aborting change succeeded".to_owned()
    })?;
    let renamed = store
        .modify(&first.id, &|mut cr| {
            cr.id = ChangeId::new(YEAR, 999_997)?;
            Ok(cr)
        })
        .await;
    ensure(C, renamed.is_err(), || {
        "a change that alters the id was kept".to_owned()
    })?;
    let unchanged = step(C, "get", store.get(&first.id).await)?;
    ensure(C, unchanged.as_ref() == Some(&approved), || {
        "an aborted or refused change wrote something".to_owned()
    })?;
    let gone = step(
        C,
        "get",
        store
            .get(
                &ChangeId::new(YEAR, 999_997).map_err(|e| ContractViolation {
                    contract: C,
                    rule: e.to_string(),
                })?,
            )
            .await,
    )?;
    ensure(C, gone.is_none(), || {
        "a change that alters the id stored a new request".to_owned()
    })?;
    Ok(())
}

/// Checks that nothing is lost when `stores` (store values over one state) are used at once:
/// 50 concurrent creates give 50 distinct ids, and 20 concurrent approvals of one request
/// are all kept. The state must hold no request of year 2093.
///
/// # Errors
/// The first rule the stores break.
pub async fn change_store_concurrency_contract(
    stores: &[Arc<dyn ChangeStore>],
) -> Result<(), ContractViolation> {
    const CREATES: usize = 50;
    const APPROVALS: usize = 20;
    ensure(CC, !stores.is_empty(), || {
        "the suite needs at least one store".to_owned()
    })?;
    let at = |k: usize| stores[k % stores.len()].clone();

    let created = join_all((0..CREATES).map(|k| {
        let s = at(k);
        async move { s.create(CONCURRENT_YEAR, &|id| sample(id, 3)).await }
    }))
    .await;
    let mut ids = BTreeSet::new();
    for r in created {
        ids.insert(step(CC, "concurrent create", r)?.id);
    }
    ensure(CC, ids.len() == CREATES, || {
        format!(
            "{CREATES} concurrent creates gave {} distinct ids",
            ids.len()
        )
    })?;
    let listed = step(CC, "list", at(0).list().await)?;
    let stored = listed
        .iter()
        .filter(|c| c.id.year() == CONCURRENT_YEAR)
        .count();
    ensure(CC, stored == CREATES, || {
        format!("{CREATES} concurrent creates left {stored} requests")
    })?;

    let Some(target) = ids.first().cloned() else {
        return Err(ContractViolation {
            contract: CC,
            rule: "no request was created".to_owned(),
        });
    };
    let approved = join_all((0..APPROVALS).map(|k| {
        let (s, target) = (at(k), target.clone());
        async move {
            s.modify(&target, &move |mut cr| {
                let a = approval(&cr, format!("approver-{k:02}"));
                cr.approvals.push(a);
                Ok(cr)
            })
            .await
        }
    }))
    .await;
    for r in approved {
        step(CC, "concurrent modify", r)?;
    }
    let last = step(CC, "get", at(1).get(&target).await)?;
    let kept: BTreeSet<String> = last
        .map(|cr| cr.approvals.into_iter().map(|a| a.by).collect())
        .unwrap_or_default();
    ensure(CC, kept.len() == APPROVALS, || {
        format!(
            "{APPROVALS} concurrent approvals of {target} kept {}",
            kept.len()
        )
    })?;
    Ok(())
}
