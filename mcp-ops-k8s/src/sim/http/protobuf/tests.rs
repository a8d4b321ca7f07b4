//! Decoder tests. `testdata/*.pb` are request bodies kubectl v1.36.3 sent to a SimCluster
//! (captured through a recording proxy); `testdata/*.json` next to them are what the same
//! kubectl prints for the same command with `--dry-run=client -o json`, i.e. the JSON it would
//! have sent (`debug-copy-pod.json`, which has no dry run, was checked by hand).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::decode::MAX_DEPTH;
use super::schema::Schema;
use super::*;
use serde_json::json;

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("testdata/", $name, ".pb")).as_slice(),
            include_str!(concat!("testdata/", $name, ".json")),
        )
    };
}

const SAME_AS_KUBECTL_JSON: &[(&str, &[u8], &str)] = &[
    fixture!("job-from-cronjob"),
    fixture!("job-from-rich-cronjob"),
    fixture!("secret-generic"),
    fixture!("secret-docker-registry"),
    fixture!("configmap"),
    fixture!("deployment"),
    fixture!("namespace"),
    fixture!("serviceaccount"),
    fixture!("service-clusterip"),
    fixture!("ingress"),
    fixture!("cronjob"),
    fixture!("job-image"),
    fixture!("autoscale"),
    fixture!("debug-copy-pod"),
];

#[test]
fn kubectl_bodies_decode_to_the_json_kubectl_would_send() {
    for (name, pb, want) in SAME_AS_KUBECTL_JSON {
        let want: Value = serde_json::from_str(want).unwrap();
        let got = decode(pb).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_rich_job_keeps_zero_pointers_quantities_and_int_or_strings() {
    let (_, pb, _) = SAME_AS_KUBECTL_JSON[1];
    let j = decode(pb).unwrap();
    let pod = &j["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(j["spec"]["backoffLimit"], 0);
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(pod["securityContext"]["runAsUser"], 0);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["resources"]["requests"]["cpu"], "250m");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "metrics");
    assert_eq!(c["readinessProbe"]["tcpSocket"]["port"], 9187);
    assert_eq!(
        c["env"][0]["valueFrom"]["secretKeyRef"]["name"],
        "mcp-secrets"
    );
    assert_eq!(c["env"][2], json!({"name": "PLAIN"}));
    assert_eq!(pod["volumes"][0]["emptyDir"]["sizeLimit"], "1Gi");
    assert!(c.get("stdin").is_none() && c.get("tty").is_none());
}

#[test]
fn secret_data_is_base64_as_in_json() {
    let (_, pb, _) = SAME_AS_KUBECTL_JSON[2];
    let s = decode(pb).unwrap();
    assert_eq!(
        s["data"],
        json!({"bin": "AQI=", "empty": "", "username": "YWRtaW4="})
    );
}

#[test]
fn delete_options_from_kubectl_debug_replace() {
    let pb = include_bytes!("testdata/debug-replace-delete-options.pb");
    assert_eq!(
        decode(pb).unwrap(),
        json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0})
    );
}

#[test]
fn kinds_without_a_schema_are_named_in_the_error() {
    for (pb, kind) in [
        (
            &include_bytes!("testdata/token-request.pb")[..],
            "TokenRequest",
        ),
        (
            &include_bytes!("testdata/pdb.pb")[..],
            "PodDisruptionBudget",
        ),
    ] {
        let e = decode(pb).unwrap_err();
        assert_eq!(e.kind, kind);
        assert!(matches!(e.source, ProtobufError::UnknownKind { .. }), "{e}");
    }
}

#[test]
fn truncated_and_corrupted_bodies_fail_without_panicking() {
    for (name, pb, _) in SAME_AS_KUBECTL_JSON {
        for cut in 0..pb.len() {
            // Any prefix either decodes or fails; it never panics.
            let _ = decode(&pb[..cut]);
        }
        for i in 0..pb.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = pb.to_vec();
                b[i] ^= flip;
                let _ = decode(&b);
            }
        }
        assert!(decode(&pb[..pb.len() - 1]).is_err(), "{name}");
    }
}

#[test]
fn compressed_envelopes_are_refused() {
    let mut b = envelope::MAGIC.to_vec();
    b.extend([0x0a, 12, 0x0a, 2, b'v', b'1', 0x12, 6]);
    b.extend(b"Secret");
    b.extend([0x1a, 4]);
    b.extend(b"gzip");
    let e = decode(&b).unwrap_err();
    assert_eq!(e.source, ProtobufError::ContentEncoding("gzip".into()));
}

/// A tiny schema exercising Go's JSON rules one by one.
const RULES: &str = "
M t.T
F 1 s - string
F 2 so o string
F 3 n - int32
F 4 no o int32
F 5 p p int32
F 6 po po int32
F 7 l l string
F 8 lo ol string
F 9 m m string
F 10 mo om string
F 11 t - Time
F 12 tz oz Time
F 13 sub - t.S
F 14 subp po t.S
F 15 in i t.S
F 16 q - Quantity
F 17 ints ol int32
F 18 b o bytes
M t.S
F 1 x o string
F 2 s o string
";

fn rules(bytes: &[u8]) -> Value {
    let s = Schema::parse(RULES).unwrap();
    Value::Object(decode::message(&s, &s.messages[0], bytes, 0).unwrap())
}

#[test]
fn go_json_rules_for_fields_that_were_not_sent() {
    assert_eq!(
        rules(&[]),
        json!({"s": "", "n": 0, "p": null, "l": null, "m": null, "t": null,
               "sub": {}, "q": "0"})
    );
}

#[test]
fn go_json_rules_for_zero_values_that_were_sent() {
    // so="" no=0 p=0 po=0 b=[] ints packed [1, -1]
    let mut b = vec![0x12, 0, 0x20, 0, 0x28, 0, 0x30, 0, 0x92, 0x01, 0];
    b.extend([0x8a, 0x01, 11, 1]);
    b.extend([0xff; 9]);
    b.push(0x01);
    // subp = {} ; in = {x: "a", s: "inner"} ; s = "outer" (the outer field wins)
    b.extend([0x72, 0, 0x7a, 10, 0x0a, 1, b'a', 0x12, 5]);
    b.extend(b"inner");
    b.extend([0x0a, 5]);
    b.extend(b"outer");
    let v = rules(&b);
    assert_eq!(v["p"], 0);
    assert_eq!(v["po"], 0);
    assert_eq!(v["subp"], json!({}));
    assert_eq!(v["ints"], json!([1, -1]));
    assert_eq!(v["x"], "a");
    assert_eq!(v["s"], "outer");
    for omitted in ["so", "no", "b", "lo", "mo", "tz", "in"] {
        assert!(v.get(omitted).is_none(), "{omitted}: {v}");
    }
}

#[test]
fn wrong_wire_types_and_deep_nesting_are_errors() {
    let s = Schema::parse(RULES).unwrap();
    let e = decode::message(&s, &s.messages[0], &[0x08, 1], 0).unwrap_err();
    assert!(matches!(e, ProtobufError::WireType { .. }), "{e}");
    let e = decode::message(&s, &s.messages[0], &[], MAX_DEPTH + 1).unwrap_err();
    assert_eq!(e, ProtobufError::TooDeep(MAX_DEPTH));
}
