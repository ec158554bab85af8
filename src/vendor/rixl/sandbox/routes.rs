//! The simulated RIXL API's routes: both route families and the token exchange.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{SandboxKey, SimulatedRixl};
use crate::sandbox::{ConnectionKill, SandboxState, random_token};

/// Page size when the request names none.
const DEFAULT_PAGE: usize = 25;
/// The largest page either route family returns.
const MAX_PAGE: usize = 100;

/// Which route family a request came in on: they differ in query names and in `total`.
#[derive(Clone, Copy)]
enum Family {
    Platform,
    V1,
}

/// The routes of both families.
pub(super) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/platform/api-keys", get(list_platform))
        .route("/platform/api-keys/{key_id}/rotate", post(rotate_platform))
        .route("/platform/auth/token", post(exchange))
        .route("/platform/auth/v1/token", post(exchange))
        .route("/organizations/{org_id}/api-keys/v1", get(list_v1))
        .route(
            "/organizations/{org_id}/api-keys/v1/{key_id}/rotate",
            post(rotate_v1),
        )
}

async fn list_platform(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list(&state, &headers, &query, None, Family::Platform)
}

async fn list_v1(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list(&state, &headers, &query, Some(&org_id), Family::V1)
}

async fn rotate_platform(
    State(state): State<Arc<SandboxState>>,
    Extension(kill): Extension<ConnectionKill>,
    headers: HeaderMap,
    Path(key_id): Path<String>,
) -> Response {
    rotate(&state, &kill, &headers, None, &key_id).await
}

async fn rotate_v1(
    State(state): State<Arc<SandboxState>>,
    Extension(kill): Extension<ConnectionKill>,
    headers: HeaderMap,
    Path((org_id, key_id)): Path<(String, String)>,
) -> Response {
    rotate(&state, &kill, &headers, Some(&org_id), &key_id).await
}

fn list(
    state: &SandboxState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    org_id: Option<&str>,
    family: Family,
) -> Response {
    let Some(rixl) = state.simulated::<SimulatedRixl>() else {
        return unauthenticated();
    };
    if !authenticated(rixl, headers) {
        return unauthenticated();
    }
    let (limit_name, offset_name) = match family {
        Family::Platform => ("limit", "offset"),
        Family::V1 => ("pagination.limit", "pagination.offset"),
    };
    let number = |name: &str| {
        query
            .get(name)
            .and_then(|value| value.parse::<usize>().ok())
    };
    let limit = number(limit_name).unwrap_or(DEFAULT_PAGE);
    if limit == 0 || (limit > MAX_PAGE && matches!(family, Family::V1)) {
        return error(
            StatusCode::BAD_REQUEST,
            3,
            &format!("{limit_name} must be between 1 and {MAX_PAGE}"),
        );
    }
    let endless = state.faults.endless_pages();
    let offset = if endless {
        0
    } else {
        number(offset_name).unwrap_or(0)
    };
    let keys = match endless && state.faults.ever_new_items() {
        true => never_listed_before(rixl, org_id, number(offset_name).unwrap_or(0)),
        false => rixl.keys(org_id),
    };
    let page: Vec<Value> = keys
        .iter()
        .skip(offset)
        .take(limit.min(MAX_PAGE))
        .map(|key| key_json(key, false))
        .collect();
    let total = if endless { 1_000_000_000 } else { keys.len() };
    let total = match family {
        Family::Platform => json!(total),
        Family::V1 => json!(total.to_string()),
    };
    Json(json!({"api_keys": page, "total": total})).into_response()
}

async fn rotate(
    state: &SandboxState,
    kill: &ConnectionKill,
    headers: &HeaderMap,
    org_id: Option<&str>,
    key_id: &str,
) -> Response {
    let Some(rixl) = state.simulated::<SimulatedRixl>() else {
        return unauthenticated();
    };
    if !authenticated(rixl, headers) {
        return unauthenticated();
    }
    let now = state.clock.now();
    let Some(rotated) = rixl.rotate(org_id, key_id, now) else {
        return error(StatusCode::NOT_FOUND, 5, "api key not found");
    };
    state.count_rotation(key_id);
    if state.faults.rotate_then_hang() {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
    if state.faults.drop_after_rotate() {
        return kill.drop_connection().await;
    }
    Json(json!({"api_key": key_json(&rotated, true)})).into_response()
}

async fn exchange(State(state): State<Arc<SandboxState>>, body: axum::body::Bytes) -> Response {
    let api_key = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|value| value.get("api_key")?.as_str().map(str::to_owned));
    let rixl = state.simulated::<SimulatedRixl>();
    let Some(rixl) = rixl.filter(|rixl| api_key.as_deref() == Some(&rixl.credentials.api_key))
    else {
        return error(StatusCode::UNAUTHORIZED, 16, "invalid api key");
    };
    let token = rixl.issue_token();
    let expires_at = state.clock.now() + jiff::SignedDuration::from_hours(1);
    Json(json!({
        "access_token": token,
        "refresh_token": random_token(16),
        "token_type": "Bearer",
        "expires_in": 3600,
        "expires_at": expires_at.to_string(),
    }))
    .into_response()
}

fn authenticated(rixl: &SimulatedRixl, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| rixl.accepts_token(token))
}

fn unauthenticated() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        16,
        "unauthenticated: missing or invalid bearer token",
    )
}

/// One key whose ID follows from `offset`: a page of one key no page listed before.
fn never_listed_before(
    rixl: &SimulatedRixl,
    org_id: Option<&str>,
    offset: usize,
) -> Vec<SandboxKey> {
    let template = rixl.keys(org_id).into_iter().next();
    template
        .map(|mut key| {
            key.id = format!("NEW{offset}");
            key.name = format!("never listed before {offset}");
            key
        })
        .into_iter()
        .collect()
}

/// An error in RIXL's shape.
pub(super) fn error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"code": code, "error": message, "details": []});
    (status, Json(body)).into_response()
}

fn key_json(key: &SandboxKey, with_secret: bool) -> Value {
    let instant = |at: Option<Timestamp>| at.map(|at| at.to_string());
    let mut value = json!({
        "id": key.id,
        "name": key.name,
        "org_id": key.org_id,
        "project_id": key.project_id,
        "project_name": key.project_name,
        "created_at": key.created_at.to_string(),
        "expiring_at": instant(key.expiring_at),
        "last_used": instant(key.last_used),
    });
    if with_secret {
        value["secret"] = json!(key.secret);
    }
    value
}
