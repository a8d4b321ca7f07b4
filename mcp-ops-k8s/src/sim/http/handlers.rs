//! The verbs on resources: get, list, create, update, patch, delete, deletecollection,
//! and the `scale` / `status` subresources.

use super::super::json::{self, str_at};
use super::super::patch::{self, PatchType};
use super::super::selectors::{FieldSelector, LabelSelector};
use super::super::status::ApiError;
use super::super::store::{Propagation, Target};
use super::super::validation;
use super::protobuf;
use super::query::Wants;
use super::table::{self, Include};
use super::{App, ResourceRequest, body, json_response, logs, watch};
use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

fn reply(code: u16, v: &Value) -> Result<Response, ApiError> {
    Ok(json_response(code, v, "application/json"))
}

/// Dispatches a resource request by method and shape.
pub async fn handle(app: &Arc<App>, req: ResourceRequest) -> Result<Response, ApiError> {
    let ns = req.ns.clone().unwrap_or_default();
    match (&req.method, req.name.as_deref(), req.sub.as_deref()) {
        (&Method::GET, None, _) if req.query.flag("watch") => watch::serve(app, &req),
        (&Method::GET, None, _) => list(app, &req),
        (&Method::GET, Some(name), Some("scale")) => {
            reply(200, &scale_view(&get(app, &req, &ns, name)?))
        }
        (&Method::GET, Some(name), Some("log")) => logs::serve(app, &req, &ns, name),
        (&Method::GET, Some(name), _) => {
            let obj = get(app, &req, &ns, name)?;
            if req.wants == Wants::Table {
                let include = Include::parse(req.query.get("includeObject"));
                let rv = app.store.resource_version();
                return reply(
                    200,
                    &table::table(
                        req.rt,
                        &[Arc::new(obj)],
                        include,
                        rv,
                        None,
                        app.store.clock().now(),
                    ),
                );
            }
            reply(200, &req.out(obj))
        }
        (&Method::POST, None, None) => create(app, &req, &ns),
        (&Method::PUT, Some(name), sub) => update(app, &req, &ns, name, sub),
        (&Method::PATCH, Some(name), sub) => patch(app, &req, &ns, name, sub),
        (&Method::DELETE, Some(name), None) => delete(app, &req, &ns, name),
        (&Method::DELETE, None, None) => delete_collection(app, &req),
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn get(app: &App, req: &ResourceRequest, ns: &str, name: &str) -> Result<Value, ApiError> {
    app.store
        .get(req.rt, ns, name)
        .ok_or_else(|| ApiError::not_found(req.rt, name))
}

fn body_json(req: &ResourceRequest) -> Result<Value, ApiError> {
    body::object(&req.content_type, &req.body)
}

/// Label and field selector filtering shared by list, watch and deletecollection.
pub fn selectors(req: &ResourceRequest) -> Result<(LabelSelector, FieldSelector), ApiError> {
    Ok((
        LabelSelector::parse(req.query.get("labelSelector").unwrap_or(""))?,
        FieldSelector::parse(req.query.get("fieldSelector").unwrap_or(""))?,
    ))
}

fn list(app: &App, req: &ResourceRequest) -> Result<Response, ApiError> {
    let (ls, fs) = selectors(req)?;
    let (items, rv) = app.store.list(req.rt, req.ns.as_deref());
    let after = req.query.get("continue").unwrap_or("").to_string();
    let mut matched: Vec<Arc<Value>> = items
        .into_iter()
        .filter(|o| ls.matches(&json::labels(o)) && fs.matches(o))
        .filter(|o| after.is_empty() || format!("{}/{}", json::namespace(o), json::name(o)) > after)
        .collect();
    let mut cont = None;
    let mut remaining = 0;
    if let Some(limit) = req.query.num("limit").filter(|l| *l > 0) {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if matched.len() > limit {
            remaining = matched.len() - limit;
            matched.truncate(limit);
            cont = matched
                .last()
                .map(|o| format!("{}/{}", json::namespace(o), json::name(o)));
        }
    }
    if req.wants == Wants::Table {
        let include = Include::parse(req.query.get("includeObject"));
        return reply(
            200,
            &table::table(req.rt, &matched, include, rv, cont, app.store.clock().now()),
        );
    }
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
        meta["remainingItemCount"] = json!(remaining);
    }
    let kind = format!("{}List", req.rt.kind);
    if req.converts() {
        let items: Vec<Value> = matched.iter().map(|o| req.out((**o).clone())).collect();
        return reply(
            200,
            &json!({"kind": kind, "apiVersion": req.served.api_version(), "metadata": meta, "items": items}),
        );
    }
    let body = app
        .json_cache
        .list_body(&kind, &req.rt.api_version(), &meta, &matched);
    let mut r = Response::new(axum::body::Body::from(body));
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

fn check_kind(req: &ResourceRequest, obj: &Value) -> Result<(), ApiError> {
    let kind = str_at(obj, &["kind"]);
    if !kind.is_empty() && kind != req.rt.kind {
        return Err(ApiError::bad_request(format!(
            "the kind of the body ({kind}) does not match the resource {}",
            req.rt.plural
        )));
    }
    Ok(())
}

fn set_namespace(req: &ResourceRequest, obj: &mut Value, ns: &str) -> Result<(), ApiError> {
    if req.rt.namespaced {
        let body_ns = json::namespace(obj);
        if !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        json::set(obj, &["metadata", "namespace"], json!(ns));
    }
    Ok(())
}

fn create(app: &App, req: &ResourceRequest, ns: &str) -> Result<Response, ApiError> {
    let mut obj = req.inp(body_json(req)?);
    check_kind(req, &obj)?;
    set_namespace(req, &mut obj, ns)?;
    json::remove(&mut obj, &["metadata", "resourceVersion"]);
    let created = app.store.create(req.rt, obj, req.query.dry_run())?;
    reply(201, &req.out(created))
}

fn target(sub: Option<&str>) -> Target {
    if sub == Some("status") {
        Target::Status
    } else {
        Target::Main
    }
}

fn update(
    app: &App,
    req: &ResourceRequest,
    ns: &str,
    name: &str,
    sub: Option<&str>,
) -> Result<Response, ApiError> {
    let obj = body_json(req)?;
    if sub == Some("scale") {
        let replicas = json::i64_at(&obj, &["spec", "replicas"], -1);
        let mut cur = get(app, req, ns, name)?;
        let want_rv = str_at(&obj, &["metadata", "resourceVersion"]).to_string();
        if !want_rv.is_empty() {
            json::set(&mut cur, &["metadata", "resourceVersion"], json!(want_rv));
        }
        validation::validate_scale(name, replicas)?;
        json::set(&mut cur, &["spec", "replicas"], json!(replicas));
        let saved = app
            .store
            .update(req.rt, cur, Target::Main, req.query.dry_run())?;
        return reply(200, &scale_view(&saved));
    }
    let mut obj = req.inp(obj);
    check_kind(req, &obj)?;
    set_namespace(req, &mut obj, ns)?;
    if json::name(&obj) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            json::name(&obj)
        )));
    }
    let saved = app
        .store
        .update(req.rt, obj, target(sub), req.query.dry_run())?;
    reply(200, &req.out(saved))
}

fn patch(
    app: &App,
    req: &ResourceRequest,
    ns: &str,
    name: &str,
    sub: Option<&str>,
) -> Result<Response, ApiError> {
    let pt = PatchType::from_content_type(&req.content_type)
        .ok_or_else(|| ApiError::unsupported_media(&req.content_type))?;
    if pt == PatchType::Strategic && req.rt.group == "autoscaling.k8s.io" {
        return Err(ApiError::unsupported_media(&req.content_type));
    }
    let p = body_json(req)?;
    let mut last = None;
    for _ in 0..5 {
        let cur = get(app, req, ns, name)?;
        let cur_rv = str_at(&cur, &["metadata", "resourceVersion"]).to_string();
        let base = if sub == Some("scale") {
            scale_view(&cur)
        } else {
            req.out(cur.clone())
        };
        let patched = patch::apply(pt, &base, &p).map_err(|m| ApiError::with_code(422, m))?;
        let mut patched = if sub == Some("scale") {
            patched
        } else {
            req.inp(patched)
        };
        let asked_rv = str_at(&patched, &["metadata", "resourceVersion"]).to_string();
        let precondition = !asked_rv.is_empty() && asked_rv != cur_rv;
        let obj = if sub == Some("scale") {
            validation::validate_scale(name, json::i64_at(&patched, &["spec", "replicas"], 0))?;
            let mut o = cur.clone();
            json::set(
                &mut o,
                &["spec", "replicas"],
                json::at(&patched, &["spec", "replicas"])
                    .cloned()
                    .unwrap_or(json!(0)),
            );
            o
        } else {
            json::set(&mut patched, &["metadata", "name"], json!(name));
            if req.rt.namespaced {
                json::set(&mut patched, &["metadata", "namespace"], json!(ns));
            }
            patched
        };
        let mut obj = obj;
        json::set(
            &mut obj,
            &["metadata", "resourceVersion"],
            json!(if precondition { asked_rv } else { cur_rv }),
        );
        match app
            .store
            .update(req.rt, obj, target(sub), req.query.dry_run())
        {
            Ok(saved) if sub == Some("scale") => return reply(200, &scale_view(&saved)),
            Ok(saved) => return reply(200, &req.out(saved)),
            Err(e) if e.code == 409 && !precondition => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ApiError::conflict(req.rt, name)))
}

fn delete_options(req: &ResourceRequest) -> Result<(Propagation, bool), ApiError> {
    let body = if req.body.is_empty() {
        Value::Null
    } else if protobuf::is_protobuf(&req.content_type) {
        body::object(&req.content_type, &req.body)?
    } else {
        serde_json::from_slice(&req.body).unwrap_or(Value::Null)
    };
    let policy = req
        .query
        .get("propagationPolicy")
        .map(String::from)
        .unwrap_or_else(|| str_at(&body, &["propagationPolicy"]).to_string());
    let orphan = policy == "Orphan" || json::bool_at(&body, &["orphanDependents"]);
    let dry = req.query.dry_run()
        || json::at(&body, &["dryRun"])
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v == "All"));
    Ok((
        if orphan {
            Propagation::Orphan
        } else {
            Propagation::Background
        },
        dry,
    ))
}

fn delete(app: &App, req: &ResourceRequest, ns: &str, name: &str) -> Result<Response, ApiError> {
    let (policy, dry) = delete_options(req)?;
    let obj = app.store.delete(req.rt, ns, name, policy, dry)?;
    reply(200, &req.out(obj))
}

fn delete_collection(app: &App, req: &ResourceRequest) -> Result<Response, ApiError> {
    let (ls, fs) = selectors(req)?;
    let (policy, dry) = delete_options(req)?;
    let (items, _) = app.store.list(req.rt, req.ns.as_deref());
    let mut deleted = Vec::new();
    for o in items
        .iter()
        .filter(|o| ls.matches(&json::labels(o)) && fs.matches(o))
    {
        if let Ok(d) = app
            .store
            .delete(req.rt, json::namespace(o), json::name(o), policy, dry)
        {
            deleted.push(d);
        }
    }
    let rv = app.store.resource_version();
    reply(
        200,
        &json!({"kind": format!("{}List", req.rt.kind), "apiVersion": req.rt.api_version(), "metadata": {"resourceVersion": rv.to_string()}, "items": deleted}),
    )
}

/// The `autoscaling/v1` `Scale` view of a scalable object.
pub fn scale_view(obj: &Value) -> Value {
    let sel = json::at(obj, &["spec", "selector"])
        .map(LabelSelector::from_object)
        .unwrap_or_default();
    let meta = &obj["metadata"];
    let mut v = json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": json::i64_at(obj, &["spec", "replicas"], 0)},
        "status": {"replicas": json::i64_at(obj, &["status", "replicas"], 0)},
    });
    if !sel.is_empty() {
        v["status"]["selector"] = json!(sel.to_query());
    }
    v
}
