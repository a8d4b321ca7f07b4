//! Watches: chunked JSON lines, replay from a resourceVersion, bookmarks, timeouts, and
//! watch-list (`sendInitialEvents=true`).

use super::super::json;
use super::super::status::ApiError;
use super::super::store::{Change, EventType};
use super::handlers::selectors;
use super::query::Wants;
use super::table::{self, Include};
use super::{App, ResourceRequest};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures::SinkExt;
use futures::channel::mpsc;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

fn line(kind: &str, object: &Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

/// Starts a watch stream.
pub fn serve(app: &Arc<App>, req: &ResourceRequest) -> Result<Response, ApiError> {
    let (ls, fs) = selectors(req)?;
    let rt = req.rt;
    let ns = req.ns.clone();
    let matches = move |c: &Change| {
        std::ptr::eq(c.rt, rt)
            && ns
                .as_deref()
                .is_none_or(|n| json::namespace(&c.object) == n)
            && ls.matches(&json::labels(&c.object))
            && fs.matches(&c.object)
    };
    let from = req.query.get("resourceVersion").unwrap_or("");
    // Watch-list (client-go's WatchListClient, on by default since kubectl 1.35): the current
    // objects as ADDED events, then a bookmark marking their end, then changes.
    let initial_events = req.query.flag("sendInitialEvents");
    let mut initial: Vec<Arc<Value>> = Vec::new();
    let start_rv = match from.parse::<u64>() {
        Ok(rv) if rv > 0 && !initial_events => rv,
        _ => {
            let (items, rv) = app.store.list(rt, req.ns.as_deref());
            for o in items {
                let c = Change {
                    rv,
                    rt,
                    kind: EventType::Added,
                    object: o,
                };
                if matches(&c) {
                    initial.push(c.object);
                }
            }
            rv
        }
    };
    let (past, mut rx) = match app.store.subscribe(start_rv) {
        Ok(s) => s,
        // Like the real API server: 200, one ERROR event carrying the 410 Status, end.
        Err(e) => {
            let mut r = Response::new(Body::from(line("ERROR", &e.to_status())));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return Ok(r);
        }
    };
    let timeout = Duration::from_secs(req.query.num("timeoutSeconds").unwrap_or(1800));
    let bookmarks = req.query.flag("allowWatchBookmarks");
    let interval = app.bookmark_interval;
    let drop_after = app.faults.watch_drop_after();
    let store = app.store.clone();
    let as_table =
        (req.wants == Wants::Table).then(|| Include::parse(req.query.get("includeObject")));
    let mut first = true;
    let render_store = app.store.clone();
    // `kubectl get -w` asks for Table events: one row per event, column definitions first only.
    let served = req.served;
    let mut encode = move |kind: &str, obj: &Arc<Value>| -> Bytes {
        let Some(include) = as_table else {
            if !std::ptr::eq(served, rt) {
                return line(kind, &super::convert::to_served(served, (**obj).clone()));
            }
            return line(kind, obj);
        };
        let rv = json::str_at(obj, &["metadata", "resourceVersion"])
            .parse()
            .unwrap_or(0);
        let mut t = table::table(
            rt,
            std::slice::from_ref(obj),
            include,
            rv,
            None,
            render_store.clock().now(),
        );
        if !first && let Some(m) = t.as_object_mut() {
            m.remove("columnDefinitions");
        }
        first = false;
        line(kind, &t)
    };
    let mut closing = app.closing.clone();
    let kind = rt.kind;
    let api_version = req.served.api_version();
    let (mut tx, body_rx) = mpsc::channel::<Result<Bytes, Infallible>>(256);
    tokio::spawn(async move {
        let mut last = start_rv;
        let mut sent = 0usize;
        for o in initial {
            if tx.send(Ok(encode("ADDED", &o))).await.is_err() {
                return;
            }
        }
        if initial_events {
            let end = json!({"kind": kind, "apiVersion": api_version, "metadata": {
                "resourceVersion": start_rv.to_string(),
                "annotations": {"k8s.io/initial-events-end": "true"},
            }});
            if tx.send(Ok(line("BOOKMARK", &end))).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(interval);
        tick.tick().await;
        let mut pending: std::collections::VecDeque<Arc<Change>> = past.into();
        loop {
            if drop_after.is_some_and(|n| sent >= n) {
                return;
            }
            let next = if let Some(c) = pending.pop_front() {
                Some(c)
            } else {
                tokio::select! {
                    _ = closing.changed() => return,
                    r = rx.recv() => match r {
                        Ok(c) => Some(c),
                        Err(RecvError::Lagged(_)) => {
                            let e = ApiError::gone(last, store.resource_version()).to_status();
                            let _ = tx.send(Ok(line("ERROR", &e))).await;
                            return;
                        }
                        Err(RecvError::Closed) => return,
                    },
                    _ = &mut deadline => return,
                    _ = tick.tick() => {
                        if bookmarks {
                            let rv = store.resource_version().max(last);
                            let obj = json!({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": rv.to_string()}});
                            if tx.send(Ok(line("BOOKMARK", &obj))).await.is_err() {
                                return;
                            }
                        }
                        None
                    }
                }
            };
            let Some(c) = next else { continue };
            if c.rv <= last {
                continue;
            }
            last = c.rv;
            if matches(&c) {
                sent += 1;
                if tx
                    .send(Ok(encode(c.kind.as_str(), &c.object)))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    });
    let mut r = Response::new(Body::from_stream(body_rx));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}
