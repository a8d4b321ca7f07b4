//! Comparing normalised output, with a readable line diff when it differs.

use serde_json::Value;

use super::common::Run;
use super::normalise::Norm;

/// A line diff of `a` (the simulator) and `b` (the control plane): `-` lines only the
/// simulator printed, `+` lines only the control plane printed.
pub fn diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

/// Pretty JSON with sorted keys (serde_json's map is ordered).
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// kubectl's printed result as one comparable text: exit code, then normalised rows of
/// standard output and of standard error (column widths ignored).
pub fn printed(n: &Norm, run: &Run) -> String {
    let rows = |s: &str| {
        n.rows(s)
            .into_iter()
            .map(|r| r.join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "exit {}\n{}\n--- stderr\n{}",
        run.code,
        rows(&run.stdout),
        rows(&run.stderr)
    )
}

/// Collects every difference of one test, so one run shows them all.
#[derive(Debug, Default)]
pub struct Checks {
    failures: Vec<String>,
}

impl Checks {
    /// Records a difference unless the texts are equal.
    pub fn text(&mut self, what: &str, sim: &str, real: &str) {
        if sim != real {
            self.failures
                .push(format!("{what} (- sim, + real):\n{}", diff(sim, real)));
        }
    }

    /// Records a difference unless the values are equal.
    pub fn json(&mut self, what: &str, sim: &Value, real: &Value) {
        self.text(what, &pretty(sim), &pretty(real));
    }

    /// Records a difference unless kubectl printed the same on both sides.
    pub fn printed(&mut self, what: &str, norms: &(Norm, Norm), runs: &(Run, Run)) {
        self.text(
            what,
            &printed(&norms.0, &runs.0),
            &printed(&norms.1, &runs.1),
        );
    }

    /// As [`Checks::printed`], with the rows sorted: for lists whose order follows generated
    /// names (ReplicaSet hashes, slice suffixes).
    pub fn printed_sorted(&mut self, what: &str, norms: &(Norm, Norm), runs: &(Run, Run)) {
        let sorted = |t: String| {
            let mut lines: Vec<&str> = t.lines().collect();
            lines.sort_unstable();
            lines.join("\n")
        };
        self.text(
            what,
            &sorted(printed(&norms.0, &runs.0)),
            &sorted(printed(&norms.1, &runs.1)),
        );
    }

    /// Panics listing every recorded difference.
    pub fn done(self) {
        assert!(
            self.failures.is_empty(),
            "the simulator differs from the control plane in {} place(s):\n\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}
