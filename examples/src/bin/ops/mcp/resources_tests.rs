//! Tests of the MCP resources: runbook sections, index, timelines, errors.

use mcp_ops_core::audit::{AuditDraft, AuditKind, MemoryAuditLog};
use mcp_ops_core::jiff::Timestamp;

use super::*;

fn text(result: &ReadResourceResult) -> (String, Option<String>) {
    match result.contents.as_slice() {
        [
            ResourceContents::TextResourceContents {
                text, mime_type, ..
            },
        ] => (text.clone(), mime_type.clone()),
        other => panic!("one text content expected, got {other:?}"),
    }
}

#[test]
fn every_runbook_heading_outside_fences_is_a_section_with_a_unique_slug() {
    let all = sections();
    let titles: Vec<&str> = all.iter().map(|s| s.title.as_str()).collect();
    for line in RUNBOOK.lines().filter(|l| l.starts_with("### ")) {
        assert!(titles.contains(&&line[4..]), "{line} is not a section");
    }
    for t in [
        "Critical System Down (P0)",
        "Standard Deployment",
        "Emergency Rollback",
        "Deployment Procedures",
        "Secret Rotation",
        "Tool Access",
    ] {
        assert!(titles.contains(&t), "{t} missing");
    }
    // `## Change Request CR-2025-001` and `# Check …` are inside code fences.
    assert!(
        !titles
            .iter()
            .any(|t| t.starts_with("Change Request") || t.starts_with("Check"))
    );
    let mut slugs: Vec<&str> = all.iter().map(|s| s.slug.as_str()).collect();
    assert!(slugs.iter().all(|s| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }));
    assert!(slugs.contains(&"critical-system-down-p0"));
    let n = slugs.len();
    slugs.sort_unstable();
    slugs.dedup();
    assert_eq!(slugs.len(), n, "slugs are unique");
    let rollback = all.iter().find(|s| s.slug == "emergency-rollback");
    assert_eq!(
        rollback.map(|s| s.path.clone()),
        Some(vec![
            "Deployment Procedures".to_owned(),
            "Emergency Rollback".to_owned()
        ])
    );
}

#[test]
fn parse_ignores_fences_and_numbers_duplicate_slugs() {
    let md = "# T\n## A b\nx\n```\n## not\n```\n### C\ny\n## A-b\nz\n---\n";
    let s = parse(md);
    let got: Vec<(&str, &str)> = s
        .iter()
        .map(|s| (s.slug.as_str(), s.markdown.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("a-b", "## A b\nx\n```\n## not\n```\n### C\ny\n"),
            ("c", "### C\ny\n"),
            ("a-b-2", "## A-b\nz\n")
        ]
    );
}

#[tokio::test]
async fn sections_and_the_index_are_read_as_markdown() {
    let log = MemoryAuditLog::new();
    let read_ok = |uri: &'static str| {
        let log = log.clone();
        async move { read(uri, &log).await.map(|r| text(&r)) }
    };
    let (md, mime) = read_ok("runbook://section/emergency-rollback")
        .await
        .unwrap_or_default();
    assert_eq!(mime.as_deref(), Some("text/markdown"));
    assert!(md.starts_with("### Emergency Rollback\n"), "{md}");
    assert!(md.contains("kubectl rollout undo") && !md.contains("## Scaling Procedures"));
    let (parent, _) = read_ok("runbook://section/deployment-procedures")
        .await
        .unwrap_or_default();
    assert!(parent.contains("### Standard Deployment") && parent.contains(&md));
    let (index, _) = read_ok("runbook://sections").await.unwrap_or_default();
    let listed = list();
    assert_eq!(listed.len(), sections().len() + 1);
    for r in &listed[1..] {
        assert!(
            index.contains(&format!("]({})", r.uri)),
            "{} not in the index",
            r.uri
        );
        assert!(read(&r.uri, &log).await.is_ok(), "{}", r.uri);
    }
    let uris: Vec<String> = templates().into_iter().map(|t| t.uri_template).collect();
    assert_eq!(
        uris,
        ["incident://{id}/timeline", "runbook://section/{slug}"]
    );
}

#[tokio::test]
async fn a_timeline_holds_only_the_asked_incident() {
    let log = MemoryAuditLog::new();
    let at = Timestamp::UNIX_EPOCH;
    let drafts = [
        ("INC-7", "paged the database team"),
        ("INC-8", "restarted the cache"),
    ]
    .map(|(i, what)| AuditDraft::new(at, "alice", AuditKind::Note, what).with_incident(Some(i)));
    assert!(log.append(drafts.to_vec()).await.is_ok());
    let result = read("incident://INC-7/timeline", &log).await;
    let (md, mime) = result.as_ref().map(text).unwrap_or_default();
    assert_eq!(mime.as_deref(), Some("text/markdown"));
    assert!(
        md.contains("paged the database team") && md.contains("INC-7"),
        "{md}"
    );
    assert!(
        !md.contains("restarted the cache") && !md.contains("INC-8"),
        "{md}"
    );
    match read("incident://INC-9/timeline", &log).await {
        Err(ResourceError::NotFound(m)) => assert!(m.contains("INC-9"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bad_uris_are_not_found() {
    let log = MemoryAuditLog::new();
    for uri in [
        "",
        "runbook://section/",
        "runbook://section/nope",
        "runbook://sections/",
        "incident://INC-1",
        "incident://bad id/timeline",
        "incident:///timeline",
        "incident://INC-1/timeline/x",
        "file:///etc/passwd",
        "https://u:pw@h/x",
    ] {
        match read(uri, &log).await {
            Err(ResourceError::NotFound(m)) => assert!(!m.contains("pw@"), "{m}"),
            other => panic!("{uri}: {other:?}"),
        }
    }
}

#[derive(Debug)]
struct Broken;

#[mcp_ops_core::async_trait]
impl AuditLog for Broken {
    async fn append(
        &self,
        _: Vec<AuditDraft>,
    ) -> mcp_ops_core::Result<Vec<mcp_ops_core::audit::AuditRecord>> {
        Err(mcp_ops_core::Error::unavailable(
            "postgres",
            "postgres://ops:hunter2@db/x refused",
        ))
    }
    async fn records(&self) -> mcp_ops_core::Result<Vec<mcp_ops_core::audit::AuditRecord>> {
        Err(mcp_ops_core::Error::unavailable(
            "postgres",
            "postgres://ops:hunter2@db/x refused",
        ))
    }
    async fn verify(&self) -> mcp_ops_core::Result<mcp_ops_core::audit::ChainReport> {
        Err(mcp_ops_core::Error::unavailable("postgres", "refused"))
    }
}

#[tokio::test]
async fn an_unreadable_journal_is_unavailable_and_redacted() {
    match read("incident://INC-1/timeline", &Broken).await {
        Err(ResourceError::Unavailable(m)) => assert!(!m.contains("hunter2"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_timeline_of_an_edited_journal_says_the_chain_is_broken() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory")
    };
    let path = dir.path().join("journal.jsonl");
    let Ok(log) = mcp_ops_core::audit::FileAuditLog::new(&path) else {
        panic!("no file log")
    };
    let draft = AuditDraft::new(Timestamp::UNIX_EPOCH, "alice", AuditKind::Note, "paged bob")
        .with_incident(Some("INC-3"));
    assert!(log.append(vec![draft]).await.is_ok());
    let intact = read("incident://INC-3/timeline", &log).await;
    assert!(
        !intact
            .as_ref()
            .map(text)
            .unwrap_or_default()
            .0
            .contains("BROKEN")
    );
    let edited = std::fs::read_to_string(&path).map(|t| t.replace("paged bob", "paged eve"));
    assert!(edited.and_then(|t| std::fs::write(&path, t)).is_ok());
    let result = read("incident://INC-3/timeline", &log).await;
    let (md, _) = result.as_ref().map(text).unwrap_or_default();
    assert!(
        md.starts_with("# Post-mortem timeline: incident INC-3\n\n> **Warning**"),
        "{md}"
    );
    assert!(md.contains("BROKEN") && md.contains("paged eve"), "{md}");
}
