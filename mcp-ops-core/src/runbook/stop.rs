//! The caller's request to stop a running procedure safely ([`StopSignal`]).
//!
//! A front end (the `ops` CLI on Ctrl-C, `ops mcp` on a client's cancellation) keeps a clone
//! of the signal it gave the procedure's [`Context`](super::Context) with
//! [`Context::with_stop`](super::Context::with_stop) and calls [`StopSignal::stop`]. The
//! procedure is not aborted mid-call: the step in flight finishes, a new mutating step
//! refuses with [`Error::Stopped`](crate::Error::Stopped) unless it is a
//! [`compensation`](super::Step::compensation) (a rollback or clean-up the safe stop needs),
//! reads still run, and [`Context::sleep`](super::Context::sleep) (the bake, the rollout
//! waits) returns early, so the procedure can put things back and journal what is left.

use std::sync::Arc;

use tokio::sync::watch;

/// A shared, one-way "stop" flag with the first reason given; clones share it.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mcp_ops_core::runbook::StopSignal;
///
/// let stop = StopSignal::new();
/// let theirs = stop.clone();
/// assert!(!theirs.is_stopped());
/// stop.stop("cancelled by the client");
/// stop.stop("a second reason is ignored");
/// theirs.stopped().await; // resolves at once now
/// assert_eq!(theirs.reason().as_deref(), Some("cancelled by the client"));
/// # }
/// ```
#[derive(Clone, Default, Debug)]
pub struct StopSignal {
    /// `None` until stopped; then the first reason.
    state: Arc<watch::Sender<Option<String>>>,
}

impl StopSignal {
    /// A signal not stopped yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder of this signal to stop, saying `why`. Only the first call's reason is
    /// kept; later calls change nothing.
    pub fn stop(&self, why: impl Into<String>) {
        let why = why.into();
        self.state.send_if_modified(|state| {
            if state.is_some() {
                return false;
            }
            *state = Some(why);
            true
        });
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.state.borrow().is_some()
    }

    /// The reason given to the first [`stop`](Self::stop), if stopped.
    pub fn reason(&self) -> Option<String> {
        self.state.borrow().clone()
    }

    /// Resolves once the signal is stopped (at once if it already is). Cancel-safe: dropping
    /// the future loses nothing.
    pub async fn stopped(&self) {
        let mut seen = self.state.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = seen.wait_for(Option::is_some).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_signal_is_not_stopped() {
        let stop = StopSignal::new();
        assert!(!stop.is_stopped());
        assert_eq!(stop.reason(), None);
    }

    #[test]
    fn the_first_reason_is_kept_and_clones_share_it() {
        let stop = StopSignal::new();
        let other = stop.clone();
        other.stop("client cancelled");
        stop.stop("Ctrl-C");
        assert!(stop.is_stopped());
        assert_eq!(stop.reason().as_deref(), Some("client cancelled"));
        assert_eq!(other.reason().as_deref(), Some("client cancelled"));
    }

    #[tokio::test]
    async fn stopped_resolves_when_stopped_later() {
        let stop = StopSignal::new();
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move {
                stop.stopped().await;
                stop.reason()
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        stop.stop("now");
        assert_eq!(waiter.await.ok().flatten().as_deref(), Some("now"));
    }

    #[tokio::test]
    async fn stopped_resolves_at_once_when_already_stopped() {
        let stop = StopSignal::new();
        stop.stop("before");
        stop.stopped().await;
        // A dropped wait loses nothing: waiting again still resolves.
        drop(stop.stopped());
        stop.stopped().await;
    }

    #[tokio::test]
    async fn stopped_is_pending_while_not_stopped() {
        let stop = StopSignal::new();
        let wait = stop.stopped();
        tokio::pin!(wait);
        assert!(futures::poll!(wait.as_mut()).is_pending());
        stop.stop("x");
        assert!(futures::poll!(wait.as_mut()).is_ready());
    }
}
