//! What a call naming a change request must also satisfy through `ops mcp`, beyond the change
//! policy: the request covers exactly this call (every argument, not only the change it
//! describes), it has not run yet (one approval, one execution), and a configuration backup
//! restores into a namespace of the scope. And: one break-glass rollback per deployment until
//! a person has reviewed it.

use mcp_ops_core::BackupId;
use mcp_ops_core::audit::{AuditKind, canonical_json};
use mcp_ops_core::change::{ChangeId, ChangeSpec};
use mcp_ops_core::platform::AgentScope;
use serde_json::Value;

use super::run::Call;
use crate::backends::Backends;

/// The prefix of the line that binds a change request to the call it was opened for.
pub const BINDING: &str = "ops mcp call: ";

/// The binding line of `call`: its tool and every argument but `change`, canonical.
pub fn binding(call: &Call) -> String {
    let mut args = call.args.clone();
    args.remove("change");
    // A secret typed into an argument is not kept in the change request.
    let mut args = Value::Object(args);
    mcp_ops_core::redact_json(&mut args);
    format!("{BINDING}{} {}", call.def.name, canonical_json(&args))
}

/// The procedure name of the journal record that claims a change request's one execution.
pub const CLAIM: &str = "mcp:claim";

/// Change requests claimed for execution by this process (the journal holds the claims of
/// every process; this closes the window before the first claim is written).
fn claimed() -> &'static std::sync::Mutex<std::collections::BTreeSet<String>> {
    static CLAIMED: std::sync::OnceLock<std::sync::Mutex<std::collections::BTreeSet<String>>> =
        std::sync::OnceLock::new();
    CLAIMED.get_or_init(Default::default)
}

/// Claims change request `change`'s one execution for `call` — only when the change policy
/// authorizes it now (otherwise the procedure's gate refuses and journals why, and the
/// request stays usable once it is approved): in this process, then in the journal, before
/// anything changes. A retry while the first run is still going is refused.
///
/// # Errors
/// One line: the request is running or ran, or the claim cannot be journaled.
pub async fn claim(
    b: &Backends,
    g: &crate::cli::Global,
    call: &Call,
    kind: &crate::cli_change::RequestKind,
    change: &str,
) -> Result<(), String> {
    let (Some(setup), Ok(id)) = (&b.changes, change.parse::<ChangeId>()) else {
        return Ok(());
    };
    let Ok(Some(cr)) = setup.store.get(&id).await else {
        return Ok(());
    };
    let Ok(spec) = crate::change_spec::spec_of(kind, g, b).await else {
        return Ok(());
    };
    if g.platform
        .changes
        .authorize(&cr, &spec, &g.platform.team, b.clock.now())
        .is_err()
    {
        return Ok(());
    }
    let fresh = claimed()
        .lock()
        .map(|mut set| set.insert(id.as_str().to_owned()))
        .unwrap_or(false);
    if !fresh {
        return Err(format!(
            "{id} is running or already ran on this server: one approval, one execution"
        ));
    }
    let mut draft = mcp_ops_core::audit::AuditDraft::new(
        b.clock.now(),
        &call.caller,
        AuditKind::Note,
        &format!(
            "execution of {id} claimed by {} through ops mcp ({}) for {}",
            call.caller,
            client_label(&call.client),
            call.def.name
        ),
    )
    .with_change(Some(id.as_str()));
    draft.procedure = Some(CLAIM.to_owned());
    setup
        .audit
        .append(vec![draft])
        .await
        .map(|_| ())
        .map_err(|e| format!("the claim of {id} was not journaled, nothing ran: {e}"))
}

/// The client's name as journals and change requests show it: quoted, printable, short.
pub fn client_label(client: &str) -> String {
    let clean: String = client
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    format!("{clean:?}")
}

/// Text cut to `max` characters (with `…`).
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Checks that change request `id` was opened by `ops mcp` for exactly `call`, and has not
/// changed anything yet.
///
/// # Errors
/// The refusal, in one line (`Ok` when the request does not exist: the change policy
/// refuses that itself, journaled).
pub async fn admissible(b: &Backends, call: &Call, change: &str) -> Result<(), String> {
    let Some(setup) = &b.changes else {
        return Ok(());
    };
    let Ok(id) = change.parse::<ChangeId>() else {
        return Ok(());
    };
    let cr = setup
        .store
        .get(&id)
        .await
        .map_err(|e| format!("the change store cannot be read: {e}"))?;
    if let Some(cr) = cr
        && cr.break_glass.is_none()
        && !cr.description.ends_with(&binding(call))
    {
        return Err(format!(
            "{id} does not cover this call: through ops mcp a change request runs only the exact call it was opened for ({}); call {} without change to open one for these arguments",
            cut(
                cr.description
                    .rsplit_once(BINDING)
                    .map_or("it was not opened by ops mcp", |(_, c)| c),
                300
            ),
            call.def.name
        ));
    }
    let records = setup
        .audit
        .records()
        .await
        .map_err(|e| format!("the journal cannot be read: {e}"))?;
    let ran = records.iter().find(|r| {
        r.draft.change.as_deref() == Some(id.as_str())
            && ((r.draft.kind == AuditKind::Step
                && r.draft.step.as_ref().is_some_and(|s| s.mutating))
                || r.draft.procedure.as_deref() == Some(CLAIM))
    });
    if let Some(r) = ran {
        return Err(format!(
            "{id} already ran or is running (journal record {} at {}): one approval, one execution; call {} without change to open a new change request",
            r.seq, r.draft.at, call.def.name
        ));
    }
    Ok(())
}

/// For `restore_config`: the backup must be a configuration backup this server keeps, of a
/// namespace in the scope.
///
/// # Errors
/// One line: bad input (not a configuration backup here), or the scope's refusal.
pub async fn config_backup(
    b: &Backends,
    scope: &AgentScope,
    id: &str,
) -> Result<(), (bool, String)> {
    let Some(config) = &b.config_backups else {
        return Err((
            true,
            "restore_config: this server keeps no configuration backups (start it with --backup-dir)"
                .to_owned(),
        ));
    };
    let id = BackupId::new(id).map_err(|e| (true, e.to_string()))?;
    let manifest = config
        .manifest(&id)
        .await
        .map_err(|e| (true, cut(&e.to_string(), 300)))?;
    if !scope.allows_namespace(manifest.namespace.as_str()) {
        return Err((
            false,
            format!(
                "outside this server's scope: {id} restores namespace {:?} (see [mcp] in the platform file)",
                manifest.namespace.as_str()
            ),
        ));
    }
    Ok(())
}

/// A break-glass rollback of `namespace/deployment` that no person has reviewed yet.
///
/// # Errors
/// When the change store cannot be read.
pub async fn open_break_glass(
    b: &Backends,
    namespace: &str,
    deployment: &str,
) -> Result<Option<ChangeId>, String> {
    let Some(setup) = &b.changes else {
        return Ok(None);
    };
    let all = setup
        .store
        .list()
        .await
        .map_err(|e| format!("the change store cannot be read: {e}"))?;
    let target = format!("{namespace}/{deployment}");
    Ok(all
        .into_iter()
        .find(|cr| {
            cr.break_glass.is_some()
                && cr.approvals.is_empty()
                && cr.rejection.is_none()
                && matches!(&cr.spec, ChangeSpec::Rollback { deployment } if deployment.to_string() == target)
        })
        .map(|cr| cr.id))
}
