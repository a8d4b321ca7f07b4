//! The garbage collector: deletes objects whose owners are all gone.

use super::super::json;
use super::super::resources::RESOURCES;
use super::Ctx;
use serde_json::Value;

/// Deletes every object all of whose ownerReferences point at missing uids.
pub fn collect(ctx: &mut Ctx<'_>) {
    let uids = ctx.store.all_uids();
    for rt in RESOURCES.iter().filter(|r| r.group != "metrics.k8s.io") {
        let (objs, _) = ctx.store.list(rt, None);
        for o in objs {
            let Some(refs) =
                json::at(&o, &["metadata", "ownerReferences"]).and_then(Value::as_array)
            else {
                continue;
            };
            if !refs.is_empty()
                && refs
                    .iter()
                    .all(|r| !uids.contains(json::str_at(r, &["uid"])))
            {
                ctx.delete(rt, json::namespace(&o), json::name(&o));
            }
        }
    }
}
