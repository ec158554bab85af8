//! Sends one provider's requests: through the shared rate limiter, with timeouts, retrying
//! what is safe to retry and nothing else.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response};
use tokio::time::Instant;

use super::client::{CONNECT_TIMEOUT, describe_transport_error};
use super::events::{EventSink, HttpEvent};
use super::rate_limit::SlidingWindowLimiter;
use super::retry::{RetryPolicy, is_retryable_status, remaining_budget, retry_after};
use super::{BudgetWatch, ServerClock, SharedBudgets, WriteGate};
use crate::config::RateLimit;

/// The least time a write must have left under the lock to be sent at all.
const MIN_WRITE_WINDOW: Duration = Duration::from_secs(10);

/// How long to wait for a whole request unless `--timeout` says otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a request may be sent again when its outcome is in doubt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// GET, PUT, token exchange: sending twice does no harm.
    Idempotent,
    /// A rotate: sent again only when the server certainly did not act (a 429, or a
    /// connection that was never made).
    NotIdempotent,
}

/// How one provider's requests are sent.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// The whole-request timeout.
    pub request_timeout: Duration,
    /// The provider's request budget.
    pub rate_limit: RateLimit,
    /// The name of a budget the provider spends with others (`cloudflare`); none: its own.
    pub shared_budget: Option<&'static str>,
    /// The run's shared budgets.
    pub budgets: SharedBudgets,
    /// How hard to retry.
    pub retry: RetryPolicy,
    /// Where retries and throttling are reported.
    pub events: EventSink,
    /// Where the rate limiter says how long it holds requests.
    pub budget: BudgetWatch,
    /// Where the API's time, from its answers' `Date` headers, is kept.
    pub server_clock: ServerClock,
    /// What every write passes right before it leaves.
    pub write_gate: WriteGate,
}

impl HttpSettings {
    /// Defaults for `rate_limit`, reporting nowhere.
    pub fn new(rate_limit: RateLimit) -> Self {
        Self {
            request_timeout: REQUEST_TIMEOUT,
            rate_limit,
            shared_budget: None,
            budgets: SharedBudgets::default(),
            retry: RetryPolicy::default(),
            events: EventSink::none(),
            budget: BudgetWatch::default(),
            server_clock: ServerClock::default(),
            write_gate: WriteGate::default(),
        }
    }
}

/// A complete answer from the server.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The whole body.
    pub body: bytes::Bytes,
}

/// No complete answer arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    /// What went wrong, in words.
    pub detail: String,
    /// False only when the connection was never made, so the server cannot have acted.
    pub request_may_have_arrived: bool,
    /// False when sending again would meet the same answer (a body over the size limit).
    pub worth_retrying: bool,
}

/// One provider's client: a connection pool, a rate limiter and a retry policy.
pub struct HttpSender {
    client: Client,
    limiter: Arc<SlidingWindowLimiter>,
    retry: RetryPolicy,
    events: EventSink,
    /// Where a retry's wait is shown, beside the limiter's.
    budget: BudgetWatch,
    server_clock: ServerClock,
    write_gate: WriteGate,
    request_timeout: Duration,
}

/// How one attempt ended, before deciding whether to try again.
enum Attempt {
    Answered(HttpResponse, Option<Duration>),
    Failed(TransportError),
}

impl HttpSender {
    /// A sender for `settings`, with keyrot's user agent.
    pub fn new(settings: HttpSettings) -> Result<Self, reqwest::Error> {
        // No redirects: following one could carry credentials (X-Auth-Key, an exchange body)
        // to another host, or downgrade to plain http.
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("keyrot/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(settings.request_timeout)
            .build()?;
        Ok(Self {
            client,
            limiter: match settings.shared_budget {
                Some(name) => settings
                    .budgets
                    .limiter(name, settings.rate_limit, &settings.budget),
                None => Arc::new(SlidingWindowLimiter::new(
                    settings.rate_limit,
                    settings.budget.clone(),
                )),
            },
            budget: settings.budget,
            retry: settings.retry,
            events: settings.events,
            server_clock: settings.server_clock,
            write_gate: settings.write_gate,
            request_timeout: settings.request_timeout,
        })
    }

    /// Sends the request `build` makes, retrying as `idempotency` allows. A final answer with a
    /// retryable status (after the last attempt) is returned as an answer, not an error.
    pub async fn send(
        &self,
        operation: &str,
        idempotency: Idempotency,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<HttpResponse, TransportError> {
        let started = Instant::now();
        let mut delays = self.retry.delays();
        let mut attempt_number = 1;
        loop {
            let attempt = self.attempt(build(&self.client)).await;
            let Some((cause, wait)) = retry_reason(&attempt, idempotency) else {
                return finish(attempt);
            };
            let backoff = delays.next();
            let delay = match (wait, backoff) {
                (_, None) => return finish(attempt),
                (Some(server_wait), Some(_)) => server_wait,
                (None, Some(backoff)) => backoff,
            };
            if started.elapsed().saturating_add(delay) > self.retry.max_total_delay {
                return finish(attempt);
            }
            attempt_number += 1;
            self.budget
                .retrying(std::time::Instant::now() + delay, &cause);
            self.events.emit(&HttpEvent::Retrying {
                operation: operation.to_owned(),
                next_attempt: attempt_number,
                attempts: self.retry.attempts,
                delay,
                cause,
            });
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(&self, request: RequestBuilder) -> Attempt {
        let mut request = match request.build() {
            Ok(request) => request,
            Err(error) => return Attempt::Failed(unsent(describe_transport_error(&error))),
        };
        // Held until the whole answer is read: the request counts against the budget until a
        // window after that.
        let _permit = self.limiter.acquire().await;
        if request.method() != reqwest::Method::GET {
            match self.write_gate.check() {
                // A rotate cut off before its answer is read loses the secret it issued: send
                // none that could not run for a while.
                Ok(Some(left)) if left < MIN_WRITE_WINDOW => {
                    let reason = format!(
                        "not sent: the apply lock is held for only {}s more",
                        left.as_secs()
                    );
                    return Attempt::Failed(unsent(reason));
                }
                Ok(Some(left)) => {
                    *request.timeout_mut() = Some(left.min(self.request_timeout));
                }
                Ok(None) => {}
                Err(reason) => return Attempt::Failed(unsent(format!("not sent: {reason}"))),
            }
        }
        match self.client.execute(request).await {
            Ok(response) => self.read(response).await,
            Err(error) => Attempt::Failed(TransportError {
                detail: describe_transport_error(&error),
                request_may_have_arrived: !error.is_connect(),
                worth_retrying: true,
            }),
        }
    }

    async fn read(&self, response: Response) -> Attempt {
        let status = response.status().as_u16();
        let server_wait = retry_after(response.headers());
        self.server_clock
            .observe(response.headers(), Instant::now());
        self.observe_budget(response.headers(), status, server_wait);
        match read_capped(response).await {
            Ok(body) => Attempt::Answered(HttpResponse { status, body }, server_wait),
            Err(error) => Attempt::Failed(error),
        }
    }

    /// Holds every request of the run when the server says the budget is spent: a 429's
    /// `Retry-After`, or a `Ratelimit` header with (almost) nothing remaining. The pause never
    /// exceeds the retry policy's total wait, whatever the server asks.
    fn observe_budget(
        &self,
        headers: &reqwest::header::HeaderMap,
        status: u16,
        server_wait: Option<Duration>,
    ) {
        let pause = match (status, server_wait, remaining_budget(headers)) {
            (429, Some(wait), _) => Some(wait),
            (_, _, Some((remaining, reset))) if remaining <= 1 => Some(Duration::from_secs(reset)),
            _ => None,
        };
        let pause = pause.map(|pause| pause.min(self.retry.max_total_delay));
        if let Some(pause) = pause.filter(|pause| !pause.is_zero()) {
            // Answers in flight together say the same: report the pause once, not per answer.
            let later = Instant::now() + pause;
            let longer = self.limiter.pause_until(later);
            if longer {
                self.events.emit(&HttpEvent::Throttled { pause });
            }
        }
    }
}

/// Why another attempt is worth making, and how long the server asked to wait; `None` when the
/// attempt is final.
fn retry_reason(attempt: &Attempt, idempotency: Idempotency) -> Option<(String, Option<Duration>)> {
    match (attempt, idempotency) {
        (Attempt::Answered(response, wait), Idempotency::Idempotent)
            if is_retryable_status(response.status) =>
        {
            Some((format!("HTTP {}", response.status), *wait))
        }
        (Attempt::Answered(response, wait), Idempotency::NotIdempotent)
            if response.status == 429 =>
        {
            Some(("HTTP 429".to_owned(), *wait))
        }
        (Attempt::Failed(error), Idempotency::Idempotent) if error.worth_retrying => {
            Some((error.detail.clone(), None))
        }
        (Attempt::Failed(error), Idempotency::NotIdempotent)
            if !error.request_may_have_arrived && error.worth_retrying =>
        {
            Some((error.detail.clone(), None))
        }
        _ => None,
    }
}

/// A request that never left: the server cannot have acted, and sending it again would meet
/// the same refusal.
fn unsent(detail: String) -> TransportError {
    TransportError {
        detail,
        request_may_have_arrived: false,
        worth_retrying: false,
    }
}

fn finish(attempt: Attempt) -> Result<HttpResponse, TransportError> {
    match attempt {
        Attempt::Answered(response, _) => Ok(response),
        Attempt::Failed(error) => Err(error),
    }
}

/// The most of an answer's body keyrot reads: these APIs' answers are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The answer's body, read chunk by chunk and refused past [`MAX_BODY_BYTES`], so a server
/// that never stops sending cannot exhaust memory.
async fn read_capped(mut response: Response) -> Result<bytes::Bytes, TransportError> {
    let mut body = bytes::BytesMut::new();
    loop {
        let failed = |detail, worth_retrying| TransportError {
            detail,
            request_may_have_arrived: true,
            worth_retrying,
        };
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > MAX_BODY_BYTES => {
                let detail = format!(
                    "the answer's body is larger than {} MiB, more than any answer of this API; \
                     keyrot stopped reading it",
                    MAX_BODY_BYTES / (1024 * 1024)
                );
                return Err(failed(detail, false));
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Ok(body.freeze()),
            Err(error) => return Err(failed(describe_transport_error(&error), true)),
        }
    }
}
