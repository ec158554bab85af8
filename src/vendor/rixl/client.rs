//! The RIXL API key client: list (paginated), rotate, and the token exchange, for either route
//! family.

use std::collections::HashMap;

use jiff::Timestamp;
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, OnceCell};

use super::RixlApi;
use super::credentials::RixlCredentials;
use super::wire::{ApiKey, ErrorBody, ExchangeRequest, ListApiKeys, RotateApiKey, TokenResponse};
use crate::http::{HttpResponse, HttpSender, HttpSettings, Idempotency, endpoint, parse_base_url};
use crate::plan::Observation;
use crate::provider::{BadInstant, ProviderError, ResourceLabel, wire_instant};

/// RIXL's API unless `RIXL_BASE_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.rixl.com";

/// Keys asked for per list page (the v1 routes allow at most 100).
const PAGE_SIZE: u64 = 100;
/// The most list pages keyrot follows (a million keys): a server that keeps reporting more is
/// stopped there.
const MAX_PAGES: usize = 10_000;

/// One key as the client addresses it and names it in errors.
#[derive(Clone, Copy, Debug)]
pub struct KeyRef<'a> {
    /// The resource name in the desired-state file.
    pub name: &'a str,
    /// RIXL's key ID.
    pub key_id: &'a str,
}

impl KeyRef<'_> {
    /// How messages name the key: `rixl api key "ci-uploader" (ak7Hq2)`.
    pub fn label(&self) -> ResourceLabel {
        ResourceLabel(format!("rixl api key \"{}\" ({})", self.name, self.key_id))
    }
}

/// A key as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedKey {
    /// The key ID.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its state.
    pub live: Observation,
}

/// A rotated key: its new state and its new secret, which exists nowhere else.
pub struct RotatedKey {
    /// The key after the rotation.
    pub live: Observation,
    /// The new secret.
    pub secret: SecretString,
}

/// A client for one run: one connection pool, one rate limiter, one access token.
pub struct RixlClient {
    http: HttpSender,
    base_url: Url,
    api: RixlApi,
    credentials: RixlCredentials,
    exchanged_token: OnceCell<SecretString>,
    /// The keys as the last full list pass saw them (with this run's rotations since): RIXL
    /// documents no read of one key, so a check of one key before its rotate reads this
    /// instead of listing every key again. Held while a list pass runs, so that checks made
    /// at once wait for one pass instead of each making their own.
    listing: Mutex<Option<HashMap<String, Observation>>>,
}

impl RixlClient {
    /// A client for `base_url` and route family `api`.
    pub fn new(
        base_url: Url,
        api: RixlApi,
        credentials: RixlCredentials,
        settings: HttpSettings,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            http: HttpSender::new(settings).map_err(|error| {
                ProviderError::Setup(format!("cannot set up the HTTP client: {error}"))
            })?,
            base_url,
            api,
            credentials,
            exchanged_token: OnceCell::new(),
            listing: Mutex::new(None),
        })
    }

    /// A client configured from the environment: `RIXL_BASE_URL` and the credentials.
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        api: RixlApi,
        settings: HttpSettings,
    ) -> Result<Self, ProviderError> {
        let text = var("RIXL_BASE_URL").filter(|url| !url.trim().is_empty());
        let base_url = parse_base_url("RIXL_BASE_URL", text.as_deref().unwrap_or(DEFAULT_BASE_URL))
            .map_err(|error| ProviderError::Setup(error.to_string()))?;
        let credentials = RixlCredentials::from_env(&var)?;
        Self::new(base_url, api, credentials, settings)
    }

    /// Every key of the organization, by key ID, following pages until `total` is reached.
    /// Lists every key, and remembers them for [`RixlClient::listed_key`].
    pub async fn list_and_remember(&self) -> Result<HashMap<String, Observation>, ProviderError> {
        let mut remembered = self.listing.lock().await;
        let listed = self.list().await?;
        *remembered = Some(listed.clone());
        Ok(listed)
    }

    /// Key `id` as the last list pass saw it (with this run's rotations since), listing every
    /// key first when none was made; `None` when the list does not have it. The other count
    /// is how many keys were listed.
    pub async fn listed_key(
        &self,
        id: &str,
    ) -> Result<(Option<Observation>, usize), ProviderError> {
        let mut remembered = self.listing.lock().await;
        let listing = match remembered.take() {
            Some(listing) => listing,
            None => self.list().await?,
        };
        let key = (listing.get(id).cloned(), listing.len());
        *remembered = Some(listing);
        Ok(key)
    }

    /// Notes a rotation this run made (`Some`), or forgets the listing when a rotate's outcome
    /// is in doubt (`None`), so the next check lists again.
    pub async fn note_rotation(&self, id: &str, after: Option<Observation>) {
        let mut remembered = self.listing.lock().await;
        match (after, remembered.as_mut()) {
            (Some(live), Some(listing)) => {
                listing.insert(id.to_owned(), live);
            }
            (Some(_), None) => {}
            (None, _) => *remembered = None,
        }
    }

    /// Lists every key, page by page, by ID.
    pub async fn list(&self) -> Result<HashMap<String, Observation>, ProviderError> {
        let mut keys: HashMap<String, Observation> = HashMap::new();
        for key in self.list_keys().await? {
            // A key listed twice (pages shifting under a concurrent change) counts once, newest.
            let newer = keys
                .get(&key.id)
                .is_none_or(|seen| key.live.last_rotation > seen.last_rotation);
            if newer {
                keys.insert(key.id, key.live);
            }
        }
        Ok(keys)
    }

    /// Every key of the organization with its name, in the order RIXL lists them.
    pub async fn list_keys(&self) -> Result<Vec<ListedKey>, ProviderError> {
        let label = ResourceLabel("rixl api keys".to_owned());
        let mut keys: Vec<ListedKey> = Vec::new();
        let mut listed: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut offset = 0;
        for pages in 1.. {
            let path = self.list_path(offset);
            let response = self.call(&label, Method::GET, &path, None).await?;
            let page: ListApiKeys = parse(&label, &format!("GET {path}"), &response, true)?;
            let received = page.api_keys.len() as u64;
            let known = |id: &Option<String>| id.as_ref().is_some_and(|id| listed.contains(id));
            if received > 0 && page.api_keys.iter().all(|key| known(&key.id)) {
                return Err(ProviderError::endless_list(
                    &label,
                    &path,
                    "a page listed only keys listed before",
                ));
            }
            if received > PAGE_SIZE {
                let why =
                    format!("a page listed {received} keys, more than the {PAGE_SIZE} asked for");
                return Err(ProviderError::endless_list(&label, &path, &why));
            }
            if pages > MAX_PAGES {
                return Err(ProviderError::endless_list(
                    &label,
                    &path,
                    "more than 10,000 pages",
                ));
            }
            for key in page.api_keys {
                let live = live_from_wire(&key)
                    .map_err(|bad| invalid(&label, &path, &response, bad.to_string()))?;
                listed.insert(key.id.clone().unwrap_or_default());
                keys.push(ListedKey {
                    id: key.id.unwrap_or_default(),
                    name: key.name.unwrap_or_default(),
                    live,
                });
            }
            offset += received;
            let total = page.total.and_then(|total| total.value()).unwrap_or(offset);
            if received == 0 || offset >= total {
                break;
            }
        }
        Ok(keys)
    }

    /// Rotates a key. The answer carries the new secret exactly once; an error whose
    /// [`ProviderError::outcome_unknown`] is true leaves it open whether a secret was issued.
    pub async fn rotate(&self, key: KeyRef<'_>) -> Result<RotatedKey, ProviderError> {
        let label = key.label();
        let path = self.rotate_path(key.key_id);
        let response = self
            .call(
                &label,
                Method::POST,
                &path,
                Some(Idempotency::NotIdempotent),
            )
            .await?;
        let operation = format!("POST {path}");
        if !(200..300).contains(&response.status) {
            return Err(ProviderError::Status {
                resource: label,
                operation,
                status: response.status,
                detail: rotate_error_detail(&response.body),
            });
        }
        // The key was rotated: from here on, anything missing means the secret is lost.
        let lost = || ProviderError::SecretMissing {
            resource: label.clone(),
            operation: operation.clone(),
        };
        let rotated: RotateApiKey = serde_json::from_slice(&response.body).map_err(|_| lost())?;
        let api_key = rotated.api_key.ok_or_else(lost)?;
        let instant = |value: &Option<serde_json::Value>| {
            value
                .as_ref()
                .and_then(serde_json::Value::as_str)
                .and_then(|text| text.trim().parse::<Timestamp>().ok())
        };
        let live = Observation {
            last_rotation: instant(&api_key.created_at),
            expires_at: instant(&api_key.expiring_at),
            schedule: None,
            ..Observation::default()
        };
        match api_key.secret {
            Some(secret) if !secret.expose_secret().is_empty() => Ok(RotatedKey { live, secret }),
            _ => Err(lost()),
        }
    }

    async fn call(
        &self,
        label: &ResourceLabel,
        method: Method,
        path: &str,
        idempotency: Option<Idempotency>,
    ) -> Result<HttpResponse, ProviderError> {
        let token = self.bearer().await?;
        let url = endpoint(&self.base_url, path);
        let operation = format!("{method} {path}");
        let idempotency = idempotency.unwrap_or(Idempotency::Idempotent);
        self.http
            .send(&operation, idempotency, |client| {
                client
                    .request(method.clone(), &url)
                    .bearer_auth(token.expose_secret())
            })
            .await
            .map_err(|error| ProviderError::Transport {
                resource: label.clone(),
                operation,
                detail: error.detail,
                request_may_have_arrived: error.request_may_have_arrived,
            })
    }

    /// The environment variable the run's credentials came from, for messages.
    pub fn credential_variable(&self) -> &'static str {
        self.credentials.variable()
    }

    /// The run's credential values (and an exchanged token), blanked out of errors.
    pub fn credential_values(&self) -> Vec<&str> {
        let mut values = match &self.credentials {
            RixlCredentials::Token(token) | RixlCredentials::ApiKey(token) => {
                vec![token.expose_secret()]
            }
        };
        if let Some(token) = self.exchanged_token.get() {
            values.push(token.expose_secret());
        }
        values
    }

    /// The bearer token: `RIXL_API_TOKEN`, or the one exchanged for `RIXL_API_KEY` (once).
    async fn bearer(&self) -> Result<&SecretString, ProviderError> {
        match &self.credentials {
            RixlCredentials::Token(token) => Ok(token),
            RixlCredentials::ApiKey(api_key) => {
                self.exchanged_token
                    .get_or_try_init(|| self.exchange(api_key))
                    .await
            }
        }
    }

    async fn exchange(&self, api_key: &SecretString) -> Result<SecretString, ProviderError> {
        let label = ResourceLabel("rixl token exchange".to_owned());
        let path = match self.api {
            RixlApi::Platform => "/platform/auth/token",
            RixlApi::V1 { .. } => "/platform/auth/v1/token",
        };
        let operation = format!("POST {path}");
        let url = endpoint(&self.base_url, path);
        let response = self
            .http
            .send(&operation, Idempotency::Idempotent, |client| {
                client.post(&url).json(&ExchangeRequest {
                    api_key: api_key.expose_secret(),
                })
            })
            .await
            .map_err(|error| ProviderError::Transport {
                resource: label.clone(),
                operation: operation.clone(),
                detail: error.detail,
                request_may_have_arrived: error.request_may_have_arrived,
            })?;
        let token: TokenResponse = parse(&label, &operation, &response, false)?;
        token
            .access_token
            .ok_or_else(|| ProviderError::InvalidResponse {
                resource: label,
                operation,
                status: response.status,
                detail: "the answer has no access_token".to_owned(),
            })
    }

    fn list_path(&self, offset: u64) -> String {
        match &self.api {
            RixlApi::Platform => {
                format!("/platform/api-keys?limit={PAGE_SIZE}&offset={offset}")
            }
            RixlApi::V1 { org_id } => format!(
                "/organizations/{org_id}/api-keys/v1?pagination.limit={PAGE_SIZE}&pagination.offset={offset}"
            ),
        }
    }

    fn rotate_path(&self, key_id: &str) -> String {
        match &self.api {
            RixlApi::Platform => format!("/platform/api-keys/{key_id}/rotate"),
            RixlApi::V1 { org_id } => {
                format!("/organizations/{org_id}/api-keys/v1/{key_id}/rotate")
            }
        }
    }
}

/// A 2xx answer as `T`; any other status as an error carrying RIXL's `{code, error, details}`.
/// `may_show_body` is false for answers that can hold a secret: their bytes are never shown.
fn parse<T: DeserializeOwned>(
    label: &ResourceLabel,
    operation: &str,
    response: &HttpResponse,
    may_show_body: bool,
) -> Result<T, ProviderError> {
    if !(200..300).contains(&response.status) {
        return Err(ProviderError::Status {
            resource: label.clone(),
            operation: operation.to_owned(),
            status: response.status,
            detail: error_detail(&response.body, may_show_body),
        });
    }
    serde_json::from_slice(&response.body).map_err(|error| {
        // serde's messages quote the values they choke on; for an answer that can hold a
        // secret, say only where.
        let detail = if may_show_body {
            let shown: String = String::from_utf8_lossy(&response.body)
                .chars()
                .take(200)
                .collect();
            format!("not a RIXL API answer ({error}): {shown}")
        } else {
            format!(
                "not a RIXL API answer (unreadable at line {}, column {}; not shown)",
                error.line(),
                error.column()
            )
        };
        ProviderError::InvalidResponse {
            resource: label.clone(),
            operation: operation.to_owned(),
            status: response.status,
            detail,
        }
    })
}

/// What a failed rotate's answer may show: its error code, never its message, which a server
/// could fill with the very secret it was asked for.
fn rotate_error_detail(body: &[u8]) -> String {
    let code = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|error| error.code)
        .map(|code| code.to_string().trim_matches('"').to_owned())
        .filter(|code| {
            code.len() <= 32
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                && !code.contains("rxl_")
        });
    match code {
        Some(code) => format!("code {code} (a rotate's error message is not shown)"),
        None => "no error code (a rotate's error message is not shown)".to_owned(),
    }
}

fn error_detail(body: &[u8], may_show_body: bool) -> String {
    if let Ok(error) = serde_json::from_slice::<ErrorBody>(body) {
        let code = error
            .code
            .map(|code| code.to_string().trim_matches('"').to_owned());
        let message = error.error.or(error.message).unwrap_or_default();
        let mut text = match code {
            Some(code) => format!("code {code}: {message}"),
            None => message,
        };
        let details = error.details.filter(|details| {
            may_show_body
                && !details.is_null()
                && details.as_array().is_none_or(|items| !items.is_empty())
        });
        if let Some(details) = details {
            text.push_str(&format!(" (details: {details})"));
        }
        if !text.trim().is_empty() {
            return text;
        }
    }
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    if may_show_body {
        String::from_utf8_lossy(body).chars().take(200).collect()
    } else {
        format!(
            "({} bytes in a format keyrot does not know; not shown)",
            body.len()
        )
    }
}

fn invalid(
    label: &ResourceLabel,
    path: &str,
    response: &HttpResponse,
    detail: String,
) -> ProviderError {
    ProviderError::InvalidResponse {
        resource: label.clone(),
        operation: path.to_owned(),
        status: response.status,
        detail,
    }
}

fn live_from_wire(key: &ApiKey) -> Result<Observation, BadInstant> {
    Ok(Observation {
        last_rotation: wire_instant("created_at", key.created_at.as_deref())?,
        expires_at: wire_instant("expiring_at", key.expiring_at.as_deref())?,
        schedule: None,
        ..Observation::default()
    })
}
