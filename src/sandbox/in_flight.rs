//! How many requests the sandbox is answering at once: the most ever (what a client's
//! `--parallelism` bounds), and a gate that holds requests until enough arrive together, so a
//! test can tell that a client sends concurrently without relying on timing.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// The requests in flight now, and the most there ever were.
pub(crate) struct InFlight {
    now: watch::Sender<usize>,
    most: AtomicUsize,
}

/// One request in flight; it leaves when this is dropped.
pub(crate) struct Entered<'a>(&'a InFlight);

impl InFlight {
    /// None in flight yet.
    pub fn new() -> Self {
        Self {
            now: watch::Sender::new(0),
            most: AtomicUsize::new(0),
        }
    }

    /// Counts a request in, until the returned guard is dropped.
    pub fn enter(&self) -> Entered<'_> {
        self.now.send_modify(|now| {
            *now += 1;
            self.most.fetch_max(*now, Ordering::SeqCst);
        });
        Entered(self)
    }

    /// The most requests that were ever in flight at once.
    pub fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }

    /// Returns once `count` requests have been in flight at once (at once when they were).
    pub async fn gathered(&self, count: usize) {
        let mut now = self.now.subscribe();
        let _ = now.wait_for(|_| self.most() >= count).await;
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.now.send_modify(|now| *now -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_held_together_are_released_once_enough_arrive() {
        let in_flight = InFlight::new();
        let first = in_flight.enter();
        let waiting = in_flight.gathered(2);
        tokio::pin!(waiting);
        assert!(futures_util::poll!(&mut waiting).is_pending());
        let second = in_flight.enter();
        waiting.await;
        drop((first, second));
        let _third = in_flight.enter();
        assert_eq!(in_flight.most(), 2);
        in_flight.gathered(2).await;
    }
}
