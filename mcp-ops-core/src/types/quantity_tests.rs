//! Tests of [`Quantity`](super::Quantity).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn parses_values_exactly() {
    let cases: &[(&str, i128)] = &[
        ("0", 0),
        ("1", 1_000_000_000),
        ("500m", 500_000_000),
        ("2000m", 2_000_000_000),
        ("1n", 1),
        ("1u", 1_000),
        ("1k", 1_000_000_000_000),
        ("1Ki", 1024 * 1_000_000_000),
        ("24Mi", 24 * (1 << 20) * 1_000_000_000),
        ("1.5Gi", 3 * (1 << 29) * 1_000_000_000),
        ("0.5", 500_000_000),
        (".5", 500_000_000),
        ("5.", 5_000_000_000),
        ("+1", 1_000_000_000),
        ("-1m", -1_000_000),
        ("1e3", 1_000_000_000_000),
        ("1E-3", 1_000_000),
        ("12e6", 12_000_000_000_000_000),
        ("1e-9", 1),
        ("1E", 1_000_000_000_000_000_000_000_000_000),
        ("1.0000m", 1_000_000),
        ("007", 7_000_000_000),
        ("0.000000001", 1),
        ("0e99999", 0),
        ("1.5e+3", 1_500_000_000_000),
    ];
    for (s, nanos) in cases {
        assert_eq!(q(s).as_nanos(), *nanos, "{s}");
    }
}

#[test]
fn rejects_bad_input() {
    let bad = [
        "",
        " ",
        "1 ",
        " 1",
        "m",
        "Gi",
        "1.2.3",
        ".",
        "+",
        "-",
        "+-1",
        "1KB",
        "1kb",
        "1K",
        "1gi",
        "1Gi1",
        "1e",
        "1e+",
        "1e1.5",
        "1ee3",
        "1Ki3",
        "0.5n",
        "1e-10",
        "0.0000000001",
        "1,5",
        "1_000",
        "0x10",
        "∞",
        "1\n",
        "1ei",
        "1e9999999",
    ];
    for s in bad {
        assert!(Quantity::parse(s).is_err(), "{s:?}");
    }
}

#[test]
fn rejects_overflow() {
    assert!(Quantity::parse("1e40").is_err());
    assert!(Quantity::parse("1000000000000000000000000000000000000000000").is_err());
    assert!(Quantity::parse("200000000000Ei").is_err());
    let r = Quantity::parse("1e40").unwrap_err().to_string();
    assert!(r.contains("out of range"), "{r}");
    let r = Quantity::parse("0.5n").unwrap_err().to_string();
    assert!(r.contains("finer than 1n"), "{r}");
    let r = Quantity::parse("3KB").unwrap_err().to_string();
    assert!(r.contains("unknown suffix"), "{r}");
    let big = Quantity::parse("100000000000Ei").unwrap();
    assert_eq!(big.checked_add(&big), None);
    assert_eq!(big.checked_mul(1_000_000_000), None);
    let neg = Quantity::parse("-100000000000Ei").unwrap();
    assert_eq!(neg.checked_sub(&big), None);
}

#[test]
fn exact_arithmetic_and_ordering() {
    assert_eq!(q("500m").checked_add(&q("1500m")), Some(q("2")));
    assert_eq!(q("1Gi"), q("1024Mi"));
    assert_eq!(q("2000m"), q("2"));
    assert!(q("24Mi") < q("1Gi") && q("1Gi") < q("4Gi"));
    assert!(q("1Gi") > q("1000Mi"));
    assert_eq!(q("1e3"), q("1k"));
    assert_eq!(q("0.1").checked_add(&q("0.2")), Some(q("300m")));
    assert_eq!(q("4Gi").checked_sub(&q("1Gi")), Some(q("3Gi")));
    assert_eq!(q("500m").checked_mul(4), Some(q("2")));
    assert!(q("0").is_zero() && q("0Gi").is_zero() && !q("1n").is_zero());
    assert!(q("-1").is_negative());
    assert_eq!(q("1Gi").ratio(&q("4Gi")), Some(0.25));
    assert_eq!(q("1").ratio(&Quantity::ZERO), None);
    let mut set = std::collections::HashSet::new();
    set.insert(q("1Gi"));
    assert!(set.contains(&q("1024Mi")));
}

#[test]
fn conversions() {
    assert_eq!(Quantity::from_millis(500), q("500m"));
    assert_eq!(Quantity::from_bytes(1 << 30), q("1Gi"));
    assert_eq!(Quantity::from_units(2), q("2"));
    assert_eq!(q("1n").as_millis_ceil(), 1);
    assert_eq!(q("1500m").as_units_ceil(), 2);
    assert_eq!(q("-1500m").as_units_ceil(), -1);
    assert_eq!(q("1Ki").as_units_ceil(), 1024);
    assert_eq!(q("250m").as_millis_ceil(), 250);
}

#[test]
fn canonical_display() {
    let cases = [
        ("2000m", "2"),
        ("500m", "500m"),
        ("1500m", "1500m"),
        ("1024Mi", "1Gi"),
        ("1000Mi", "1000Mi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Ki", "512"),
        ("1e3", "1k"),
        ("12e6", "12M"),
        ("1E-3", "1m"),
        ("0.1m", "100u"),
        ("-2Gi", "-2Gi"),
        ("0Gi", "0"),
        ("1n", "1n"),
        ("4Gi", "4Gi"),
        ("24Mi", "24Mi"),
    ];
    for (input, shown) in cases {
        assert_eq!(q(input).to_string(), shown, "{input}");
    }
    assert_eq!(Quantity::from_bytes(2048).to_string(), "2Ki");
    assert_eq!(Quantity::from_millis(2500).to_string(), "2500m");
    assert_eq!(format!("{:?}", q("1.5Gi")), "Quantity(1536Mi)");
}

#[test]
fn serde_as_string() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct R {
        cpu: Quantity,
    }
    let r: R = serde_json::from_str(r#"{"cpu":"2000m"}"#).unwrap();
    assert_eq!(r.cpu, q("2"));
    assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"cpu":"2"}"#);
    assert!(serde_json::from_str::<R>(r#"{"cpu":"2 cores"}"#).is_err());
}

fn suffix() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "", "n", "u", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "e3", "E-3", "e0",
    ])
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC*") {
        let _ = Quantity::parse(&s);
    }

    #[test]
    fn never_panics_near_grammar(s in "[-+]?[0-9.]{0,30}([eE][-+]?[0-9]{0,8}|[a-zA-Z]{0,3})") {
        if let Ok(v) = Quantity::parse(&s) {
            prop_assert_eq!(Quantity::parse(&v.to_string()).unwrap(), v);
        }
    }

    #[test]
    fn round_trip(sign in "[-+]?", int in 0u64..1_000_000, frac in "[0-9]{0,3}", suf in suffix()) {
        let s = if frac.is_empty() { format!("{sign}{int}{suf}") } else { format!("{sign}{int}.{frac}{suf}") };
        if let Ok(v) = Quantity::parse(&s) {
            let shown = v.to_string();
            let back = Quantity::parse(&shown).unwrap();
            prop_assert_eq!(back, v);
            prop_assert_eq!(back.to_string(), shown);
        } else {
            // Only sub-nano values may be rejected here.
            prop_assert!(suf == "n" || suf == "u" || suf == "E-3", "{} rejected", s);
        }
    }

    #[test]
    fn addition_is_exact(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
        let sum = Quantity::from_millis(a).checked_add(&Quantity::from_millis(b)).unwrap();
        prop_assert_eq!(sum, Quantity::from_millis(a + b));
        prop_assert_eq!(Quantity::from_millis(a) < Quantity::from_millis(b), a < b);
    }
}
