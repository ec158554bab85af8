//! What the HTTP layer reports as it goes (retries, throttling), for `-v` to show. The layer
//! itself never prints.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Something worth telling a user who asked for detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpEvent {
    /// A request failed in a way worth another try, which follows after `delay`.
    Retrying {
        /// The request, e.g. `GET /accounts/…/access/keys`.
        operation: String,
        /// The number of the attempt about to be made.
        next_attempt: usize,
        /// The most attempts that will be made.
        attempts: usize,
        /// How long until it.
        delay: Duration,
        /// Why the previous attempt failed.
        cause: String,
    },
    /// The server said its budget is (nearly) spent; new requests wait.
    Throttled {
        /// How long new requests wait.
        pause: Duration,
    },
}

impl fmt::Display for HttpEvent {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Retrying {
                operation,
                next_attempt,
                attempts,
                delay,
                cause,
            } => write!(
                f,
                "retrying {operation} in {:.1}s (attempt {next_attempt} of {attempts}): {cause}",
                delay.as_secs_f64()
            ),
            Self::Throttled { pause } => write!(
                f,
                "the API's rate limit is nearly spent; holding new requests for {:.1}s",
                pause.as_secs_f64()
            ),
        }
    }
}

/// A callback that receives events.
type EventCallback = Arc<dyn Fn(&HttpEvent) + Send + Sync>;

/// Where events go: a callback the command line installs, or nowhere.
#[derive(Clone)]
pub struct EventSink(Option<EventCallback>);

impl EventSink {
    /// Events are dropped.
    pub fn none() -> Self {
        Self(None)
    }

    /// Events go to `callback`.
    pub fn to(callback: impl Fn(&HttpEvent) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(callback)))
    }

    /// Reports one event.
    pub fn emit(&self, event: &HttpEvent) {
        if let Some(callback) = &self.0 {
            callback(event);
        }
    }
}

impl fmt::Debug for EventSink {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "EventSink(set)"
        } else {
            "EventSink(none)"
        })
    }
}
