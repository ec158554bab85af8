//! RIXL's wire format for API keys and token exchange, as its API documents describe it.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// `ApiKey` as a list shows it: every field a string. A `secret` (only in create and rotate
/// answers) is never read from a list.
#[derive(Deserialize)]
pub(super) struct ApiKey {
    pub id: Option<String>,
    pub name: Option<String>,
    pub created_at: Option<String>,
    pub expiring_at: Option<String>,
}

/// The list answer of both route families.
#[derive(Deserialize)]
pub(super) struct ListApiKeys {
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    pub total: Option<Total>,
}

/// `total`: an integer in the platform document, an integer or a string in the v1 one.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Total {
    Number(u64),
    Text(String),
}

impl Total {
    pub fn value(&self) -> Option<u64> {
        match self {
            Self::Number(value) => Some(*value),
            Self::Text(text) => text.trim().parse().ok(),
        }
    }
}

/// The rotate answer, read leniently: only the secret must be there, and the rest is best
/// effort, so a surprise in another field never costs the secret.
#[derive(Deserialize)]
pub(super) struct RotateApiKey {
    pub api_key: Option<RotatedApiKey>,
}

/// The key in a rotate answer.
#[derive(Deserialize)]
pub(super) struct RotatedApiKey {
    pub secret: Option<SecretString>,
    #[serde(default)]
    pub created_at: Option<serde_json::Value>,
    #[serde(default)]
    pub expiring_at: Option<serde_json::Value>,
}

/// The token exchange request.
#[derive(Serialize)]
pub(super) struct ExchangeRequest<'a> {
    pub api_key: &'a str,
}

/// The token exchange answer.
#[derive(Deserialize)]
pub(super) struct TokenResponse {
    pub access_token: Option<SecretString>,
}

/// The error body of the older documents: `{code, error, details}`.
#[derive(Deserialize)]
pub(super) struct ErrorBody {
    pub code: Option<serde_json::Value>,
    pub error: Option<String>,
    pub message: Option<String>,
    pub details: Option<serde_json::Value>,
}
