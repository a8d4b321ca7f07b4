//! Label selectors (equality and set-based) and field selectors.

use super::json;
use super::status::ApiError;
use serde_json::Value;
use std::collections::BTreeMap;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<Req>);

/// Splits at commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn set_values(rest: &str) -> Result<Vec<String>, ApiError> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unable to parse requirement: expected '(' in {rest}"
            ))
        })?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

/// The value of an equality requirement: an operator character where the value should start
/// is refused as kube-apiserver's lexer refuses it (`a===b`).
fn value(v: &str) -> Result<String, ApiError> {
    let v = v.trim();
    if let Some(c) = v.chars().next().filter(|c| matches!(c, '=' | '!')) {
        return Err(ApiError::bad_request(format!(
            "unable to parse requirement: found '{c}', expected: identifier"
        )));
    }
    Ok(v.to_string())
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            if let Some(k) = part.strip_prefix('!') {
                reqs.push(Req::NotExists(k.trim().to_string()));
            } else if let Some((k, v)) = part.split_once("!=") {
                reqs.push(Req::NotEq(k.trim().into(), value(v)?));
            } else if let Some((k, v)) = part.split_once("==") {
                reqs.push(Req::Eq(k.trim().into(), value(v)?));
            } else if let Some((k, v)) = part.split_once('=') {
                reqs.push(Req::Eq(k.trim().into(), value(v)?));
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                reqs.push(Req::NotIn(k.trim().into(), set_values(rest)?));
            } else if let Some((k, rest)) = part.split_once(" in ") {
                reqs.push(Req::In(k.trim().into(), set_values(rest)?));
            } else if part.contains(' ') || part.contains('(') {
                return Err(ApiError::bad_request(format!(
                    "unable to parse requirement: {part}"
                )));
            } else {
                reqs.push(Req::Exists(part.to_string()));
            }
        }
        Ok(Self(reqs))
    }

    /// Builds a selector from a `LabelSelector` object (`matchLabels` + `matchExpressions`).
    pub fn from_object(sel: &Value) -> Self {
        let mut reqs: Vec<Req> = json::string_map(sel, &["matchLabels"])
            .into_iter()
            .map(|(k, v)| Req::Eq(k, v))
            .collect();
        for e in sel
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = json::str_at(e, &["key"]).to_string();
            let vals: Vec<String> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            match json::str_at(e, &["operator"]) {
                "In" => reqs.push(Req::In(key, vals)),
                "NotIn" => reqs.push(Req::NotIn(key, vals)),
                "Exists" => reqs.push(Req::Exists(key)),
                "DoesNotExist" => reqs.push(Req::NotExists(key)),
                _ => {}
            }
        }
        Self(reqs)
    }

    /// Whether the selector has no requirement.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a label set matches.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => labels.get(k) == Some(v),
            Req::NotEq(k, v) => labels.get(k) != Some(v),
            Req::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Req::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Req::Exists(k) => labels.contains_key(k),
            Req::NotExists(k) => !labels.contains_key(k),
        })
    }

    /// The selector as a string (for `Scale.status.selector`).
    pub fn to_query(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|r| match r {
                Req::Eq(k, v) => format!("{k}={v}"),
                Req::NotEq(k, v) => format!("{k}!={v}"),
                Req::In(k, vs) => format!("{k} in ({})", vs.join(",")),
                Req::NotIn(k, vs) => format!("{k} notin ({})", vs.join(",")),
                Req::Exists(k) => k.clone(),
                Req::NotExists(k) => format!("!{k}"),
            })
            .collect();
        parts.join(",")
    }
}

/// A parsed field selector: `path=value` / `path!=value` terms over dotted object paths.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<(Vec<String>, bool, String)>);

impl FieldSelector {
    /// Parses `metadata.name=x,status.phase!=Running`.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut terms = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, eq, v) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            terms.push((
                k.trim().split('.').map(String::from).collect(),
                eq,
                v.trim().to_string(),
            ));
        }
        Ok(Self(terms))
    }

    /// Whether the object matches.
    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(path, eq, want)| {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            let got = match json::at(obj, &refs) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            (got == *want) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn l(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equality_and_set_based() {
        let s = LabelSelector::parse("app=web,tier in (a, b),!legacy,env!=prod").unwrap();
        assert!(s.matches(&l(&[("app", "web"), ("tier", "a")])));
        assert!(!s.matches(&l(&[("app", "web"), ("tier", "c")])));
        assert!(!s.matches(&l(&[("app", "web"), ("tier", "a"), ("legacy", "")])));
        assert!(!s.matches(&l(&[("app", "web"), ("tier", "a"), ("env", "prod")])));
        let n = LabelSelector::parse("x notin (1),y").unwrap();
        assert!(n.matches(&l(&[("y", "")])));
        assert!(!n.matches(&l(&[("x", "1"), ("y", "")])));
    }

    #[test]
    fn from_object_and_back() {
        let s = LabelSelector::from_object(&json!({"matchLabels": {"app": "web"}}));
        assert_eq!(s.to_query(), "app=web");
    }

    #[test]
    fn field_selectors() {
        let f = FieldSelector::parse("metadata.name=p,status.phase!=Failed").unwrap();
        assert!(f.matches(&json!({"metadata": {"name": "p"}, "status": {"phase": "Running"}})));
        assert!(!f.matches(&json!({"metadata": {"name": "q"}})));
    }
}
