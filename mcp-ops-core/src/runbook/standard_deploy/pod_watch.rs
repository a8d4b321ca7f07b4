//! The bake's watch on the deployment itself, every sample: pods not ready, unavailable
//! replicas, container restarts rising. A lost metric source does not blind the bake: a
//! deployment going bad fails it with or without metrics.
//!
//! Rules: restarts above the count seen when the bake began are a breach at once; pods not
//! ready (or replicas unavailable) are a breach when seen on two consecutive samples, or on
//! the last one (no later sample can show it was a pod starting up).

use crate::deploy::PodHealth;

/// What one look at the pods says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PodVerdict {
    /// Every replica ready, no new restarts.
    Fine,
    /// Not ready now; judged again at the next sample.
    Suspect,
    /// The deployment went bad: why, in words.
    Breach(String),
    /// The pods could not be read: why.
    Unread(String),
}

/// The watch's memory across samples.
#[derive(Debug, Default)]
pub(super) struct PodWatch {
    /// Restarts when the bake began (or at the first successful read).
    baseline: Option<u64>,
    /// Consecutive samples with pods not ready.
    streak: u32,
    /// Samples whose pods could not be read.
    pub unread: u32,
    /// The last successful read.
    pub last: Option<PodHealth>,
}

fn unready(h: &PodHealth) -> String {
    let mut s = format!(
        "{} of {} pods ready, {} unavailable",
        h.ready, h.desired, h.unavailable
    );
    if !h.not_ready.is_empty() {
        s.push_str(&format!(" ({})", h.not_ready.join(", ")));
    }
    s
}

impl PodWatch {
    /// Records the pods as the bake begins (a failed read leaves the baseline to the first
    /// successful sample).
    pub(super) fn begin(&mut self, read: Option<&PodHealth>) {
        self.baseline = read.map(|h| h.restarts);
    }

    /// Judges one sample's read; `last` is true on the bake's final sample.
    pub(super) fn observe(&mut self, read: Result<PodHealth, String>, last: bool) -> PodVerdict {
        let h = match read {
            Ok(h) => h,
            Err(why) => {
                self.unread += 1;
                return PodVerdict::Unread(why);
            }
        };
        let base = *self.baseline.get_or_insert(h.restarts);
        self.last = Some(h.clone());
        if h.restarts > base {
            return PodVerdict::Breach(format!(
                "container restarts rose from {base} to {} during the bake; {}",
                h.restarts,
                unready(&h)
            ));
        }
        if h.all_ready() {
            self.streak = 0;
            return PodVerdict::Fine;
        }
        self.streak += 1;
        if self.streak >= 2 || last {
            PodVerdict::Breach(format!(
                "{} on {} consecutive samples",
                unready(&h),
                self.streak
            ))
        } else {
            PodVerdict::Suspect
        }
    }

    /// In words, for the sample's journal line.
    pub(super) fn describe(v: &PodVerdict, h: Option<&PodHealth>) -> String {
        match (v, h) {
            (PodVerdict::Unread(why), _) => format!("pods unread: {why}"),
            (PodVerdict::Breach(why), _) => format!("pods: {why}"),
            (_, Some(h)) => format!(
                "pods {}/{} ready, {} restarts",
                h.ready, h.desired, h.restarts
            ),
            (_, None) => "pods unread".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(ready: u32, restarts: u64) -> PodHealth {
        PodHealth {
            desired: 3,
            ready,
            unavailable: 3 - ready,
            restarts,
            not_ready: Vec::new(),
        }
    }

    #[test]
    fn restarts_breach_at_once_and_not_ready_on_the_second_sample() {
        let mut w = PodWatch::default();
        w.begin(Some(&h(3, 2)));
        assert_eq!(w.observe(Ok(h(3, 2)), false), PodVerdict::Fine);
        assert!(
            matches!(w.observe(Ok(h(3, 3)), false), PodVerdict::Breach(r) if r.contains("from 2 to 3"))
        );
        let mut w = PodWatch::default();
        w.begin(None);
        assert_eq!(w.observe(Ok(h(2, 0)), false), PodVerdict::Suspect);
        assert_eq!(w.observe(Ok(h(3, 0)), false), PodVerdict::Fine);
        assert_eq!(w.observe(Ok(h(2, 0)), false), PodVerdict::Suspect);
        assert!(
            matches!(w.observe(Ok(h(1, 0)), false), PodVerdict::Breach(r) if r.contains("1 of 3 pods ready"))
        );
        let mut w = PodWatch::default();
        assert!(matches!(
            w.observe(Ok(h(2, 0)), true),
            PodVerdict::Breach(_)
        ));
        assert!(matches!(
            w.observe(Err("down".into()), true),
            PodVerdict::Unread(_)
        ));
        assert_eq!(w.unread, 1);
    }
}
