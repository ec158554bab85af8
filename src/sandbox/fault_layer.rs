//! The middleware that records every request and injects the configured faults before the
//! simulated API sees it.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::connection::ConnectionKill;
use super::faults::{Budget, Injected};
use super::state::SandboxState;

/// Cloudflare's code for a rate-limited token.
const CODE_RATE_LIMITED: i64 = 971;
/// The sandbox's code for an injected server error.
const CODE_UNAVAILABLE: i64 = 10502;

/// Records the request, waits the configured latency, enforces the server's rate limit, then
/// injects a fault or passes the request on.
pub(crate) async fn inject_faults(
    State(state): State<Arc<SandboxState>>,
    Extension(kill): Extension<ConnectionKill>,
    request: Request,
    next: Next,
) -> Response {
    state.record(request.method().as_str(), request.uri());
    let _in_flight = state.in_flight.enter();
    state.in_flight.gathered(state.faults.gather()).await;
    let (method, path) = (request.method(), request.uri().path());
    let is_rotate = state
        .vendors()
        .iter()
        .any(|vendor| vendor.rotates(method, path));
    // Each vendor's errors in its own shape: Cloudflare's envelope, RIXL's {code, error}.
    let vendor = state.vendor_serving(request.uri().path());
    let failure = |status: StatusCode, code: i64, message: &str| match vendor {
        Some(vendor) => vendor.failure(status, code, message),
        None => (status, message.to_owned()).into_response(),
    };
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let budget = match state.faults.admit(Instant::now()) {
        Ok(budget) => budget,
        Err(wait) => return throttled(&state, failure, wait.as_secs_f64().ceil() as u64),
    };
    if state.faults.endless_body() && request.method() == axum::http::Method::GET {
        return endless_body();
    }
    let mut response = match state.faults.draw(is_rotate) {
        Injected::Nothing => next.run(request).await,
        Injected::ServerError => failure(
            StatusCode::SERVICE_UNAVAILABLE,
            CODE_UNAVAILABLE,
            if state.faults.hostile_messages() {
                "Service temporarily unavailable\u{1b}[2J\u{1b}[H\nall keys rotated OK"
            } else {
                "Service temporarily unavailable (injected by the sandbox)"
            },
        ),
        Injected::Throttled(wait) => throttled(&state, failure, wait.as_secs()),
        Injected::Drop => return kill.drop_connection().await,
    };
    if let Some(budget) = budget {
        add_budget_headers(&mut response, budget);
    }
    response
}

/// A 200 whose JSON body never ends (it stops after 1 GiB, so the sandbox's loop is bounded).
fn endless_body() -> Response {
    let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
    let chunks = futures_util::stream::iter(
        std::iter::once(bytes::Bytes::from_static(b"{\"result\": \""))
            .chain(std::iter::repeat_n(chunk, 16 * 1024))
            .map(Ok::<_, std::io::Error>),
    );
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(chunks))
        .unwrap_or_default()
}

/// A 429 in the shape `failure` gives, with `Retry-After`.
fn throttled(
    state: &SandboxState,
    failure: impl Fn(StatusCode, i64, &str) -> Response,
    retry_after_seconds: u64,
) -> Response {
    state.count_throttled();
    let mut response = failure(
        StatusCode::TOO_MANY_REQUESTS,
        CODE_RATE_LIMITED,
        "Please wait and consider throttling your request speed",
    );
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from(retry_after_seconds.max(1)));
    response
}

fn add_budget_headers(response: &mut Response, budget: Budget) {
    let headers = response.headers_mut();
    let current = format!(
        "\"default\";r={};t={}",
        budget.remaining, budget.reset_seconds
    );
    let policy = format!(
        "\"default\";q={};w={}",
        budget.limit.requests,
        budget.limit.window.as_secs()
    );
    for (name, value) in [("ratelimit", current), ("ratelimit-policy", policy)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}
