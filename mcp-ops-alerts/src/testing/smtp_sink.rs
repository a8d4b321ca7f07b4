//! A tiny SMTP server that accepts every message and keeps it in memory.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::error::{AlertsError, Result};

/// A message the sink received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The raw message (headers and body), dot-unstuffed, CRLF line ends.
    pub data: String,
    /// The user that authenticated, if any.
    pub user: Option<String>,
}

type Store = Arc<Mutex<Vec<ReceivedMail>>>;

/// An SMTP sink on a free 127.0.0.1 port; stops on drop.
#[derive(Debug)]
pub struct SmtpSink {
    addr: SocketAddr,
    mails: Store,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a sink that needs no authentication.
    ///
    /// # Errors
    /// [`AlertsError::Harness`] when no port can be bound.
    pub async fn start() -> Result<Self> {
        Self::start_inner(None).await
    }

    /// Starts a sink that advertises `AUTH PLAIN` and accepts only `user` / `password`
    /// (others get `535`).
    ///
    /// # Errors
    /// [`AlertsError::Harness`] when no port can be bound.
    pub async fn start_with_auth(user: &str, password: &str) -> Result<Self> {
        Self::start_inner(Some((user.to_owned(), password.to_owned()))).await
    }

    async fn start_inner(auth: Option<(String, String)>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| AlertsError::Harness(format!("smtp sink bind: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| AlertsError::Harness(format!("smtp sink addr: {e}")))?;
        let mails: Store = Arc::default();
        let store = mails.clone();
        let auth = Arc::new(auth);
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                let auth = auth.clone();
                tokio::spawn(async move {
                    let _ = session(sock, store, auth.as_ref().as_ref()).await;
                });
            }
        });
        Ok(Self { addr, mails, task })
    }

    /// `127.0.0.1`.
    #[must_use]
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Messages received so far.
    #[must_use]
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mails.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits until at least `n` messages arrived or `timeout` passed; returns what arrived.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn address(arg: &str) -> String {
    let a = arg.split_once(':').map_or(arg, |(_, a)| a).trim();
    let a = a.split_whitespace().next().unwrap_or("");
    a.trim_start_matches('<').trim_end_matches('>').to_owned()
}

fn check_plain(b64: &str, expected: &(String, String)) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split('\0');
    let _authzid = parts.next()?;
    let user = parts.next()?;
    let pass = parts.next()?;
    (user == expected.0 && pass == expected.1).then(|| user.to_owned())
}

async fn session(
    sock: TcpStream,
    store: Store,
    auth: Option<&(String, String)>,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    w.write_all(b"220 mcp-ops-sink ESMTP\r\n").await?;
    let (mut from, mut to, mut user) = (String::new(), Vec::new(), None);
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let mut r = String::from("250-mcp-ops-sink\r\n250-8BITMIME\r\n");
            if auth.is_some() {
                r.push_str("250-AUTH PLAIN\r\n");
            }
            r.push_str("250 SMTPUTF8\r\n");
            r
        } else if upper.starts_with("HELO") {
            "250 mcp-ops-sink\r\n".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let arg = line.get(10..).unwrap_or("").trim().to_owned();
            let arg = if arg.is_empty() {
                w.write_all(b"334 \r\n").await?;
                lines.next_line().await?.unwrap_or_default()
            } else {
                arg
            };
            match auth.and_then(|a| check_plain(&arg, a)) {
                Some(u) => {
                    user = Some(u);
                    "235 2.7.0 Authentication successful\r\n".into()
                }
                None => "535 5.7.8 Authentication credentials invalid\r\n".into(),
            }
        } else if upper.starts_with("MAIL FROM") {
            if auth.is_some() && user.is_none() {
                "530 5.7.0 Authentication required\r\n".into()
            } else {
                from = address(&line);
                to.clear();
                "250 2.1.0 Ok\r\n".into()
            }
        } else if upper.starts_with("RCPT TO") {
            to.push(address(&line));
            "250 2.1.5 Ok\r\n".into()
        } else if upper == "DATA" {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push_str("\r\n");
            }
            let n = {
                let mut m = store
                    .lock()
                    .map_err(|_| std::io::Error::other("poisoned"))?;
                m.push(ReceivedMail {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                    user: user.clone(),
                });
                m.len()
            };
            format!("250 2.0.0 Ok: queued as SINK{n}\r\n")
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "NOOP" {
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "QUIT" {
            w.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not recognized\r\n".into()
        };
        w.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}
