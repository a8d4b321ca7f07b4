//! Checks of URL text given by a user (flags, environment variables) before any parser or
//! driver sees it: one reason from a fixed set, never the value itself.

/// Why `value` is not an acceptable URL with one of `schemes` (`["postgres", "postgresql"]`),
/// or `None` when it passes: no control character (newline, tab …) or whitespace, a known
/// scheme, a host, a port of 1–65535 when one is given, and well-formed `%XX` escapes.
/// The reason never quotes the value.
///
/// ```
/// use mcp_ops_core::url_check::url_problem;
/// assert_eq!(url_problem("redis://cache:6379/0", &["redis", "rediss"]), None);
/// assert!(url_problem("redis://cache:0", &["redis"]).unwrap().contains("port"));
/// ```
pub fn url_problem(value: &str, schemes: &[&str]) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".to_owned());
    }
    if value.chars().any(char::is_control) {
        return Some("contains a control character (a newline or a tab, say)".to_owned());
    }
    if value.chars().any(char::is_whitespace) {
        return Some("contains whitespace".to_owned());
    }
    let Some((scheme, rest)) = value.split_once("://") else {
        return Some(format!(
            "must be a URL starting with {}://",
            schemes.join("://, ")
        ));
    };
    if !schemes.iter().any(|s| scheme.eq_ignore_ascii_case(s)) {
        return Some(format!("the scheme must be {}://", schemes.join(":// or ")));
    }
    if let Some(problem) = escape_problem(value) {
        return Some(problem.to_owned());
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // A comma-separated host list (PostgreSQL): every port is checked.
    for hp in host_port.split(',') {
        let (host, port) = split_port(hp);
        if host.is_empty() && !scheme.starts_with("postgres") {
            return Some("has no host".to_owned());
        }
        if let Some(problem) = host_problem(hp, host) {
            return Some(problem.to_owned());
        }
        if let Some(port) = port {
            match port.parse::<u32>() {
                Ok(1..=65535) => {}
                _ => return Some("the port must be a number from 1 to 65535".to_owned()),
            }
        }
    }
    None
}

/// Why the `%` escapes of `value` are malformed, if they are.
pub fn escape_problem(value: &str) -> Option<&'static str> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Some("has a bad percent-escape (% must be followed by two hex digits)");
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

/// Why the host of `host_port` (`host` as [`split_port`] gives it) cannot name a server: an
/// IPv6 literal whose bracket is not closed or that is not an address, or a name with
/// characters no host name or address has.
fn host_problem(host_port: &str, host: &str) -> Option<&'static str> {
    if let Some(rest) = host_port.strip_prefix('[') {
        let Some((inside, _)) = rest.split_once(']') else {
            return Some("has a host with an unclosed [ (IPv6 is written [::1])");
        };
        let address = inside.split_once('%').map_or(inside, |(a, _)| a);
        return address
            .parse::<std::net::Ipv6Addr>()
            .is_err()
            .then_some("has a host that is not an IPv6 address inside [ ]");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~%".contains(c);
    (!host.chars().all(allowed))
        .then_some("has a host with characters no host name has (letters, digits, - and . only)")
}

/// `host:port` split (IPv6 `[::1]:5432` included).
fn split_port(hp: &str) -> (&str, Option<&str>) {
    if let Some(rest) = hp.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => (hp, None),
        };
    }
    match hp.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (hp, None),
    }
}

#[cfg(test)]
mod tests {
    use super::url_problem;

    #[test]
    fn bad_urls_get_a_reason_without_their_text() {
        let pg = &["postgres", "postgresql"];
        for ok in [
            "postgres://u:p%40w@db:5432/app",
            "postgresql://db/app?sslmode=require",
            "postgres://u@[::1]:5432/app",
            "postgres://u@h1:5432,h2:5433/app",
        ] {
            assert_eq!(url_problem(ok, pg), None, "{ok}");
        }
        for bad in [
            "postgres://u:s3cr3t@db:0/app",
            "postgres://u:s3cr3t@db:99999/app",
            "postgres://u:s3cr3t@db:5x/app",
            "postgres://u:s3%zzcr3t@db/app",
            "postgres://u:s3cr3t@db/app%",
            "postgres://u:s3cr3t@db/app\n",
            "postgres://u:s3cr3t@db/a\u{1}pp",
            "postgres://u:s3cr3t@db/a pp",
            "mysql://u:s3cr3t@db/app",
            "",
        ] {
            let why = url_problem(bad, pg).unwrap_or_else(|| panic!("accepted {bad:?}"));
            assert!(!why.contains("s3cr3t") && !why.contains('\n'), "{why}");
        }
        let http = &["http", "https"];
        for ok in [
            "http://u:p@[::1]:8080/health?token=t",
            "https://api.example.com/health",
        ] {
            assert_eq!(url_problem(ok, http), None, "{ok}");
        }
        for bad in [
            "http://u:s3cr3t@[::1/health?token=s3cr3t",
            "http://u:s3cr3t@[nothex]:80/health",
            "http://u:s3cr3t@ho<st/health",
            "http://u:s3cr3t@host]:80/health",
        ] {
            let why = url_problem(bad, http).unwrap_or_else(|| panic!("accepted {bad:?}"));
            assert!(!why.contains("s3cr3t"), "{why}");
        }
        assert!(url_problem("redis://:pw@cache:0", &["redis"]).is_some());
        assert!(url_problem("redis:///0", &["redis"]).is_some());
    }
}
