//! Locating PostgreSQL client and server programs (`pg_dump`, `pg_restore`, `initdb` …).
//!
//! Debian installs them under `/usr/lib/postgresql/<major>/bin` and puts only wrappers (or
//! nothing, for server programs) on `PATH`; the highest installed major is preferred, since
//! a newer `pg_dump` can dump an older server but not the reverse.

use crate::{DbError, Result};
use std::path::{Path, PathBuf};

/// The command that installs the PostgreSQL programs.
pub const POSTGRES_INSTALL: &str = "apt-get install -y postgresql";

/// Finds `program` under `/usr/lib/postgresql/*/bin` (highest major first), then on `PATH`.
///
/// # Errors
/// [`DbError::ToolMissing`] with the install command when absent.
pub fn find_postgres_program(program: &str) -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("MCP_OPS_PG_BIN") {
        let p = Path::new(&dir).join(program);
        if p.is_file() {
            return Ok(p);
        }
    }
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin").join(program)))
        })
        .filter(|(_, p)| p.is_file())
        .collect();
    majors.sort_by_key(|m| std::cmp::Reverse(m.0));
    if let Some((_, p)) = majors.into_iter().next() {
        return Ok(p);
    }
    find_on_path(program).ok_or_else(|| DbError::ToolMissing {
        tool: program.to_owned(),
        install: POSTGRES_INSTALL,
    })
}

/// Finds `program` in the directories of `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Pipe capacity asked for between pg_dump/pg_restore and this process (Linux default
/// 64 KiB): a larger pipe lets the program run ahead while this process is not scheduled.
pub(crate) const PIPE_SIZE: usize = 1 << 20;

/// Enlarges a pipe to [`PIPE_SIZE`]; best effort (the kernel may cap it).
pub(crate) fn enlarge_pipe(fd: impl std::os::fd::AsFd) {
    if let Err(e) = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE) {
        tracing::debug!(error = %e, "could not enlarge the pipe");
    }
}

/// Keeps the last `max` bytes of a program's standard error, as text on one line.
pub(crate) fn stderr_tail(bytes: &[u8], max: usize) -> String {
    let start = bytes.len().saturating_sub(max);
    String::from_utf8_lossy(&bytes[start..])
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs `program --version` and returns its output's first line (e.g.
/// `pg_dump (PostgreSQL) 15.18`).
pub(crate) async fn program_version(program: &Path) -> Result<String> {
    let out = tokio::process::Command::new(program)
        .arg("--version")
        .output()
        .await
        .map_err(DbError::io(format!(
            "running {} --version",
            program.display()
        )))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_names_the_install_command() {
        match find_postgres_program("no-such-pg-program-xyz") {
            Err(e @ DbError::ToolMissing { .. }) => {
                assert!(
                    e.to_string().contains("apt-get install -y postgresql"),
                    "{e}"
                );
            }
            other => panic!("expected ToolMissing, got {other:?}"),
        }
    }

    #[test]
    fn stderr_tail_keeps_the_end_on_one_line() {
        let text = b"pg_dump: error: first\n\npg_dump: error: connection lost\n";
        assert_eq!(
            stderr_tail(text, 1000),
            "pg_dump: error: first | pg_dump: error: connection lost"
        );
        assert_eq!(stderr_tail(text, 16), "connection lost");
    }
}
