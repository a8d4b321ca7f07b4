//! MCP resources of `ops mcp`: the runbook's sections (the runbook is embedded in the binary)
//! and an incident's post-mortem timeline, rendered from the persisted, hash-chained journal.
//!
//! - `runbook://sections`: an index of the sections, in Markdown;
//! - `runbook://section/<slug>`: one `##` or `###` section (heading and body; a `##` section
//!   includes its `###` subsections, which are also resources of their own);
//! - `incident://<INC-id>/timeline`: the post-mortem timeline of one incident.

use std::fmt::Write as _;
use std::sync::LazyLock;

use mcp_ops_core::IncidentId;
use mcp_ops_core::audit::{AuditLog, TimelineFilter, filter_records, timeline_markdown};
use mcp_ops_core::redact_text;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

/// The project's runbook, as shipped with this binary.
const RUNBOOK: &str = include_str!("../../../../runbook/runbook.md");
/// The MIME type of every resource here.
const MARKDOWN: &str = "text/markdown";
/// The index of the runbook's sections.
pub const INDEX_URI: &str = "runbook://sections";
/// A section's URI is this followed by its slug.
pub const SECTION_PREFIX: &str = "runbook://section/";
const INCIDENT_PREFIX: &str = "incident://";
const TIMELINE_SUFFIX: &str = "/timeline";

/// One `##` or `###` section of the runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookSection {
    /// Unique within the runbook: the title lower-cased, runs of other characters than
    /// `a-z0-9` made one `-` (`Critical System Down (P0)` → `critical-system-down-p0`).
    pub slug: String,
    /// The heading's text.
    pub title: String,
    /// The titles from the enclosing `##` section down to this one
    /// (`["Deployment Procedures", "Emergency Rollback"]`).
    pub path: Vec<String>,
    /// The heading and its body up to the next heading of the same or a higher level.
    pub markdown: String,
}

/// Why a resource cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// No such resource: unknown URI, unknown section, malformed incident id, or an incident
    /// without journal records.
    #[error("resource not found: {0}")]
    NotFound(String),
    /// The journal cannot be read (the message is redacted).
    #[error("resource unavailable: {0}")]
    Unavailable(String),
}

static SECTIONS: LazyLock<Vec<RunbookSection>> = LazyLock::new(|| parse(RUNBOOK));

/// Every `##` and `###` section of the embedded runbook, in order.
pub fn sections() -> Vec<RunbookSection> {
    SECTIONS.clone()
}

/// `runbook://sections` (an index in Markdown) and `runbook://section/<slug>` for each section.
pub fn list() -> Vec<Resource> {
    let index = Resource::new(INDEX_URI, "runbook-sections")
        .with_title("Runbook sections")
        .with_description("The index of the operations runbook's sections, with their URIs")
        .with_mime_type(MARKDOWN)
        .with_size(byte_len(&index_markdown()));
    let each = sections().into_iter().map(|s| {
        Resource::new(format!("{SECTION_PREFIX}{}", s.slug), s.slug)
            .with_title(s.title)
            .with_description(format!("Runbook: {}", s.path.join(" › ")))
            .with_mime_type(MARKDOWN)
            .with_size(byte_len(&s.markdown))
    });
    std::iter::once(index).chain(each).collect()
}

/// `incident://{id}/timeline` (the post-mortem timeline of one incident) and
/// `runbook://section/{slug}`.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("incident://{id}/timeline", "incident-timeline")
            .with_title("Incident post-mortem timeline")
            .with_description(
                "The post-mortem timeline of one incident (id INC-…) from the persisted, \
                 hash-chained journal: who did what, for which change request, with what outcome",
            )
            .with_mime_type(MARKDOWN),
        ResourceTemplate::new("runbook://section/{slug}", "runbook-section")
            .with_title("Runbook section")
            .with_description("One section of the operations runbook (slugs: runbook://sections)")
            .with_mime_type(MARKDOWN),
    ]
}

/// Reads one resource (`text/markdown`). Timelines come from `audit`: the records of that
/// incident, rendered by [`timeline_markdown`], with a warning when the chain is broken.
///
/// # Errors
/// [`ResourceError::NotFound`] for an unknown URI or section, a malformed incident id or an
/// incident without records; [`ResourceError::Unavailable`] when the journal cannot be read.
pub async fn read(uri: &str, audit: &dyn AuditLog) -> Result<ReadResourceResult, ResourceError> {
    let text = if uri == INDEX_URI {
        index_markdown()
    } else if let Some(slug) = uri.strip_prefix(SECTION_PREFIX) {
        SECTIONS
            .iter()
            .find(|s| s.slug == slug)
            .map(|s| s.markdown.clone())
            .ok_or_else(|| {
                ResourceError::NotFound(format!(
                    "{}: no such runbook section (see {INDEX_URI})",
                    shown(uri)
                ))
            })?
    } else if let Some(id) = uri
        .strip_prefix(INCIDENT_PREFIX)
        .and_then(|rest| rest.strip_suffix(TIMELINE_SUFFIX))
    {
        timeline(id, audit).await?
    } else {
        return Err(ResourceError::NotFound(format!(
            "{}: unknown resource (known: {INDEX_URI}, {SECTION_PREFIX}<slug>, \
             {INCIDENT_PREFIX}<INC-id>{TIMELINE_SUFFIX})",
            shown(uri)
        )));
    };
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type(MARKDOWN),
    ]))
}

/// The post-mortem timeline of incident `id` from the journal.
async fn timeline(id: &str, audit: &dyn AuditLog) -> Result<String, ResourceError> {
    let id = IncidentId::new(id).map_err(|_| {
        ResourceError::NotFound(format!(
            "incident {}: not an incident id (INC-…, A-Z a-z 0-9 - _)",
            shown(id)
        ))
    })?;
    let records = audit.records().await.map_err(unavailable)?;
    let filter = TimelineFilter {
        incident: Some(id.as_str().to_owned()),
        ..TimelineFilter::default()
    };
    let shown_records = filter_records(&records, &filter);
    if shown_records.is_empty() {
        return Err(ResourceError::NotFound(format!(
            "incident {id}: no records in the journal"
        )));
    }
    let mut md = timeline_markdown(
        &shown_records,
        &format!("Post-mortem timeline: incident {id}"),
    );
    let chain = audit.verify().await.map_err(unavailable)?;
    if !chain.intact() {
        // The timeline is still evidence, but not trustworthy: say so under the title.
        let warning = format!(
            "> **Warning**: the journal's chain is BROKEN ({} break(s)): this timeline may have \
             been edited; see `ops journal verify`.\n\n",
            chain.breaks.len()
        );
        let at = md.find("\n\n").map_or(0, |i| i + 2);
        md.insert_str(at, &warning);
    }
    Ok(md)
}

fn unavailable(e: mcp_ops_core::Error) -> ResourceError {
    ResourceError::Unavailable(redact_text(&format!("the journal cannot be read: {e}")))
}

/// A caller's text for a message: at most 200 characters, control characters escaped,
/// credentials and URLs redacted.
fn shown(text: &str) -> String {
    let short: String = text
        .chars()
        .take(200)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    redact_text(&short)
}

fn byte_len(text: &str) -> u64 {
    u64::try_from(text.len()).unwrap_or(u64::MAX)
}

/// The index: every section as a link to its URI, `###` under their `##`.
fn index_markdown() -> String {
    let mut md = String::from("# Runbook sections\n\n");
    md.push_str("Each section of the operations runbook is a resource of its own.\n\n");
    for s in SECTIONS.iter() {
        let indent = "  ".repeat(s.path.len().saturating_sub(1));
        let title = s.title.replace('[', "\\[").replace(']', "\\]");
        let _ = writeln!(md, "{indent}- [{title}]({SECTION_PREFIX}{})", s.slug);
    }
    md
}

/// An ATX heading (`## Title`, up to three spaces before): its level and title.
fn heading(line: &str) -> Option<(usize, String)> {
    let text = line.strip_prefix("   ").or_else(|| line.strip_prefix("  "));
    let text = text.or_else(|| line.strip_prefix(' ')).unwrap_or(line);
    let level = text.bytes().take_while(|&b| b == b'#').count();
    let rest = &text[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim();
    // An optional closing sequence of `#` preceded by a space.
    let closed = rest.trim_end_matches('#');
    let title = if closed.is_empty() || closed.ends_with([' ', '\t']) {
        closed.trim_end()
    } else {
        rest
    };
    Some((level, title.to_owned()))
}

/// A code fence's marker (```` ``` ```` or `~~~`, three or more) and the text after it.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let t = line.trim_start();
    let c = t.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let n = t.chars().take_while(|&x| x == c).count();
    (n >= 3).then(|| (c, n, &t[n..]))
}

/// The `##` and `###` sections of `text`, headings inside code fences ignored.
fn parse(text: &str) -> Vec<RunbookSection> {
    let lines: Vec<&str> = text.lines().collect();
    let mut open: Option<(char, usize)> = None;
    let mut heads: Vec<(usize, usize, String)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some((c, n, after)) = fence(line) {
            match open {
                None => open = Some((c, n)),
                Some((oc, on)) if c == oc && n >= on && after.trim().is_empty() => open = None,
                Some(_) => {}
            }
            continue;
        }
        if open.is_none()
            && let Some((level, title)) = heading(line)
        {
            heads.push((i, level, title));
        }
    }
    let mut out: Vec<RunbookSection> = Vec::new();
    let mut parent: Option<String> = None;
    for (k, (start, level, title)) in heads.iter().enumerate() {
        match level {
            1 => parent = None,
            2 => parent = Some(title.clone()),
            _ => {}
        }
        if !matches!(level, 2 | 3) {
            continue;
        }
        let end = heads[k + 1..]
            .iter()
            .find(|(_, l, _)| l <= level)
            .map_or(lines.len(), |(i, _, _)| *i);
        let mut body: Vec<&str> = lines[*start..end].to_vec();
        while body
            .last()
            .is_some_and(|l| l.trim().is_empty() || l.trim() == "---")
        {
            body.pop();
        }
        let path = match (level, &parent) {
            (3, Some(p)) => vec![p.clone(), title.clone()],
            _ => vec![title.clone()],
        };
        let base = slugify(title);
        let mut slug = base.clone();
        let mut n = 2;
        while out.iter().any(|s| s.slug == slug) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        out.push(RunbookSection {
            slug,
            title: title.clone(),
            path,
            markdown: body.join("\n") + "\n",
        });
    }
    out
}

/// `Critical System Down (P0)` → `critical-system-down-p0` (`section` when nothing is left).
fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "section".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
