//! Notifiers: Slack incoming webhooks, PagerDuty Events API v2 and email over SMTP.

pub mod email;
mod http;
pub mod notice;
mod notifier;
pub mod pagerduty;
pub mod slack;

pub use email::{EmailConfig, EmailNotifier, SmtpSecurity};
pub use notice::{Notice, NoticeKind, Receipt};
pub use pagerduty::{ChangeEvent, PagerDutyNotifier, dedup_key};
pub use slack::SlackNotifier;
