//! The Cloudflare Access key configuration client: GET, PUT and rotate for one account.

use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::credentials::CloudflareCredentials;
use super::wire::{Account, Envelope, KeyConfig, ResultInfo, UpdateKeyConfig};
use crate::http::{HttpResponse, HttpSender, HttpSettings, Idempotency, endpoint, parse_base_url};
use crate::plan::{Observation, Schedule};
use crate::provider::{ApiMessage, BadInstant, ProviderError, ResourceLabel, wire_instant};
use crate::vendor::cloudflare::AccountId;

/// Cloudflare's API unless `CLOUDFLARE_BASE_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// One account as the client addresses it and names it in errors.
#[derive(Clone, Copy, Debug)]
pub struct AccountRef<'a> {
    /// The resource name in the desired-state file.
    pub name: &'a str,
    /// The account's identifier.
    pub account_id: &'a AccountId,
}

impl AccountRef<'_> {
    fn label(&self) -> ResourceLabel {
        ResourceLabel(format!(
            "cloudflare account \"{}\" ({})",
            self.name, self.account_id
        ))
    }

    fn path(&self, suffix: &str) -> String {
        format!("/accounts/{}/access/keys{suffix}", self.account_id)
    }
}

/// A client for one run: one connection pool, one rate limiter, one set of credentials.
pub struct CloudflareClient {
    http: HttpSender,
    base_url: Url,
    credentials: CloudflareCredentials,
}

impl CloudflareClient {
    /// The run's credential values, blanked out of errors.
    pub fn credential_values(&self) -> Vec<&str> {
        self.credentials.values()
    }

    /// The environment variables the run's credentials came from, for messages.
    pub fn credential_variables(&self) -> &'static str {
        self.credentials.variables()
    }

    /// A client for `base_url` with `credentials`, sending as `settings` say.
    pub fn new(
        base_url: Url,
        credentials: CloudflareCredentials,
        settings: HttpSettings,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            http: HttpSender::new(settings).map_err(|error| {
                ProviderError::Setup(format!("cannot set up the HTTP client: {error}"))
            })?,
            base_url,
            credentials,
        })
    }

    /// A client configured from the environment (`var` looks a variable up): credentials and
    /// `CLOUDFLARE_BASE_URL`. Fails before any request when either is wrong.
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        settings: HttpSettings,
    ) -> Result<Self, ProviderError> {
        let base_url = match var("CLOUDFLARE_BASE_URL").filter(|url| !url.trim().is_empty()) {
            Some(text) => parse_base_url("CLOUDFLARE_BASE_URL", &text),
            None => parse_base_url("CLOUDFLARE_BASE_URL", DEFAULT_BASE_URL),
        }
        .map_err(|error| ProviderError::Setup(error.to_string()))?;
        let credentials = CloudflareCredentials::from_env(&var)?;
        Self::new(base_url, credentials, settings)
    }

    /// `GET /accounts/{id}/access/keys`.
    pub async fn read(&self, account: AccountRef<'_>) -> Result<Observation, ProviderError> {
        let path = account.path("");
        let (config, _) = self
            .call(
                &account.label(),
                Method::GET,
                &path,
                Idempotency::Idempotent,
                None::<&()>,
            )
            .await?;
        live(&account, &format!("GET {path}"), config)
    }

    /// `PUT /accounts/{id}/access/keys` with the new interval.
    pub async fn update_interval(
        &self,
        account: AccountRef<'_>,
        days: u16,
    ) -> Result<Observation, ProviderError> {
        let body = UpdateKeyConfig {
            key_rotation_interval_days: days,
        };
        let path = account.path("");
        let (config, _) = self
            .call(
                &account.label(),
                Method::PUT,
                &path,
                Idempotency::Idempotent,
                Some(&body),
            )
            .await?;
        live(&account, &format!("PUT {path}"), config)
    }

    /// `POST /accounts/{id}/access/keys/rotate`. Sent again only when the server certainly did
    /// not act on it; an error whose [`ProviderError::outcome_unknown`] is true leaves it open
    /// whether the key was rotated.
    pub async fn rotate(&self, account: AccountRef<'_>) -> Result<Observation, ProviderError> {
        let path = account.path("/rotate");
        let (config, _) = self
            .call(
                &account.label(),
                Method::POST,
                &path,
                Idempotency::NotIdempotent,
                None::<&()>,
            )
            .await?;
        live(&account, &format!("POST {path}"), config)
    }

    /// Every account the credentials can see: `GET /accounts`, page by page until
    /// `result_info` says the last page was read.
    pub async fn list_accounts(&self) -> Result<Vec<AccountSummary>, ProviderError> {
        let label = ResourceLabel("cloudflare accounts".to_owned());
        let mut accounts = Vec::new();
        for page in 1.. {
            let path = format!("/accounts?page={page}&per_page={ACCOUNTS_PER_PAGE}");
            let (listed, info): (Vec<Account>, _) = self
                .call(
                    &label,
                    Method::GET,
                    &path,
                    Idempotency::Idempotent,
                    None::<&()>,
                )
                .await?;
            let received = listed.len();
            let new = listed.iter().any(|account| {
                !accounts
                    .iter()
                    .any(|seen: &AccountSummary| seen.id == account.id)
            });
            if received > 0 && !new {
                return Err(ProviderError::endless_list(
                    &label,
                    &path,
                    "a page listed only accounts listed before",
                ));
            }
            if received as u64 > ACCOUNTS_PER_PAGE {
                let why = format!(
                    "a page listed {received} accounts, more than the {ACCOUNTS_PER_PAGE} asked for"
                );
                return Err(ProviderError::endless_list(&label, &path, &why));
            }
            if page > MAX_PAGES {
                return Err(ProviderError::endless_list(
                    &label,
                    &path,
                    "more than 10,000 pages",
                ));
            }
            accounts.extend(listed.into_iter().map(summary));
            let last = info
                .and_then(|info| Some(info.page? >= info.total_pages?))
                .unwrap_or(received < ACCOUNTS_PER_PAGE as usize);
            if last || received == 0 {
                break;
            }
        }
        Ok(accounts)
    }

    /// One account's name: `GET /accounts/{id}`.
    pub async fn account(&self, account_id: &AccountId) -> Result<AccountSummary, ProviderError> {
        let label = ResourceLabel(format!("cloudflare account {account_id}"));
        let path = format!("/accounts/{account_id}");
        let (account, _): (Account, _) = self
            .call(
                &label,
                Method::GET,
                &path,
                Idempotency::Idempotent,
                None::<&()>,
            )
            .await?;
        Ok(summary(account))
    }

    async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        label: &ResourceLabel,
        method: Method,
        path: &str,
        idempotency: Idempotency,
        body: Option<&B>,
    ) -> Result<(T, Option<ResultInfo>), ProviderError> {
        let operation = format!("{method} {path}");
        let url = endpoint(&self.base_url, path);
        let response = self
            .http
            .send(&operation, idempotency, |client| {
                let mut request = client.request(method.clone(), &url);
                if let Some(body) = body {
                    request = request.json(body);
                }
                self.credentials.authenticate(request)
            })
            .await
            .map_err(|error| ProviderError::Transport {
                resource: label.clone(),
                operation: operation.clone(),
                detail: error.detail,
                request_may_have_arrived: error.request_may_have_arrived,
            })?;
        read_response(response, label.clone(), operation)
    }
}

/// Accounts asked for per page of `GET /accounts`.
const ACCOUNTS_PER_PAGE: u64 = 50;
/// The most account pages keyrot follows: a server that keeps reporting more is stopped there.
const MAX_PAGES: usize = 10_000;

/// An account's ID and name, for `keyrot import`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    /// The account ID as the API gave it.
    pub id: String,
    /// Its name.
    pub name: String,
}

fn summary(account: Account) -> AccountSummary {
    AccountSummary {
        id: account.id,
        name: account.name,
    }
}

fn live(
    account: &AccountRef<'_>,
    operation: &str,
    config: KeyConfig,
) -> Result<Observation, ProviderError> {
    live_from_wire(config).map_err(|bad| ProviderError::InvalidResponse {
        resource: account.label(),
        operation: operation.to_owned(),
        status: 200,
        detail: bad.to_string(),
    })
}

/// The `result` of a Cloudflare answer and its paging (`I`), or the answer's errors with
/// their codes and messages. Not for an answer that can hold a secret: an unreadable one is
/// quoted.
pub(crate) fn read_response<T: DeserializeOwned, I: DeserializeOwned>(
    response: HttpResponse,
    resource: ResourceLabel,
    operation: String,
) -> Result<(T, Option<I>), ProviderError> {
    let status = response.status;
    let invalid = |detail: String| ProviderError::InvalidResponse {
        resource: resource.clone(),
        operation: operation.clone(),
        status,
        detail,
    };
    let success = (200..300).contains(&status);
    let envelope: Envelope<T, I> = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(error) => {
            let excerpt = excerpt(&response.body);
            return Err(invalid(format!(
                "not a Cloudflare API response ({error}): {excerpt}"
            )));
        }
    };
    match envelope.result {
        Some(result) if success && envelope.success => Ok((result, envelope.result_info)),
        _ if success && envelope.success => Err(invalid("success without a `result`".to_owned())),
        _ => Err(ProviderError::Api {
            resource,
            operation,
            status,
            errors: envelope
                .errors
                .into_iter()
                .map(|item| ApiMessage {
                    code: item.code,
                    message: item.message,
                })
                .collect(),
        }),
    }
}

fn live_from_wire(config: KeyConfig) -> Result<Observation, BadInstant> {
    let last_rotation = config.last_key_rotation_at.as_deref();
    Ok(Observation {
        last_rotation: wire_instant("last_key_rotation_at", last_rotation)?,
        expires_at: None,
        schedule: Some(Schedule {
            interval_days: config.key_rotation_interval_days,
            days_until_next: config.days_until_next_rotation,
        }),
        ..Observation::default()
    })
}

/// The start of a response body, for messages about unreadable responses.
fn excerpt(bytes: &[u8]) -> String {
    const LIMIT: usize = 200;
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.trim().is_empty() => "(empty body)".to_owned(),
        None => text.into_owned(),
    }
}
