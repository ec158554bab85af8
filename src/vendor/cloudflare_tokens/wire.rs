//! Cloudflare's wire format for API tokens, as its API documents describe it (inside the
//! envelope every Cloudflare answer has).

use serde::{Deserialize, Serialize};

/// A token as a list or a read shows it; its value never is.
#[derive(Deserialize)]
pub(super) struct Token {
    pub id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub issued_on: Option<String>,
    pub modified_on: Option<String>,
    pub expires_on: Option<String>,
}

/// `result_info` of a list: how many tokens there are in all, on every page.
#[derive(Deserialize)]
pub(super) struct ListInfo {
    pub total_count: Option<u64>,
}

/// `result` of `GET /user/tokens/verify`: the token the request authenticated with.
#[derive(Deserialize)]
pub(super) struct Verified {
    pub id: String,
}

/// The roll request: an empty object.
#[derive(Serialize)]
pub(super) struct RollRequest {}

/// The roll answer, read leniently: only the value must be there, so a surprise in another
/// field never costs it.
#[derive(Deserialize)]
pub(super) struct RollAnswer {
    pub result: Option<serde_json::Value>,
}

/// A failed answer's error codes (never its messages: a roll's could hold the value).
#[derive(Deserialize)]
pub(super) struct FailedAnswer {
    #[serde(default)]
    pub errors: Vec<ErrorCode>,
}

/// One error item's code.
#[derive(Deserialize)]
pub(super) struct ErrorCode {
    pub code: Option<serde_json::Value>,
}
