//! Running pg_restore with a backup streamed into its standard input.

use super::manifest::BackupManifest;
use super::service::within_stall_limit;
use super::store::BackupReader;
use crate::tools::stderr_tail;
use crate::{DbError, Result};
use sha2::{Digest, Sha256};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdin, Command};

pub(crate) const CHUNK: usize = 256 * 1024;
const STDERR_CAP: usize = 64 * 1024;

/// What a fed program produced.
pub(crate) struct FedOutput {
    pub stdout: Vec<u8>,
}

/// Hashes a whole stream: (size, sha256 hex).
pub(crate) async fn digest(mut reader: BackupReader) -> Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(DbError::io("reading the backup"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Runs `cmd` with `reader` on its standard input. When `check` is given, the last chunk
/// is held back until the whole stream matched the manifest's size and checksum; on a
/// mismatch the program gets a truncated archive and is killed, so a single-transaction
/// restore never commits.
pub(crate) async fn run_fed(
    tool: &'static str,
    mut cmd: Command,
    reader: BackupReader,
    check: Option<&BackupManifest>,
    stall_limit: Option<Duration>,
) -> Result<FedOutput> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(DbError::io(format!("starting {tool}")))?;
    let stdin = child.stdin.take();
    if let Some(pipe) = stdin.as_ref() {
        crate::tools::enlarge_pipe(pipe);
    }
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_task = tokio::spawn(read_capped(stdout, usize::MAX));
    let err_task = tokio::spawn(read_capped(stderr, STDERR_CAP));
    let fed = match stdin {
        Some(stdin) => feed(reader, stdin, check, stall_limit).await,
        None => Ok(()),
    };
    if fed.is_err() {
        let _ = child.start_kill();
    }
    let status = child
        .wait()
        .await
        .map_err(DbError::io(format!("waiting for {tool}")))?;
    let stdout = out_task.await.unwrap_or_default();
    let stderr = err_task.await.unwrap_or_default();
    fed?;
    if !status.success() {
        return Err(DbError::ToolFailed {
            tool,
            status: status.to_string(),
            stderr: stderr_tail(&stderr, 1500),
        });
    }
    Ok(FedOutput { stdout })
}

async fn feed(
    mut reader: BackupReader,
    mut stdin: ChildStdin,
    check: Option<&BackupManifest>,
    stall_limit: Option<Duration>,
) -> Result<()> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(DbError::io("reading the backup"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        if !pending.is_empty() && !write_or_closed(&mut stdin, &pending, stall_limit).await? {
            return Ok(()); // the program stopped reading (e.g. `--list` after the TOC)
        }
        pending.clear();
        pending.extend_from_slice(&buf[..n]);
    }
    if let Some(m) = check {
        let sha = hex::encode(hasher.finalize());
        if size != m.size_bytes || sha != m.sha256 {
            return Err(DbError::VerificationFailed {
                id: m.id.to_string(),
                reason: "the backup changed while it was being restored (checksum mismatch)"
                    .to_owned(),
            });
        }
    }
    if !pending.is_empty() {
        write_or_closed(&mut stdin, &pending, stall_limit).await?;
    }
    let _ = stdin.shutdown().await;
    Ok(())
}

/// Writes; `Ok(false)` when the reader closed its end.
async fn write_or_closed(
    stdin: &mut ChildStdin,
    bytes: &[u8],
    stall_limit: Option<Duration>,
) -> Result<bool> {
    const STALLED: &str = "pg_restore took nothing (a frozen server, or a lock it waits for?) and";
    match within_stall_limit(stall_limit, STALLED, stdin.write_all(bytes)).await? {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(DbError::Io {
            context: "writing to pg_restore".to_owned(),
            source: e,
        }),
    }
}

pub(crate) async fn read_capped<R: AsyncRead + Unpin>(pipe: Option<R>, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(mut pipe) = pipe else { return out };
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.len() > cap {
            let cut = out.len() - cap;
            out.drain(..cut);
        }
    }
    out
}
