//! What may differ between two clusters holding the same objects, taken out before comparing:
//! the namespace's name, generated names (ReplicaSet hashes become `rev<N>`, generated pod
//! suffixes `POD`), uids, resourceVersions, timestamps and ages, IP addresses, managedFields.

use serde_json::{Map, Value};

/// Normalises one side's output.
#[derive(Debug, Clone)]
pub struct Norm {
    /// Literal replacements, longest first.
    replace: Vec<(String, String)>,
}

impl Norm {
    /// A normaliser for namespace `ns` (named `mcp-production` after normalisation, as in the
    /// simulator) whose ReplicaSets (with their revisions) are `replicasets` and whose objects
    /// with generated names (pods, EndpointSlices) are `generated`.
    pub fn new(ns: &str, replicasets: &Value, generated: &Value) -> Self {
        let mut replace = Vec::new();
        if ns != super::pair::SIM_NS {
            replace.push((ns.to_string(), super::pair::SIM_NS.to_string()));
        }
        for rs in items(replicasets) {
            let hash = rs["metadata"]["labels"]["pod-template-hash"]
                .as_str()
                .unwrap_or_default();
            let rev = rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .unwrap_or("?");
            if !hash.is_empty() {
                replace.push((hash.to_string(), format!("rev{rev}")));
            }
        }
        for p in items(generated) {
            let name = p["metadata"]["name"].as_str().unwrap_or_default();
            let generate = p["metadata"]["generateName"].as_str().unwrap_or_default();
            // Only random suffixes (StatefulSet pods have a generateName and an ordinal).
            if !generate.is_empty()
                && name.len() == generate.len() + 5
                && name.starts_with(generate)
            {
                let what = if p["kind"] == "EndpointSlice" {
                    "XXXXX"
                } else {
                    "POD"
                };
                replace.push((name.to_string(), format!("{generate}{what}")));
            }
            let rev = p["metadata"]["labels"]["controller-revision-hash"]
                .as_str()
                .unwrap_or_default();
            if let Some((set, hash)) = rev.rsplit_once('-') {
                replace.push((rev.to_string(), format!("{set}-REV")));
                replace.push((hash.to_string(), "REV".to_string()));
            }
        }
        replace.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        Self { replace }
    }

    /// A string with names, uids, timestamps and addresses normalised.
    pub fn string(&self, s: &str) -> String {
        // Generated names first (a pod name contains its ReplicaSet's hash).
        let mut out = s.to_string();
        for (from, to) in &self.replace {
            if out.contains(from.as_str()) {
                out = out.replace(from.as_str(), to);
            }
        }
        let out = rfc3339(&out);
        let out = describe_dates(&out);
        let out = uuids(&out);
        // Pods land on different nodes (kube-scheduler's scores are not the simulator's).
        let out = templated(&out, "ip-10-0-1-19", "NODE");
        let out = templated(&out, "kube-api-access-xxxxx", "kube-api-access-XXXXX");
        ipv4(&out)
    }

    /// kubectl's printed output as rows of cells, normalised, ages replaced by `AGE`.
    pub fn rows(&self, out: &str) -> Vec<Vec<String>> {
        self.string(out)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.split_whitespace()
                    .map(|c| {
                        // Ages, also inside `(x4 over 64s)`.
                        let bare = c.trim_end_matches(')');
                        if is_age(bare) {
                            format!("AGE{}", &c[bare.len()..])
                        } else {
                            c.to_string()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// An object (or list) with server-assigned fields removed and strings normalised; list
    /// items sorted by their normalised form.
    pub fn object(&self, v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    if matches!(
                        k.as_str(),
                        "uid" | "resourceVersion" | "creationTimestamp" | "managedFields"
                    ) {
                        continue;
                    }
                    out.insert(self.string(k), self.object(x));
                }
                // Lists whose order is the server's choice (pods in Endpoints and slices).
                for key in ["items", "addresses", "notReadyAddresses", "endpoints"] {
                    if let Some(Value::Array(items)) = out.get_mut(key) {
                        items.sort_by_key(|i| i.to_string());
                    }
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.object(x)).collect()),
            Value::String(s) => Value::String(self.string(s)),
            other => other.clone(),
        }
    }
}

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

/// An age as kubectl prints it (`5s`, `2d8h`, `3m10s`), or `<invalid>`.
pub fn is_age(c: &str) -> bool {
    if c == "<invalid>" {
        return true;
    }
    let mut digits = false;
    let mut units = 0;
    for ch in c.chars() {
        if ch.is_ascii_digit() {
            digits = true;
        } else if "smhdy".contains(ch) && digits {
            digits = false;
            units += 1;
        } else {
            return false;
        }
    }
    units > 0 && !digits
}

/// Replaces every match of `template` (`9` a digit, `A` a letter, `h` a hex digit, `x` a
/// lowercase letter or digit, anything else literal) by `with`.
fn templated(s: &str, template: &str, with: &str) -> String {
    let t: Vec<char> = template.chars().collect();
    let c: Vec<char> = s.chars().collect();
    let fits = |i: usize| {
        i + t.len() <= c.len()
            && t.iter().zip(&c[i..]).all(|(t, c)| match t {
                '9' => c.is_ascii_digit(),
                'A' => c.is_ascii_alphabetic(),
                'h' => c.is_ascii_hexdigit(),
                'x' => c.is_ascii_lowercase() || c.is_ascii_digit(),
                l => l == c,
            })
    };
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        if fits(i) {
            out.push_str(with);
            i += t.len();
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// RFC 3339 timestamps (`2026-12-05T20:38:29Z`, with fractions) become `TS`.
fn rfc3339(s: &str) -> String {
    let marked = templated(s, "9999-99-99T99:99:99", "\u{1}");
    let mut out = String::new();
    let mut chars = marked.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '\u{1}' {
            out.push(ch);
            continue;
        }
        out.push_str("TS");
        if chars.peek() == Some(&'.') {
            chars.next();
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        }
        if chars.peek() == Some(&'Z') {
            chars.next();
        }
    }
    out
}

/// `kubectl describe`'s dates (`Sat, 05 Dec 2026 20:38:29 +0000`) become `DATE`.
fn describe_dates(s: &str) -> String {
    templated(s, "AAA, 99 AAA 9999 99:99:99 +9999", "DATE")
}

/// UUIDs become `UID`.
fn uuids(s: &str) -> String {
    templated(s, "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh", "UID")
}

/// IPv4 addresses become `IP`.
fn ipv4(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        let boundary = i == 0 || !(c[i - 1].is_ascii_alphanumeric() || c[i - 1] == '.');
        if boundary && let Some(len) = ip_at(&c[i..]) {
            out.push_str("IP");
            i += len;
            continue;
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

fn ip_at(c: &[char]) -> Option<usize> {
    let mut i = 0;
    for part in 0..4 {
        let start = i;
        while i < c.len() && c[i].is_ascii_digit() && i - start < 3 {
            i += 1;
        }
        if i == start {
            return None;
        }
        if part < 3 {
            if c.get(i) != Some(&'.') {
                return None;
            }
            i += 1;
        }
    }
    let after = c.get(i);
    if after.is_some_and(|a| a.is_ascii_alphanumeric() || *a == '.') {
        return None;
    }
    Some(i)
}

#[test]
fn normalisation_takes_out_what_differs() {
    let rs = serde_json::json!({"items": [{"metadata": {"labels": {"pod-template-hash": "6cf895d46d"},
        "annotations": {"deployment.kubernetes.io/revision": "3"}}}]});
    let pods = serde_json::json!({"items": [{"metadata": {"name": "api-6cf895d46d-gn9nc",
        "generateName": "api-6cf895d46d-"}}]});
    let n = Norm::new("svr-1-abc", &rs, &pods);
    assert_eq!(
        n.string("pod api-6cf895d46d-gn9nc in svr-1-abc at 10.244.0.3:3000 on 2026-12-05T20:38:29.123Z uid 1a2fe053-e9c9-4ea9-a1e9-84e8f02f34d1"),
        "pod api-rev3-POD in mcp-production at IP:3000 on TS uid UID"
    );
    assert_eq!(n.rows("a  2d8h  3m10s  x")[0], ["a", "AGE", "AGE", "x"]);
    assert_eq!(
        describe_dates("At: Sat, 05 Dec 2026 20:38:29 +0000."),
        "At: DATE."
    );
}
