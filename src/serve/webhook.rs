//! The alert webhook: each event of `keyrot serve` posted as one JSON object to the URL the
//! file's `settings.alert_webhook_env` names, in order, from a queue of its own so a slow
//! receiver never holds a cycle up. An answer other than 2xx (or none) is retried with
//! backoff; an event still undelivered after the last attempt is logged and dropped. The URL
//! is never logged: a webhook URL is a credential of its own.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::events::ServeEvent;
use crate::http::RetryPolicy;

/// The version of the event's JSON shape (docs/alerts.md).
pub const ALERT_FORMAT_VERSION: u32 = 1;

/// How long one delivery attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Events waiting beyond this many are dropped (and logged): a receiver that is down for
/// long must not make the process grow.
const QUEUE: usize = 1000;

/// How hard each event is tried: 6 attempts over about a minute.
const RETRY: RetryPolicy = RetryPolicy {
    attempts: 6,
    max_total_delay: Duration::from_secs(120),
    min_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(30),
};

/// One event as the webhook receives it.
#[derive(Debug, Serialize)]
pub struct Alert {
    /// [`ALERT_FORMAT_VERSION`].
    pub format_version: u32,
    /// When it happened.
    pub at: Timestamp,
    /// The replica that tells it: `user@host`.
    pub replica: String,
    /// The desired-state file, as the replica was given it.
    pub file: String,
    /// What happened.
    #[serde(flatten)]
    pub event: ServeEvent,
}

/// Where alerts go, if anywhere.
pub struct Webhook {
    replica: String,
    file: String,
    delivery: Mutex<Option<Delivery>>,
}

/// The queue into one URL's delivery task.
struct Delivery {
    url: reqwest::Url,
    queue: mpsc::Sender<Alert>,
    task: JoinHandle<()>,
}

impl Webhook {
    /// No URL yet; alerts name `replica` and `file`.
    pub fn new(replica: String, file: String) -> Self {
        Self {
            replica,
            file,
            delivery: Mutex::new(None),
        }
    }

    /// From now on alerts go to `url` (none: nowhere); those queued for another URL before
    /// are still delivered there. The same URL keeps its queue, so alerts stay in order.
    pub fn point_at(&self, url: Option<reqwest::Url>) {
        let mut delivery = self.lock();
        if delivery.as_ref().map(|d| &d.url) == url.as_ref() {
            return;
        }
        *delivery = url.map(|url| {
            let (queue, waiting) = mpsc::channel(QUEUE);
            let task = tokio::spawn(deliver(url.clone(), waiting));
            Delivery { url, queue, task }
        });
    }

    /// Queues `events`.
    pub fn send(&self, events: &[ServeEvent]) {
        let delivery = self.lock();
        let Some(delivery) = delivery.as_ref() else {
            return;
        };
        for event in events {
            let alert = Alert {
                format_version: ALERT_FORMAT_VERSION,
                at: Timestamp::now(),
                replica: self.replica.clone(),
                file: self.file.clone(),
                event: event.clone(),
            };
            if delivery.queue.try_send(alert).is_err() {
                tracing::error!("the alert webhook's queue is full; an event was dropped");
            }
        }
    }

    /// Waits up to `limit` for the queued alerts to be delivered.
    pub async fn flush(&self, limit: Duration) {
        let delivery = self.lock().take();
        if let Some(Delivery { queue, task, .. }) = delivery {
            drop(queue);
            if tokio::time::timeout(limit, task).await.is_err() {
                tracing::error!("alerts still queued for the webhook were not delivered");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Delivery>> {
        self.delivery.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Posts each alert from `waiting` to `url`, in order, until the queue closes.
async fn deliver(url: reqwest::Url, mut waiting: mpsc::Receiver<Alert>) {
    let client = match reqwest::Client::builder().timeout(ATTEMPT_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(error = %error, "cannot start the alert webhook's client");
            return;
        }
    };
    while let Some(alert) = waiting.recv().await {
        post(&client, &url, &alert).await;
    }
}

/// Posts `alert`, retrying with backoff; logs an alert it gives up on.
async fn post(client: &reqwest::Client, url: &reqwest::Url, alert: &Alert) {
    let mut delays = RETRY.delays();
    loop {
        let failure = match client.post(url.clone()).json(alert).send().await {
            Ok(answer) if answer.status().is_success() => return,
            Ok(answer) => format!("HTTP {}", answer.status().as_u16()),
            // Without the URL, which reqwest's errors carry, and with their causes.
            Err(error) => with_causes(&error.without_url()),
        };
        let Some(delay) = delays.next() else {
            tracing::error!(
                failure,
                "the alert webhook did not take an event; it is dropped"
            );
            return;
        };
        tracing::warn!(
            failure,
            retry_in_ms = delay.as_millis() as u64,
            "the alert webhook did not take an event"
        );
        tokio::time::sleep(delay).await;
    }
}

/// `error` and each error that caused it, in one line.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        line.push_str(": ");
        line.push_str(&error.to_string());
        cause = error.source();
    }
    line
}
