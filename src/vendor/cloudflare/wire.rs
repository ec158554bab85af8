//! Cloudflare's wire format for Access key configuration, as its API documents describe it.

use serde::{Deserialize, Serialize};

/// Every Cloudflare v4 response: `{success, errors, messages, result}`, with a list's paging
/// as `I` (each list documents its own).
#[derive(Deserialize)]
pub(super) struct Envelope<T, I> {
    pub success: bool,
    #[serde(default)]
    pub errors: Vec<Item>,
    pub result: Option<T>,
    pub result_info: Option<I>,
}

/// Paging of list answers.
#[derive(Deserialize)]
pub(super) struct ResultInfo {
    pub page: Option<u64>,
    pub total_pages: Option<u64>,
}

/// An account, as `GET /accounts` lists it.
#[derive(Deserialize)]
pub(super) struct Account {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// An error or message item: `{code, message, documentation_url?, source?}`.
#[derive(Deserialize)]
pub(super) struct Item {
    pub code: i64,
    pub message: String,
}

/// `result` of GET, PUT and rotate.
#[derive(Deserialize)]
pub(super) struct KeyConfig {
    pub key_rotation_interval_days: f64,
    pub last_key_rotation_at: Option<String>,
    pub days_until_next_rotation: Option<f64>,
}

/// The PUT body: the interval is its only field.
#[derive(Serialize)]
pub(super) struct UpdateKeyConfig {
    pub key_rotation_interval_days: u16,
}
