//! Notification endpoints that fail, for the incident fault tests: a closed port, an HTTP
#![allow(dead_code)]

//! server answering a fixed status (500, or 200 to recover), counting what it received.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// An HTTP/1.1 server on `port` (0: any) answering every request with `status`.
pub struct StatusServer {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl StatusServer {
    /// Starts it; it serves until the test process ends.
    pub fn start(port: u16, status: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = answer(stream, status);
            }
        });
        Self { port, hits }
    }

    /// `http://127.0.0.1:<port>/services/T000/B000/<secret>`: a webhook URL on it.
    pub fn webhook(&self, secret: &str) -> String {
        format!("http://127.0.0.1:{}/services/T000/B000/{secret}", self.port)
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn answer(stream: TcpStream, status: u16) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let text = if status == 200 {
        "ok"
    } else {
        "internal error"
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}
