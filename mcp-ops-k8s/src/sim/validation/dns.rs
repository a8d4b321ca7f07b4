//! The name and label checks of `k8s.io/apimachinery/pkg/util/validation`, with the messages
//! kube-apiserver answers (each failed rule is one message, as there).

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn label_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.first().copied().is_some_and(edge)
        && b.last().copied().is_some_and(edge)
        && b.iter().all(|c| edge(*c) || *c == b'-')
}

/// `IsDNS1123Label`: at most 63 characters of `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !label_shape(s) {
        out.push(LABEL_MSG.to_string());
    }
    out
}

/// `IsDNS1123Subdomain`: at most 253 characters of dot-separated RFC 1123 labels.
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 253 {
        out.push("must be no more than 253 characters".to_string());
    }
    if !s.split('.').all(label_shape) {
        out.push(SUBDOMAIN_MSG.to_string());
    }
    out
}

/// A Service name (1.36, relaxed: an RFC 1123 label, with dots named first).
pub fn service_name(s: &str) -> Vec<String> {
    if s.contains('.') {
        return vec!["must not contain dots".to_string()];
    }
    dns1123_label(s)
}

fn name_part_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_alphanumeric();
    !b.is_empty()
        && b.first().copied().is_some_and(edge)
        && b.last().copied().is_some_and(edge)
        && b.iter()
            .all(|c| edge(*c) || matches!(*c, b'-' | b'_' | b'.'))
}

/// `IsQualifiedName`: an optional DNS subdomain prefix and `/`, then a name part of at most 63
/// bytes (label and annotation keys).
pub fn qualified_name(s: &str) -> Vec<String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let mut out = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            out.push("prefix part must be non-empty".to_string());
        } else {
            out.extend(
                dns1123_subdomain(p)
                    .into_iter()
                    .map(|m| format!("prefix part {m}")),
            );
        }
    }
    if name.is_empty() {
        out.push("name part must be non-empty".to_string());
    } else {
        if name.len() > 63 {
            out.push("name part must be no more than 63 bytes".to_string());
        }
        if !name_part_shape(name) {
            out.push(NAME_PART_MSG.to_string());
        }
    }
    out
}

/// `IsValidLabelValue`: empty, or at most 63 bytes shaped like a name part.
pub fn label_value(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 bytes".to_string());
    }
    if !s.is_empty() && !name_part_shape(s) {
        out.push(LABEL_VALUE_MSG.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(dns1123_subdomain("mcp-production.a1").is_empty());
        assert_eq!(dns1123_subdomain("Bad_Name"), [SUBDOMAIN_MSG]);
        assert_eq!(dns1123_subdomain("a..b"), [SUBDOMAIN_MSG]);
        assert_eq!(
            dns1123_subdomain(&"a".repeat(254)),
            ["must be no more than 253 characters"]
        );
        assert!(dns1123_label("123-abc").is_empty());
        assert_eq!(dns1123_label("a.b"), [LABEL_MSG]);
        assert_eq!(service_name("a.b"), ["must not contain dots"]);
        assert!(service_name("1abc").is_empty());
    }

    #[test]
    fn label_keys_and_values() {
        assert!(qualified_name("app.kubernetes.io/name").is_empty());
        assert_eq!(qualified_name("bad key"), [NAME_PART_MSG]);
        assert_eq!(
            qualified_name("Bad_Prefix/k"),
            [format!("prefix part {SUBDOMAIN_MSG}")]
        );
        assert!(label_value("").is_empty());
        assert_eq!(label_value("bad value!"), [LABEL_VALUE_MSG]);
        assert_eq!(
            label_value(&"a".repeat(64)),
            ["must be no more than 63 bytes"]
        );
    }
}
