//! Email over SMTP (lettre, rustls).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::notice::{Notice, Receipt};
use crate::error::{AlertsError, Result, scrub};
use mcp_ops_core::SecretValue;

use super::notice::secret_str;

const BACKEND: &str = "email";

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS (local relays, test sinks).
    Plain,
    /// STARTTLS required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// SMTP settings of the email notifier.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// Relay host.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// User name and password, if the relay wants them.
    pub credentials: Option<(String, SecretValue)>,
    /// Sender (`mcp-ops <ops@company.com>`).
    pub from: String,
    /// Recipients (`mcp-alerts@company.com`).
    pub to: Vec<String>,
    /// Connection and command timeout.
    pub timeout: Duration,
}

impl EmailConfig {
    /// Plain SMTP to `host:port` (no TLS, no credentials) from `from` to `to`.
    #[must_use]
    pub fn plain(
        host: impl Into<String>,
        port: u16,
        from: impl Into<String>,
        to: Vec<String>,
    ) -> Self {
        Self {
            host: host.into(),
            port,
            security: SmtpSecurity::Plain,
            credentials: None,
            from: from.into(),
            to,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Sends incident notices by email.
///
/// As a `Notifier` it takes P0–P2 (the runbook's "P2+") and every message kind of those
/// incidents, INCIDENT ACKNOWLEDGED included: whoever was mailed the detection also learns
/// who took the incident and that escalation stopped.
///
/// The SMTP password never appears in `Debug` output or errors.
pub struct EmailNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    password: Option<SecretValue>,
    pub(crate) clock: mcp_ops_core::SharedClock,
}

impl std::fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailNotifier")
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

fn mailbox(s: &str) -> Result<Mailbox> {
    s.parse()
        .map_err(|e| AlertsError::InvalidInput(format!("email address {s:?}: {e}")))
}

impl EmailNotifier {
    /// Builds the notifier (the connection pool opens on first send).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use mcp_ops_alerts::notify::{EmailConfig, EmailNotifier, Notice, NoticeKind};
    /// use mcp_ops_alerts::testing::SmtpSink;
    ///
    /// // A local SMTP sink stands in for the relay (feature `testing`).
    /// let sink = SmtpSink::start().await?;
    /// let config = EmailConfig::plain(
    ///     sink.host(),
    ///     sink.port(),
    ///     "ops@example.com",
    ///     vec!["mcp-alerts@example.com".into()],
    /// );
    /// let email = EmailNotifier::new(config)?;
    /// let notice = Notice::new(NoticeKind::Detected, "INC-1", "P1", "High error rate", "15 %");
    /// assert_eq!(email.send_notice(&notice).await?.channel, "email");
    /// assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    ///
    /// let nobody = EmailConfig::plain("127.0.0.1", 25, "ops@example.com", vec![]);
    /// assert!(EmailNotifier::new(nobody).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] for bad addresses, no recipients, bad TLS parameters,
    /// port 0, a malformed host, or credentials without TLS (`Plain` with a password) to a host
    /// that is not loopback.
    pub fn new(config: EmailConfig) -> Result<Self> {
        if config.to.is_empty() {
            return Err(AlertsError::InvalidInput(
                "email notifier without recipients".into(),
            ));
        }
        let loopback = config.host.eq_ignore_ascii_case("localhost")
            || config
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if config.credentials.is_some() && config.security == SmtpSecurity::Plain && !loopback {
            return Err(AlertsError::InvalidInput(
                "smtp authentication without TLS would send the password in clear (accepted \
                 for a loopback relay only); use starttls or tls (MCP_OPS_SMTP_SECURITY)"
                    .into(),
            ));
        }
        if config.port == 0 {
            return Err(AlertsError::InvalidInput(
                "smtp port 0 is not a port".into(),
            ));
        }
        let host_ok = !config.host.is_empty()
            && config.host.len() <= 253
            && config.host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        if !host_ok {
            return Err(AlertsError::InvalidInput(
                "smtp host must be a host name or an IP address".into(),
            ));
        }
        let from = mailbox(&config.from)?;
        let to = config
            .to
            .iter()
            .map(|t| mailbox(t))
            .collect::<Result<Vec<_>>>()?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned())
                .map_err(|e| AlertsError::InvalidInput(format!("smtp tls: {e}")))
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
            .port(config.port)
            .timeout(Some(config.timeout));
        b = match config.security {
            SmtpSecurity::Plain => b.tls(Tls::None),
            SmtpSecurity::StartTls => b.tls(Tls::Required(tls(&config.host)?)),
            SmtpSecurity::Tls => b.tls(Tls::Wrapper(tls(&config.host)?)),
        };
        let mut password = None;
        if let Some((user, pw)) = config.credentials {
            super::notice::check_secret(&pw, "smtp password")?;
            b = b.credentials(Credentials::new(user, secret_str(&pw).to_owned()));
            password = Some(pw);
        }
        Ok(Self {
            transport: b.build(),
            from,
            to,
            password,
            clock: std::sync::Arc::new(mcp_ops_core::SystemClock),
        })
    }

    /// Uses `clock` for delivery times.
    #[must_use]
    pub fn with_clock(mut self, clock: mcp_ops_core::SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The email for `notice`: the subject line and the template body as plain text.
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] if lettre cannot build it.
    pub fn message(&self, notice: &Notice) -> Result<Message> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(notice.subject.replace(['\r', '\n'], " "))
            .header(ContentType::TEXT_PLAIN);
        for t in &self.to {
            b = b.to(t.clone());
        }
        b.body(notice.body.clone())
            .map_err(|e| AlertsError::InvalidInput(format!("email: {e}")))
    }

    /// Sends `notice`.
    ///
    /// # Errors
    /// [`AlertsError::Smtp`] (permanent for 5xx replies); never contains the password.
    pub async fn send_notice(&self, notice: &Notice) -> Result<Receipt> {
        let msg = self.message(notice)?;
        let resp = self.transport.send(msg).await.map_err(|e| {
            let secrets: Vec<&str> = self.password.iter().map(secret_str).collect();
            AlertsError::Smtp {
                message: scrub(&e.to_string(), &secrets),
                permanent: e.is_permanent(),
            }
        })?;
        Ok(Receipt {
            channel: BACKEND,
            reference: resp.message().next().map(str::to_owned),
        })
    }
}
