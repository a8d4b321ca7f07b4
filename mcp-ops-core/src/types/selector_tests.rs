//! Tests of [`LabelSelector`](super::LabelSelector).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn set(vals: &[&str]) -> BTreeSet<String> {
    vals.iter().map(|v| (*v).to_owned()).collect()
}

#[test]
fn runbook_selector() {
    let s = LabelSelector::parse("app=mcp-typescript-api,tier in (api,ml),!canary").unwrap();
    assert_eq!(
        s.requirements(),
        &[
            Requirement {
                key: "app".into(),
                op: SelectorOp::Equals("mcp-typescript-api".into())
            },
            Requirement {
                key: "canary".into(),
                op: SelectorOp::DoesNotExist
            },
            Requirement {
                key: "tier".into(),
                op: SelectorOp::In(set(&["api", "ml"]))
            },
        ]
    );
    assert_eq!(
        s.to_string(),
        "app=mcp-typescript-api,!canary,tier in (api,ml)"
    );
    assert!(s.matches(&labels(&[("app", "mcp-typescript-api"), ("tier", "ml")])));
    assert!(!s.matches(&labels(&[("app", "mcp-typescript-api"), ("tier", "db")])));
    assert!(!s.matches(&labels(&[
        ("app", "mcp-typescript-api"),
        ("tier", "api"),
        ("canary", "")
    ])));
    assert!(!s.matches(&labels(&[("tier", "api")])));
}

#[test]
fn all_operators() {
    let cases: &[(&str, SelectorOp)] = &[
        ("a==b", SelectorOp::Equals("b".into())),
        ("a = b", SelectorOp::Equals("b".into())),
        ("a=", SelectorOp::Equals(String::new())),
        ("a!=b", SelectorOp::NotEquals("b".into())),
        ("a notin (x, y)", SelectorOp::NotIn(set(&["x", "y"]))),
        ("a in (x)", SelectorOp::In(set(&["x"]))),
        ("a", SelectorOp::Exists),
        ("! a", SelectorOp::DoesNotExist),
    ];
    for (text, op) in cases {
        let s = LabelSelector::parse(text).unwrap();
        assert_eq!(
            s.requirements(),
            &[Requirement {
                key: "a".into(),
                op: op.clone()
            }],
            "{text}"
        );
        assert_eq!(LabelSelector::parse(&s.to_string()).unwrap(), s);
    }
    let s: LabelSelector = "example.com/Team_1.x=Blue-2".parse().unwrap();
    assert_eq!(s.requirements()[0].key, "example.com/Team_1.x");
    assert!(LabelSelector::parse("").unwrap().is_empty());
    assert!(LabelSelector::parse("  ").unwrap().is_empty());
}

#[test]
fn matching_semantics() {
    let l = labels(&[("app", "web"), ("tier", "api")]);
    let yes = [
        "",
        "app",
        "app=web",
        "app!=db",
        "missing!=x",
        "tier in (api,db)",
        "tier notin (db)",
        "missing notin (x)",
        "!missing",
        "app,tier",
    ];
    let no = [
        "missing",
        "app=db",
        "app!=web",
        "tier in (db)",
        "missing in (x)",
        "tier notin (api)",
        "!app",
        "app=web,tier=db",
    ];
    for s in yes {
        assert!(LabelSelector::parse(s).unwrap().matches(&l), "{s}");
    }
    for s in no {
        assert!(!LabelSelector::parse(s).unwrap().matches(&l), "{s}");
    }
}

#[test]
fn rejects_bad_selectors() {
    let long = format!("a={}", "v".repeat(64));
    let long_key = format!("{}=v", "k".repeat(64));
    let bad = [
        ",",
        "a,",
        ",a",
        "a,,b",
        "=b",
        "a=b=c",
        "a in",
        "a in ()",
        "a in (x",
        "a in x",
        "a in (x,)",
        "a in (,x)",
        "a notin (x y)",
        "a b",
        "a>1",
        "a<1",
        "!",
        "!a=b",
        "a=-b",
        "a=b-",
        "A B=c",
        "-a=b",
        "a/=b",
        "/a=b",
        "Example.com/a=b",
        "a/b/c=d",
        "a=b c",
        "a=(b)",
        "a=é",
        "a in (é)",
        "!!a",
        "a!b",
        "a==b==",
        &long,
        &long_key,
    ];
    for s in bad {
        assert!(LabelSelector::parse(s).is_err(), "{s:?}");
    }
    let r = LabelSelector::parse("a in ()").unwrap_err().to_string();
    assert!(r.contains("expected a value in the set"), "{r}");
    let r = LabelSelector::parse("a>1").unwrap_err().to_string();
    assert!(r.contains("unsupported operator"), "{r}");
}

#[test]
fn canonical_order_and_equality() {
    let a = LabelSelector::parse("b=2,a=1,a=1").unwrap();
    let b = LabelSelector::parse("a=1,b=2").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_string(), "a=1,b=2");
    assert_eq!(
        LabelSelector::from_labels(&labels(&[("b", "2"), ("a", "1")])).unwrap(),
        b
    );
    assert!(LabelSelector::from_labels(&labels(&[("bad key", "1")])).is_err());
    assert!(
        LabelSelector::new(vec![Requirement {
            key: "a".into(),
            op: SelectorOp::In(set(&[]))
        }])
        .is_err()
    );
    let json = serde_json::to_string(&b).unwrap();
    assert_eq!(json, "\"a=1,b=2\"");
    assert_eq!(serde_json::from_str::<LabelSelector>(&json).unwrap(), b);
    assert!(serde_json::from_str::<LabelSelector>("\"a in (\"").is_err());
}

fn key() -> impl Strategy<Value = String> {
    (
        "(([a-z0-9]{1,5}\\.){0,2}[a-z0-9]{1,5}/)?",
        "[A-Za-z0-9]([A-Za-z0-9._-]{0,10}[A-Za-z0-9])?",
    )
        .prop_map(|(p, n)| format!("{p}{n}"))
        .prop_filter("keywords are fine but keep keys distinct from them", |k| {
            k != "in" && k != "notin"
        })
}

fn value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]([A-Za-z0-9._-]{0,10}[A-Za-z0-9])?"
}

fn op() -> impl Strategy<Value = SelectorOp> {
    prop_oneof![
        prop::option::of(value()).prop_map(|v| SelectorOp::Equals(v.unwrap_or_default())),
        value().prop_map(SelectorOp::NotEquals),
        prop::collection::btree_set(value(), 1..4).prop_map(SelectorOp::In),
        prop::collection::btree_set(value(), 1..4).prop_map(SelectorOp::NotIn),
        Just(SelectorOp::Exists),
        Just(SelectorOp::DoesNotExist),
    ]
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC*") {
        let _ = LabelSelector::parse(&s);
    }

    #[test]
    fn never_panics_near_grammar(s in "[a-z!=(), ]{0,30}") {
        if let Ok(sel) = LabelSelector::parse(&s) {
            prop_assert_eq!(LabelSelector::parse(&sel.to_string()).unwrap(), sel);
        }
    }

    #[test]
    fn round_trip(reqs in prop::collection::vec((key(), op()), 0..5)) {
        let reqs = reqs.into_iter().map(|(key, op)| Requirement { key, op }).collect();
        let sel = LabelSelector::new(reqs).unwrap();
        let text = sel.to_string();
        let back = LabelSelector::parse(&text).unwrap();
        prop_assert_eq!(&back, &sel);
        prop_assert_eq!(back.to_string(), text);
    }
}
