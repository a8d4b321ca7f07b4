//! Domain types of mcp-ops: validated names, image references, resource quantities,
//! selectors, severities, revisions, replica counts, secrets and intents.
//!
//! Every type validates on construction (and on deserialization), so a value of one of these
//! types is always acceptable to the backends; errors are [`Error::InvalidInput`] with a
//! reason that says what is wrong.
//!
//! ```
//! use mcp_ops_core::types::{DeploymentRef, ImageRef, LabelSelector, Quantity, Severity};
//!
//! let target: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
//! let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
//! assert_eq!(image.with_tag("v1.0.2")?.tag(), Some("v1.0.2"));
//! assert!(ImageRef::parse("ghcr.io/Your-Org/server:v1").is_err());
//!
//! let total = Quantity::parse("500m")?.checked_add(&Quantity::parse("1500m")?);
//! assert_eq!(total, Some(Quantity::parse("2")?));
//! assert!(Quantity::parse("1Gi")? > Quantity::parse("1000Mi")?);
//!
//! let selector = LabelSelector::parse("app=mcp-typescript-api,tier in (api,ml),!canary")?;
//! assert_eq!(selector.requirements().len(), 3);
//! assert!(Severity::P0.is_more_severe_than(&Severity::P2));
//! assert_eq!(target.qualified(), "mcp-production/mcp-typescript-api");
//! # Ok::<(), mcp_ops_core::Error>(())
//! ```
//!
//! [`Error::InvalidInput`]: crate::Error::InvalidInput

mod fingerprint;
pub mod image;
pub mod intent;
pub mod names;
pub mod quantity;
pub mod replicas;
pub mod resources;
pub mod revision;
pub mod secret;
pub mod selector;
pub mod severity;
pub mod text;

pub use image::ImageRef;
pub use intent::Intent;
pub use names::{ContainerName, DeploymentRef, Namespace, RUNBOOK_NAMESPACE, ResourceName};
pub use quantity::Quantity;
pub use replicas::Replicas;
pub use resources::{ResourceList, ResourceRequirements};
pub use revision::Revision;
pub use secret::{SecretEncoding, SecretSpec, SecretValue};
pub use selector::{LabelSelector, Requirement, SelectorOp};
pub use severity::Severity;
