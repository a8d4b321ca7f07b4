//! Patch types: JSON merge patch, JSON patch and strategic merge patch.

pub mod json_patch;
pub mod merge;
pub mod strategic;

use serde_json::Value;

/// The patch type named by a request's Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply, treated as a merge patch).
    Apply,
}

impl PatchType {
    /// The patch type for a Content-Type header value.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// Applies a patch to a copy of `original`; the error is a message for a 422/400 Status.
pub fn apply(pt: PatchType, original: &Value, patch: &Value) -> Result<Value, String> {
    let mut doc = original.clone();
    match pt {
        PatchType::Merge | PatchType::Apply => merge::apply(&mut doc, patch),
        PatchType::Json => json_patch::apply(&mut doc, patch)?,
        PatchType::Strategic => strategic::apply(&mut doc, patch)?,
    }
    Ok(doc)
}
