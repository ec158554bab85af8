//! The simulated API tokens' routes, under `/client/v4`: the user's and each account's lists,
//! one token's read, `verify`, and the roll.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::{SandboxToken, SimulatedTokens};
use crate::sandbox::{ConnectionKill, SandboxState};
use crate::vendor::cloudflare::sandbox::{SimulatedCloudflare, failure};

/// Authentication failed (Cloudflare's code).
const CODE_AUTHENTICATION: i64 = 10000;
/// Malformed JSON in the request body (Cloudflare's code).
const CODE_MALFORMED_JSON: i64 = 6007;
/// A query parameter out of its documented range. Cloudflare documents no code for it; this
/// one is the sandbox's own.
const CODE_BAD_PARAMETER: i64 = 1001;
/// No such token. Cloudflare documents no code for it; this one is the sandbox's own.
const CODE_NO_TOKEN: i64 = 1003;

/// Tokens per page when the request names none (Cloudflare's default).
const DEFAULT_PER_PAGE: usize = 20;

/// The routes, rooted at `/client/v4`.
pub(super) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/client/v4/user/tokens", get(list_user))
        .route("/client/v4/user/tokens/verify", get(verify))
        .route("/client/v4/user/tokens/{token_id}", get(read_user))
        .route("/client/v4/user/tokens/{token_id}/value", put(roll_user))
        .route("/client/v4/accounts/{account_id}/tokens", get(list_account))
        .route(
            "/client/v4/accounts/{account_id}/tokens/{token_id}",
            get(read_account),
        )
        .route(
            "/client/v4/accounts/{account_id}/tokens/{token_id}/value",
            put(roll_account),
        )
}

async fn list_user(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list(&state, &headers, &query, None)
}

async fn list_account(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    list(&state, &headers, &query, Some(&account_id))
}

async fn read_user(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(token_id): Path<String>,
) -> Response {
    read(&state, &headers, None, &token_id)
}

async fn read_account(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path((account_id, token_id)): Path<(String, String)>,
) -> Response {
    read(&state, &headers, Some(&account_id), &token_id)
}

async fn roll_user(
    State(state): State<Arc<SandboxState>>,
    Extension(kill): Extension<ConnectionKill>,
    headers: HeaderMap,
    Path(token_id): Path<String>,
    body: Bytes,
) -> Response {
    roll(&state, &kill, (&headers, &body), None, &token_id).await
}

async fn roll_account(
    State(state): State<Arc<SandboxState>>,
    Extension(kill): Extension<ConnectionKill>,
    headers: HeaderMap,
    Path((account_id, token_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    roll(
        &state,
        &kill,
        (&headers, &body),
        Some(&account_id),
        &token_id,
    )
    .await
}

/// `GET /user/tokens/verify`: the token the request authenticated with.
async fn verify(State(state): State<Arc<SandboxState>>, headers: HeaderMap) -> Response {
    match bearer_token(&state, &headers) {
        Some(token) => success(json!({"id": token.id, "status": token.status}), None),
        None => refused(),
    }
}

fn list(
    state: &SandboxState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    account_id: Option<&str>,
) -> Response {
    let tokens = match tokens_of(state, headers, account_id) {
        Ok(tokens) => tokens,
        Err(answer) => return answer(),
    };
    let number = |name: &str| {
        query
            .get(name)
            .and_then(|value| value.parse::<usize>().ok())
    };
    let page = number("page").unwrap_or(1);
    let per_page = number("per_page").unwrap_or(DEFAULT_PER_PAGE);
    if page < 1 || !(5..=50).contains(&per_page) {
        let message = "page must be at least 1, and per_page between 5 and 50";
        return failure(StatusCode::BAD_REQUEST, CODE_BAD_PARAMETER, message);
    }
    // An account's list leaves expired tokens out unless asked (`include_expired`).
    let with_expired =
        account_id.is_none() || query.get("include_expired").is_some_and(|v| v == "true");
    let owned: Vec<SandboxToken> = tokens
        .tokens(account_id)
        .into_iter()
        .filter(|token| with_expired || token.status != "expired")
        .collect();
    let endless = state.faults.endless_pages();
    let shown: Vec<Value> = owned
        .iter()
        .skip(if endless { 0 } else { (page - 1) * per_page })
        .take(per_page)
        .map(token_json)
        .collect();
    let info = json!({
        "page": page,
        "per_page": per_page,
        "count": shown.len(),
        "total_count": if endless { 1_000_000_000 } else { owned.len() },
    });
    success(Value::Array(shown), Some(info))
}

fn read(
    state: &SandboxState,
    headers: &HeaderMap,
    account_id: Option<&str>,
    token_id: &str,
) -> Response {
    let tokens = match tokens_of(state, headers, account_id) {
        Ok(tokens) => tokens,
        Err(answer) => return answer(),
    };
    let found = tokens
        .tokens(account_id)
        .into_iter()
        .find(|token| token.id == token_id);
    match found {
        Some(token) => success(token_json(&token), None),
        None => no_token(),
    }
}

async fn roll(
    state: &SandboxState,
    kill: &ConnectionKill,
    (headers, body): (&HeaderMap, &Bytes),
    account_id: Option<&str>,
    token_id: &str,
) -> Response {
    let tokens = match tokens_of(state, headers, account_id) {
        Ok(tokens) => tokens,
        Err(answer) => return answer(),
    };
    if !serde_json::from_slice::<Value>(body).is_ok_and(|value| value.is_object()) {
        let message = "Malformed JSON in request body";
        return failure(StatusCode::BAD_REQUEST, CODE_MALFORMED_JSON, message);
    }
    let Some(rolled) = tokens.roll(account_id, token_id) else {
        return no_token();
    };
    state.count_rotation(token_id);
    if state.faults.rotate_then_hang() {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
    if state.faults.drop_after_rotate() {
        return kill.drop_connection().await;
    }
    success(json!(rolled.value), None)
}

/// The simulated tokens, when the request authenticates with the managing token and the
/// routes of `account_id` (the user's when `None`) exist; else what makes the answer
/// refusing it.
fn tokens_of<'s>(
    state: &'s SandboxState,
    headers: &HeaderMap,
    account_id: Option<&str>,
) -> Result<&'s SimulatedTokens, fn() -> Response> {
    let tokens = managed_by(state, headers).ok_or(refused as fn() -> Response)?;
    match known_account(state, tokens, account_id) {
        true => Ok(tokens),
        false => Err(no_route),
    }
}

/// The simulated tokens, when the request authenticates with the managing token.
fn managed_by<'s>(state: &'s SandboxState, headers: &HeaderMap) -> Option<&'s SimulatedTokens> {
    let token = bearer_token(state, headers)?;
    let managing = token.id == super::MANAGING_TOKEN_ID;
    managing
        .then(|| state.simulated::<SimulatedTokens>())
        .flatten()
}

/// The active token a request's `Authorization: Bearer` value is. Tokens accept no
/// `X-Auth-Email` and `X-Auth-Key`.
fn bearer_token(state: &SandboxState, headers: &HeaderMap) -> Option<SandboxToken> {
    let tokens = state.simulated::<SimulatedTokens>()?;
    let access = state.simulated::<SimulatedCloudflare>()?;
    let value = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))?;
    let token = tokens.bearer(value, &access.credentials.api_token)?;
    (token.status == "active").then_some(token)
}

/// Whether the routes of `account_id` exist: the user's always, an account's when the Access
/// API has it or it owns a token. Cloudflare answers an account a token cannot reach as it
/// answers a path it has no route for.
fn known_account(state: &SandboxState, tokens: &SimulatedTokens, account_id: Option<&str>) -> bool {
    let Some(account_id) = account_id else {
        return true;
    };
    let access = state.simulated::<SimulatedCloudflare>();
    access.is_some_and(|access| access.account(account_id).is_some())
        || !tokens.tokens(Some(account_id)).is_empty()
}

/// Cloudflare's "No route for the URI".
fn no_route() -> Response {
    failure(StatusCode::NOT_FOUND, 7003, "No route for the URI")
}

fn refused() -> Response {
    failure(
        StatusCode::FORBIDDEN,
        CODE_AUTHENTICATION,
        "Authentication error",
    )
}

fn no_token() -> Response {
    failure(StatusCode::NOT_FOUND, CODE_NO_TOKEN, "Invalid API Token")
}

fn success(result: Value, result_info: Option<Value>) -> Response {
    let mut body = json!({"success": true, "errors": [], "messages": [], "result": result});
    if let Some(info) = result_info {
        body["result_info"] = info;
    }
    (StatusCode::OK, Json(body)).into_response()
}

fn token_json(token: &SandboxToken) -> Value {
    let mut value = json!({
        "id": token.id,
        "name": token.name,
        "status": token.status,
        "issued_on": token.issued_on.to_string(),
        "modified_on": token.modified_on.to_string(),
        "policies": [{
            "id": "f267e341f3dd4697bd3b9f71dd96247f",
            "effect": "allow",
            "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f", "name": "Zone Read"}],
            "resources": {"com.cloudflare.api.account.zone.*": "*"}
        }],
    });
    if let Some(expires_on) = token.expires_on {
        value["expires_on"] = json!(expires_on.to_string());
    }
    value
}
