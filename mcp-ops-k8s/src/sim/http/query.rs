//! Lenient query-string parsing (kube sends `?&labelSelector=…`) and Accept negotiation.

use std::collections::HashMap;

/// Decodes `%XX` escapes and `+`.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters; empty pairs are skipped.
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let mut m = HashMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            m.insert(percent_decode(k), percent_decode(v));
        }
        Self(m)
    }

    /// A parameter's value.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// A parameter that is `true` or `1`.
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1"))
    }

    /// A numeric parameter.
    pub fn num(&self, k: &str) -> Option<u64> {
        self.get(k).and_then(|v| v.parse().ok())
    }

    /// `dryRun=All`.
    pub fn dry_run(&self) -> bool {
        self.get("dryRun") == Some("All")
    }
}

/// What the Accept header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    /// Plain JSON.
    Json,
    /// `as=Table` (meta.k8s.io/v1).
    Table,
    /// Aggregated discovery, `apidiscovery.k8s.io` version `v2`.
    DiscoveryV2,
    /// Aggregated discovery, version `v2beta1` (kubectl 1.27–1.29).
    DiscoveryV2Beta1,
}

/// Picks the first media range in Accept the server can produce.
pub fn negotiate(accept: &str) -> Wants {
    for range in accept.split(',') {
        let params: Vec<&str> = range.split(';').map(str::trim).collect();
        let has = |p: &str| params.contains(&p);
        if has("as=Table") && has("g=meta.k8s.io") && has("v=v1") {
            return Wants::Table;
        }
        if has("as=APIGroupDiscoveryList") && has("g=apidiscovery.k8s.io") {
            if has("v=v2") {
                return Wants::DiscoveryV2;
            }
            if has("v=v2beta1") {
                return Wants::DiscoveryV2Beta1;
            }
        }
        let base = params.first().copied().unwrap_or("");
        if matches!(base, "application/json" | "*/*" | "application/*" | "") && params.len() == 1 {
            return Wants::Json;
        }
    }
    Wants::Json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_query() {
        let q = Query::parse(Some("&labelSelector=app%3Dweb&&watch=1&limit=500"));
        assert_eq!(q.get("labelSelector"), Some("app=web"));
        assert!(q.flag("watch"));
        assert_eq!(q.num("limit"), Some(500));
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn accept_negotiation() {
        let t = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(t), Wants::Table);
        let d =
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate(d), Wants::DiscoveryV2);
        let b = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate(b), Wants::DiscoveryV2Beta1);
        assert_eq!(
            negotiate("application/vnd.kubernetes.protobuf,application/json"),
            Wants::Json
        );
        assert_eq!(
            negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
            Wants::Json
        );
    }
}
