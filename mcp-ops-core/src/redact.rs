//! Redaction of URLs and of free text that may hold URLs or credentials.
//!
//! Every URL the SDK or the CLI shows — health, Prometheus, Alertmanager, database, cache,
//! notifier and Kubernetes API server URLs — goes through [`redact_url`] first, and every
//! error text that may embed one (reqwest, tokio-postgres, redis, kube) through
//! [`redact_text`]. Redaction is deliberately lossy in the safe direction: when a string is
//! ambiguous, more of it is hidden.
//!
//! ```
//! use mcp_ops_core::{redact_text, redact_url};
//!
//! assert_eq!(
//!     redact_url("http://u:pw@127.0.0.1:8080/health?token=abc#frag"),
//!     "http://***@127.0.0.1:8080/health?token=***"
//! );
//! assert_eq!(
//!     redact_text("error sending request for url (redis://:pw@cache:6379/0)"),
//!     "error sending request for url (redis://***@cache:6379/0)"
//! );
//! ```

/// What replaces a hidden value.
pub const MASK: &str = "***";

/// Keys of `key=value` pairs in free text whose values are always hidden.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "token",
    "secret",
    "apikey",
    "api_key",
    "api-key",
    "access_token",
    "auth",
    "authorization",
    "key",
    "sslpassword",
    "client-key-data",
    "routing_key",
    "integration_key",
];

/// Keys of `key: value` pairs in free text whose values are always hidden (fewer than for
/// `=`: `key: …` and `secret: …` are common in messages that hold no secret).
const SECRET_COLON_KEYS: &[&str] = &[
    "password",
    "passwd",
    "token",
    "apikey",
    "api_key",
    "access_token",
    "authorization",
    "client-key-data",
    "client-certificate-data",
    "sslpassword",
];

/// `url` safe to show to humans, in one line:
///
/// - the user information (`user:password@`) becomes `***@`;
/// - the value of every query parameter becomes `***` (a bare parameter, which may itself be
///   a token, becomes `***` too);
/// - the fragment is dropped;
/// - control characters (newlines included) are shown escaped (`\n`), so the result is one
///   line.
///
/// When the authority holds a password with a raw `/`, `?` or `#` (not a valid URL, but
/// typed by people), everything up to the `@` is hidden. Text without `://` is scrubbed as
/// free text ([`redact_text`]): `password=…`-style pairs lose their values.
pub fn redact_url(url: &str) -> String {
    let Some(sep) = url.find("://") else {
        return redact_text(url);
    };
    let (scheme, rest) = (&url[..sep], &url[sep + 3..]);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let (userinfo, host, after) = match authority.rfind('@') {
        Some(at) => (true, &authority[at + 1..], &rest[authority_end..]),
        None => match raw_delimiter_in_password(authority, &rest[authority_end..]) {
            Some(at) => {
                let after_at = &rest[authority_end + at + 1..];
                let host_end = after_at.find(['/', '?', '#']).unwrap_or(after_at.len());
                (true, &after_at[..host_end], &after_at[host_end..])
            }
            None => (false, authority, &rest[authority_end..]),
        },
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(scheme);
    out.push_str("://");
    if userinfo {
        out.push_str(MASK);
        out.push('@');
    }
    out.push_str(host);
    let after = after.split_once('#').map_or(after, |(before, _)| before);
    match after.split_once('?') {
        Some((path, query)) => {
            out.push_str(&mask_webhook_path(path));
            out.push('?');
            out.push_str(&mask_query(query));
        }
        None => out.push_str(&mask_webhook_path(after)),
    }
    escape_controls(&out)
}

/// Path segments that, in a webhook URL, are followed by the credential itself
/// (`https://hooks.slack.com/services/T…/B…/<token>`, `…/api/webhooks/<id>/<token>`).
const WEBHOOK_SEGMENTS: &[&str] = &["services", "webhooks", "webhook", "hooks", "hook"];

/// `path` with everything after a webhook segment hidden: `/services/***`.
fn mask_webhook_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut segments = path.split('/').peekable();
    while let Some(segment) = segments.next() {
        out.push_str(segment);
        let is_hook = WEBHOOK_SEGMENTS
            .iter()
            .any(|w| segment.eq_ignore_ascii_case(w));
        if is_hook && segments.peek().is_some_and(|next| !next.is_empty()) {
            out.push('/');
            out.push_str(MASK);
            return out;
        }
        if segments.peek().is_some() {
            out.push('/');
        }
    }
    out
}

/// When `authority` looks like `user:pass` cut short by a raw delimiter (`u:ab/cd@host`),
/// the offset in `tail` of the `@` that really ends the user information.
fn raw_delimiter_in_password(authority: &str, tail: &str) -> Option<usize> {
    let (_, after_colon) = authority.rsplit_once(':')?;
    let port = after_colon.rsplit_once(']').map_or(after_colon, |(_, p)| p);
    let port = port.strip_prefix(':').unwrap_or(port);
    if authority.contains(']') && !after_colon.contains(']') {
        // `[::1]:8080`: the last colon separates the port.
        if port.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    } else if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    tail.find('@')
}

/// Every parameter of `query` with its value hidden.
fn mask_query(query: &str) -> String {
    query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) => format!("{k}={MASK}"),
            None if kv.is_empty() => String::new(),
            None => MASK.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `text` with control characters shown as escapes (`\n`, `\r`, `\t`, `\u{7f}`).
fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `text` (an error message, a log line, a command) with every embedded URL redacted as
/// [`redact_url`] does, the values of `password=`/`token=`/`key=`-style pairs hidden, and
/// `Bearer <token>` / `Basic <credentials>` hidden. Control characters inside URLs are
/// escaped; the rest of the text is kept as it is.
pub fn redact_text(text: &str) -> String {
    let with_urls = redact_embedded_urls(text);
    let with_pairs = redact_pairs(&with_urls);
    redact_auth_schemes(&with_pairs)
}

/// Serializes a URL redacted (`#[serde(serialize_with = …)]` on URL fields of reports).
///
/// # Errors
/// The serializer's.
pub fn serialize_url<S: serde::Serializer>(url: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_url(url))
}

/// Serializes free text redacted ([`redact_text`]), e.g. an error message in a report.
///
/// # Errors
/// The serializer's.
pub fn serialize_text<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_text(text))
}

/// Every string of a JSON document (object keys excepted) passed through [`redact_text`]:
/// the last guard before a document is printed or stored.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            let shown = redact_text(s);
            if shown != *s {
                *s = shown;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// A JSON parse error told without the document's content: serde's messages quote values
/// (`invalid type: string "…"`), so only the place and a reason from a fixed set are kept.
///
/// ```
/// let e = serde_json::from_str::<u64>(r#""s3cr3t""#).unwrap_err();
/// let shown = mcp_ops_core::redact::json_error(&e);
/// assert_eq!(shown, "line 1 column 8: unexpected structure (content not shown)");
/// ```
pub fn json_error(e: &serde_json::Error) -> String {
    let reason = match e.classify() {
        serde_json::error::Category::Io => "cannot be read",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "unexpected structure",
        serde_json::error::Category::Eof => "truncated",
    };
    if e.line() == 0 {
        format!("{reason} (content not shown)")
    } else {
        format!(
            "line {} column {}: {reason} (content not shown)",
            e.line(),
            e.column()
        )
    }
}

/// Characters that end a URL embedded in free text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`')
}

fn redact_embedded_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let scheme_start = rest[..sep]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
            .last()
            .map_or(sep, |(i, _)| i);
        let tail = &rest[sep + 3..];
        let len = tail.find(ends_url).unwrap_or(tail.len());
        let mut token = &rest[scheme_start..sep + 3 + len];
        let mut trailing = "";
        // Punctuation closing the sentence or a bracket is not part of the URL.
        let trimmed = token.trim_end_matches(['.', ',', ';', ':', ')', ']', '}', '!']);
        if trimmed.len() > sep - scheme_start + 3 {
            trailing = &token[trimmed.len()..];
            token = trimmed;
        }
        out.push_str(&rest[..scheme_start]);
        if scheme_start == sep {
            // `://` without a scheme: still hide what may be credentials.
            out.push_str(&redact_url(&format!("x{token}"))[1..]);
        } else {
            out.push_str(&redact_url(token));
        }
        out.push_str(trailing);
        rest = &rest[sep + 3 + len..];
    }
    out.push_str(rest);
    out
}

/// Hides the value of every `key=value` / `key: value` pair whose key names a secret.
fn redact_pairs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let Some(pos) = rest.find(['=', ':']) else {
            out.push_str(rest);
            return out;
        };
        let key_start = rest[..pos]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            .last()
            .map_or(pos, |(i, _)| i);
        let key = &rest[key_start..pos];
        out.push_str(&rest[..=pos]);
        let after = &rest[pos + 1..];
        let keys = if rest[pos..].starts_with('=') {
            SECRET_KEYS
        } else {
            SECRET_COLON_KEYS
        };
        let is_secret = keys.iter().any(|k| key.eq_ignore_ascii_case(k));
        if !is_secret || after.starts_with("//") {
            rest = after;
            continue;
        }
        let spaces = after.len() - after.trim_start_matches(' ').len();
        let value = &after[spaces..];
        let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''));
        // `Authorization: Bearer <token>`: the scheme and its credentials go together.
        let scheme_len = ["bearer ", "basic "]
            .iter()
            .find(|s| {
                value
                    .get(..s.len())
                    .is_some_and(|v| v.eq_ignore_ascii_case(s))
            })
            .map_or(0, |s| s.len());
        let value_end = |v: &str| {
            v.find(|c: char| c.is_whitespace() || matches!(c, '&' | ',' | ';' | ')' | '}'))
                .unwrap_or(v.len())
        };
        let len = match quote {
            _ if scheme_len > 0 => scheme_len + value_end(&value[scheme_len..]),
            Some(q) => value[1..].find(q).map_or(value.len(), |i| i + 2),
            None => value_end(value),
        };
        out.push_str(&after[..spaces]);
        if len > 0 && value[..len] != *MASK {
            out.push_str(MASK);
        } else {
            out.push_str(&value[..len]);
        }
        rest = &value[len..];
    }
}

/// Hides the credentials after `Bearer ` and `Basic `.
fn redact_auth_schemes(text: &str) -> String {
    let mut out = text.to_owned();
    for scheme in ["Bearer ", "bearer ", "Basic ", "basic "] {
        let mut from = 0;
        while let Some(i) = out[from..].find(scheme) {
            let start = from + i + scheme.len();
            let len = out[start..]
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ')'))
                .unwrap_or(out.len() - start);
            if len > 0 && out[start..start + len] != *MASK {
                out.replace_range(start..start + len, MASK);
            }
            from = start + MASK.len().min(len.max(1));
            if from >= out.len() {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{redact_text, redact_url};

    #[test]
    fn urls_lose_userinfo_query_values_and_fragments() {
        for (url, shown) in [
            ("https://api.example/health", "https://api.example/health"),
            (
                "https://u:p@host:8443/health",
                "https://***@host:8443/health",
            ),
            ("https://tok@host", "https://***@host"),
            ("http://host/a@b", "http://host/a@b"),
            ("https://host/h?token=s3cret", "https://host/h?token=***"),
            ("https://host/h?a=1&flag#top", "https://host/h?a=***&***"),
            ("https://host/h#access_token=x", "https://host/h"),
            (
                "postgres://u:ab/cd@db:5432/app",
                "postgres://***@db:5432/app",
            ),
            ("postgres://u:ab?cd@db/app", "postgres://***@db/app"),
            ("redis://:pw@[::1]:6379/0", "redis://***@[::1]:6379/0"),
            ("http://[::1]:8080/x?k=v", "http://[::1]:8080/x?k=***"),
            ("postgres://db:5432/a\nb", "postgres://db:5432/a\\nb"),
            ("not a url", "not a url"),
            ("", ""),
            (
                "https://hooks.slack.com/services/T0/B0/XXXXsecret",
                "https://hooks.slack.com/services/***",
            ),
            (
                "https://discord.com/api/webhooks/123/tok-en",
                "https://discord.com/api/webhooks/***",
            ),
            ("https://h/hooks/", "https://h/hooks/"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn text_loses_every_embedded_secret() {
        for (text, shown) in [
            (
                "error sending request for url (http://u:pw@h:1/health?token=abc): refused",
                "error sending request for url (http://***@h:1/health?token=***): refused",
            ),
            (
                "bad URL 'postgres://app:s3cr3t@db/app'.",
                "bad URL 'postgres://***@db/app'.",
            ),
            (
                "host=db user=app password=s3cr3t dbname=app",
                "host=db user=app password=*** dbname=app",
            ),
            ("token: \"abc def\" next", "token: *** next"),
            ("Authorization: Bearer abc.def", "Authorization: ***"),
            ("header Bearer abc.def sent", "header Bearer *** sent"),
            ("at line 3 column 7: mapping", "at line 3 column 7: mapping"),
            (
                "invalid secret key: must be 1 to 253",
                "invalid secret key: must be 1 to 253",
            ),
        ] {
            assert_eq!(redact_text(text), shown, "{text}");
        }
    }

    #[test]
    fn no_secret_survives_whatever_surrounds_it() {
        for secret in ["s3cr3t", "p@ss/w?rd#1", "tok%2Fen"] {
            for text in [
                format!("redis://:{secret}@cache:6379"),
                format!("https://h/x?token={secret}"),
                format!("(postgres://app:{secret}@db/app)"),
                format!("password={secret}"),
            ] {
                let shown = redact_text(&text);
                let leaked = secret.split(['@', '/', '?', '#']).filter(|s| s.len() > 2);
                for part in leaked {
                    assert!(!shown.contains(part), "{text} -> {shown}");
                }
            }
        }
    }
}
