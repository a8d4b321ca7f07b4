//! Tests of [`ImageRef`](super::ImageRef).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use proptest::prelude::*;

const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn runbook_image_parses() {
    let i = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1").unwrap();
    assert_eq!(i.registry(), Some("ghcr.io"));
    assert_eq!(i.repository(), "your-org/mcp-typescript-server");
    assert_eq!(i.tag(), Some("v1.0.1"));
    assert_eq!(i.digest(), None);
    assert_eq!(i.name(), "ghcr.io/your-org/mcp-typescript-server");
    assert_eq!(
        i.to_string(),
        "ghcr.io/your-org/mcp-typescript-server:v1.0.1"
    );
    let j = i.with_tag("v1.0.2").unwrap();
    assert_eq!(
        j.to_string(),
        "ghcr.io/your-org/mcp-typescript-server:v1.0.2"
    );
    assert!(i.with_tag("bad tag").is_err());
}

#[test]
fn good_references() {
    // (text, registry, repository, tag, digest)
    type Case = (
        &'static str,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
    );
    let cases: &[Case] = &[
        ("nginx", None, "nginx", None, None),
        ("nginx:1.25", None, "nginx", Some("1.25"), None),
        (
            "library/nginx:latest",
            None,
            "library/nginx",
            Some("latest"),
            None,
        ),
        ("localhost/app", Some("localhost"), "app", None, None),
        (
            "localhost:5000/a/b:_x",
            Some("localhost:5000"),
            "a/b",
            Some("_x"),
            None,
        ),
        (
            "registry.k8s.io/pause:3.9",
            Some("registry.k8s.io"),
            "pause",
            Some("3.9"),
            None,
        ),
        ("Example.COM/app", Some("Example.COM"), "app", None, None),
        ("a__b/c.d/e---f", None, "a__b/c.d/e---f", None, None),
    ];
    for (s, reg, repo, tag, dig) in cases {
        let i = ImageRef::parse(s).unwrap();
        assert_eq!(
            (i.registry(), i.repository(), i.tag(), i.digest()),
            (*reg, *repo, *tag, *dig)
        );
        assert_eq!(&i.to_string(), s);
    }
    let pinned = format!("ghcr.io/o/app:v1@{SHA}");
    let i = ImageRef::parse(&pinned).unwrap();
    assert_eq!(i.digest(), Some(SHA));
    assert!(i.is_pinned());
    assert_eq!(i.to_string(), pinned);
    assert!(!i.with_tag("v2").unwrap().is_pinned());
    assert!(
        ImageRef::parse(&format!("app@{SHA}"))
            .unwrap()
            .tag()
            .is_none()
    );
    assert!(ImageRef::parse(&format!("app@sha512:{}", "a".repeat(128))).is_ok());
}

#[test]
fn bad_references() {
    let long_name = format!("a/{}", "b".repeat(255));
    let long_tag = format!("app:{}", "t".repeat(129));
    let bad = [
        "".to_owned(),
        "Nginx".into(),
        "ghcr.io/Your-Org/app:v1".into(),
        "app:".into(),
        ":tag".into(),
        "app:-tag".into(),
        "app:v1!".into(),
        "app/".into(),
        "/app".into(),
        "a//b".into(),
        "my app".into(),
        " app".into(),
        "app:v1 ".into(),
        "app@sha256:abc".into(),
        format!("app@sha256:{}", "A".repeat(64)),
        "app@sha256".into(),
        "app@:abcd".into(),
        format!("@{SHA}"),
        "app-".into(),
        "a.-b".into(),
        "a..b".into(),
        "a___b".into(),
        "bad_host!.io/app".into(),
        "host.io:99999/app".into(),
        "host.io:/app".into(),
        long_name,
        long_tag,
        "app\n".into(),
    ];
    for s in &bad {
        assert!(ImageRef::parse(s).is_err(), "{s:?}");
    }
}

#[test]
fn reasons() {
    let r = ImageRef::parse("ghcr.io/Org/app").unwrap_err().to_string();
    assert!(r.contains("lowercase"), "{r}");
    let r = ImageRef::parse("app@sha256:abcd").unwrap_err().to_string();
    assert!(r.contains("exactly 64"), "{r}");
    let r = ImageRef::parse("a//b").unwrap_err().to_string();
    assert!(r.contains("empty component"), "{r}");
}

#[test]
fn serde_validates() {
    let i: ImageRef = serde_json::from_str("\"nginx:1\"").unwrap();
    assert_eq!(serde_json::to_string(&i).unwrap(), "\"nginx:1\"");
    assert!(serde_json::from_str::<ImageRef>("\"NGINX\"").is_err());
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC*") {
        let _ = ImageRef::parse(&s);
    }

    #[test]
    fn never_panics_near_grammar(s in "[a-zA-Z0-9.:/@_-]{0,40}") {
        if let Ok(i) = ImageRef::parse(&s) {
            prop_assert_eq!(ImageRef::parse(&i.to_string()).unwrap(), i);
        }
    }

    #[test]
    fn round_trip(
        reg in proptest::option::of("[a-z0-9]{1,8}\\.[a-z]{2,4}(:[1-9][0-9]{0,3})?"),
        comps in proptest::collection::vec("[a-z0-9]{1,5}([._-][a-z0-9]{1,5})?", 1..4),
        tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
        dig in proptest::option::of("[0-9a-f]{64}"),
    ) {
        let mut s = String::new();
        if let Some(r) = &reg { s.push_str(r); s.push('/'); }
        s.push_str(&comps.join("/"));
        if let Some(t) = &tag { s.push(':'); s.push_str(t); }
        if let Some(d) = &dig { s.push_str("@sha256:"); s.push_str(d); }
        let i = ImageRef::parse(&s).unwrap();
        prop_assert_eq!(i.to_string(), s.clone());
        if reg.is_some() {
            prop_assert_eq!(i.registry(), reg.as_deref());
        }
        prop_assert_eq!(i.tag(), tag.as_deref());
        prop_assert_eq!(ImageRef::parse(&i.to_string()).unwrap(), i);
    }
}
