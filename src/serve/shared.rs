//! What the loop and the HTTP endpoints share: the status behind a lock, and the metrics.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::metrics::Metrics;
use super::status::Status;

/// The status and the metrics of one `keyrot serve`.
#[derive(Debug)]
pub struct Shared {
    status: Mutex<Status>,
    /// The counters and the cycle histogram.
    pub metrics: Metrics,
}

impl Shared {
    /// Shared state starting from `status`.
    pub fn new(status: Status) -> Arc<Self> {
        Arc::new(Self {
            status: Mutex::new(status),
            metrics: Metrics::default(),
        })
    }

    /// Changes the status (and shows the loop is alive).
    pub fn update<T>(&self, change: impl FnOnce(&mut Status) -> T) -> T {
        let mut status = self.lock();
        status.heartbeat = Instant::now();
        change(&mut status)
    }

    /// Shows the loop is alive.
    pub fn beat(&self) {
        self.update(|_| ());
    }

    /// A copy of the status now.
    pub fn status(&self) -> Status {
        self.lock().clone()
    }

    /// The metrics exposition now, in OpenMetrics when `openmetrics`, with its content type.
    pub fn metrics_text(&self, openmetrics: bool) -> (&'static str, String) {
        self.metrics.exposition(&self.lock(), openmetrics)
    }

    fn lock(&self) -> MutexGuard<'_, Status> {
        self.status
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
