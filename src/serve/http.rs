//! The endpoints `keyrot serve` answers on `--listen`: `/metrics` (Prometheus), `/healthz`
//! (the loop is alive), `/readyz` (the file is valid and the last cycle read) and `/status`
//! (JSON). They only read the shared status: a scrape never starts a request to an API.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::shared::Shared;

/// Serves the endpoints on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/status", get(status))
        .with_state(shared)
}

/// OpenMetrics for a client that asks for it (Prometheus does), Prometheus's text format for
/// every other.
async fn metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|accept| accept.contains("application/openmetrics-text"));
    let (content_type, text) = shared.metrics_text(openmetrics);
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.status().alive(Instant::now()) {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(silent) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "stuck: the loop has shown no progress for {}s\n",
                silent.as_secs()
            ),
        )
            .into_response(),
    }
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.status().ready() {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.status()).into_response()
}
