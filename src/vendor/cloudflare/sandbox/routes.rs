//! The simulated Cloudflare API: Access key configuration under `/client/v4`, with the real
//! envelope, both authentication schemes, and the documented error codes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{SandboxAccount, SimulatedCloudflare};
use crate::sandbox::{ConnectionKill, SandboxState};

/// Authentication failed (Cloudflare's code).
const CODE_AUTHENTICATION: i64 = 10000;
/// No route for the URI (Cloudflare's code, also for unknown accounts).
const CODE_NO_ROUTE: i64 = 7003;
/// Malformed JSON in the request body (Cloudflare's code).
const CODE_MALFORMED_JSON: i64 = 6007;
/// Access key configuration not enabled (Cloudflare's code).
const CODE_NOT_ENABLED: i64 = 12109;
/// An invalid interval. Cloudflare documents no code for it; this one is the sandbox's own.
const CODE_INVALID_INTERVAL: i64 = 12130;

/// The routes of the simulated Cloudflare API, rooted at `/client/v4`.
pub(super) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/client/v4/accounts", get(list_accounts))
        .route("/client/v4/accounts/{account_id}", get(read_account))
        .route(
            "/client/v4/accounts/{account_id}/access/keys",
            get(read_keys).put(update_keys),
        )
        .route(
            "/client/v4/accounts/{account_id}/access/keys/rotate",
            post(rotate_keys),
        )
}

/// Accounts per page when the request names none (Cloudflare's default).
const DEFAULT_PER_PAGE: usize = 20;

async fn list_accounts(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(cloudflare) = state.simulated::<SimulatedCloudflare>() else {
        return no_route_response();
    };
    if !authenticated(cloudflare, &headers) {
        return failure(
            StatusCode::FORBIDDEN,
            CODE_AUTHENTICATION,
            "Authentication error",
        );
    }
    let number = |name: &str| {
        query
            .get(name)
            .and_then(|value| value.parse::<usize>().ok())
    };
    let endless = state.faults.endless_pages();
    let page = number("page").unwrap_or(1).max(1);
    let per_page = number("per_page").unwrap_or(DEFAULT_PER_PAGE).clamp(5, 50);
    let ids = cloudflare.account_names();
    let (served, total_pages) = match endless {
        true => (1, 1_000_000_000),
        false => (page, ids.len().div_ceil(per_page)),
    };
    let listed: Vec<Value> = ids
        .iter()
        .skip((served - 1) * per_page)
        .take(per_page)
        .map(|(id, name)| account_json(id, name.as_deref()))
        .collect();
    let body = json!({
        "success": true, "errors": [], "messages": [],
        "result": listed,
        "result_info": {
            "page": page, "per_page": per_page, "count": listed.len(),
            "total_count": ids.len(), "total_pages": total_pages,
        },
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn read_account(
    State(state): State<Arc<SandboxState>>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(cloudflare) = state.simulated::<SimulatedCloudflare>() else {
        return no_route_response();
    };
    if !authenticated(cloudflare, &headers) {
        return failure(
            StatusCode::FORBIDDEN,
            CODE_AUTHENTICATION,
            "Authentication error",
        );
    }
    let Some(account) = cloudflare.account(&account_id) else {
        return no_route_response();
    };
    let result = account_json(&account_id, account.name.as_deref());
    let body = json!({"success": true, "errors": [], "messages": [], "result": result});
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// An account as `GET /accounts` shows it: by the name it was seeded with, or after its ID.
fn account_json(account_id: &str, name: Option<&str>) -> Value {
    let short: String = account_id.chars().take(8).collect();
    let name = name.map_or_else(|| format!("Sandbox account {short}"), str::to_owned);
    json!({"id": account_id, "name": name, "type": "standard"})
}

async fn read_keys(
    State(state): State<Arc<SandboxState>>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(&state, &headers, &account_id, |_, _| Ok(()))
}

async fn update_keys(
    State(state): State<Arc<SandboxState>>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(&state, &headers, &account_id, |account, now| {
        let days = interval_from_body(&body)?;
        account.set_interval(days, now);
        Ok(())
    })
}

async fn rotate_keys(
    State(state): State<Arc<SandboxState>>,
    Extension(kill): Extension<ConnectionKill>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let unchanged = state.faults.rotate_unchanged();
    let response = respond(&state, &headers, &account_id, |account, now| {
        if !unchanged {
            account.last_key_rotation_at = now;
        }
        Ok(())
    });
    if response.status().is_success() && !unchanged {
        state.count_rotation(&account_id);
        if state.faults.drop_after_rotate() {
            return kill.drop_connection().await;
        }
    }
    response
}

/// A refused request: HTTP status, Cloudflare error code and message.
struct Failure {
    status: StatusCode,
    code: i64,
    message: &'static str,
}

/// Authenticates, finds the account, applies `change`, and answers with the configuration.
fn respond(
    state: &SandboxState,
    headers: &HeaderMap,
    account_id: &str,
    change: impl FnOnce(&mut SandboxAccount, Timestamp) -> Result<(), Failure>,
) -> Response {
    let Some(cloudflare) = state.simulated::<SimulatedCloudflare>() else {
        return no_route_response();
    };
    if !authenticated(cloudflare, headers) {
        return failure(
            StatusCode::FORBIDDEN,
            CODE_AUTHENTICATION,
            "Authentication error",
        );
    }
    if cloudflare.access_disabled(account_id) {
        return failure(
            StatusCode::BAD_REQUEST,
            CODE_NOT_ENABLED,
            "Access is not enabled for this account",
        );
    }
    let outcome = cloudflare.with_account(account_id, |account, now| {
        change(account, now).map(|()| success(account, now))
    });
    match outcome {
        Some(Ok(response)) => response,
        Some(Err(refused)) => failure(refused.status, refused.code, refused.message),
        None => no_route_response(),
    }
}

/// Cloudflare's "No route for the URI", which it also answers for an unknown account.
pub(super) fn no_route_response() -> Response {
    failure(StatusCode::NOT_FOUND, CODE_NO_ROUTE, "No route for the URI")
}

fn authenticated(cloudflare: &SimulatedCloudflare, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let credentials = &cloudflare.credentials;
    let bearer = header("authorization").and_then(|value| value.strip_prefix("Bearer "));
    if bearer == Some(credentials.api_token.as_str()) {
        return true;
    }
    header("x-auth-email") == Some(credentials.email.as_str())
        && header("x-auth-key") == Some(credentials.api_key.as_str())
}

fn interval_from_body(body: &[u8]) -> Result<u32, Failure> {
    let value: Value = serde_json::from_slice(body).map_err(|_| Failure {
        status: StatusCode::BAD_REQUEST,
        code: CODE_MALFORMED_JSON,
        message: "Malformed JSON in request body",
    })?;
    let days = value
        .get("key_rotation_interval_days")
        .and_then(Value::as_f64);
    match days {
        Some(days) if days.fract() == 0.0 && (21.0..=365.0).contains(&days) => Ok(days as u32),
        _ => Err(Failure {
            status: StatusCode::BAD_REQUEST,
            code: CODE_INVALID_INTERVAL,
            message: "key_rotation_interval_days must be a number between 21 and 365",
        }),
    }
}

fn success(account: &SandboxAccount, now: Timestamp) -> Response {
    let result = json!({
        "key_rotation_interval_days": account.key_rotation_interval_days,
        "days_until_next_rotation": account.days_until_next_rotation(now),
        "last_key_rotation_at": account.last_key_rotation_at.to_string(),
    });
    let body = json!({"success": true, "errors": [], "messages": [], "result": result});
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// An error in Cloudflare's envelope.
pub(crate) fn failure(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null,
    });
    (status, axum::Json(body)).into_response()
}
