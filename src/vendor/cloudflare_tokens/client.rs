//! The Cloudflare API token client: list a user's or an account's tokens page by page, read one,
//! learn which token keyrot itself holds, and roll one (its new value returned exactly once).

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use super::token_ref::{Owner, TokenRef};
use super::wire::{FailedAnswer, ListInfo, RollAnswer, RollRequest, Token, Verified};
use crate::http::{HttpResponse, HttpSender, HttpSettings, Idempotency, endpoint, parse_base_url};
use crate::plan::{KeyState, KeyStatus, Observation};
use crate::provider::{BadInstant, ProviderError, ResourceLabel, wire_instant};
use crate::vendor::cloudflare::{
    AccountId, CloudflareCredentials, DEFAULT_BASE_URL, read_response,
};

/// Tokens asked for per list page: the most Cloudflare allows (`per_page` 5..50).
const PER_PAGE: u64 = 50;
/// The most list pages keyrot follows: Cloudflare allows 500 tokens to an account (10 pages)
/// and 50 to a user, so a server that keeps reporting more is stopped there, having spent
/// little of the budget.
const MAX_PAGES: u64 = 20;

/// A token as a list or a read shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedToken {
    /// Its ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its state: `last_rotation` is its `issued_on` (a roll keeps it), `changed_at` its
    /// `modified_on`.
    pub live: Observation,
}

/// What a call sends: a read, or a roll (`PUT` of `{}`, never sent twice).
#[derive(Clone, Copy)]
enum Call {
    Read,
    Roll,
}

/// A client for one run: one connection pool, the Cloudflare budget, one managing token.
pub struct TokensClient {
    http: HttpSender,
    base_url: Url,
    token: SecretString,
    /// The ID of the token keyrot authenticates with, once asked.
    own_id: OnceCell<String>,
}

impl TokensClient {
    /// A client configured from the environment (`var` looks a variable up): an API token
    /// (only those can manage tokens) and `CLOUDFLARE_BASE_URL`. Fails before any request
    /// when either is wrong.
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        settings: HttpSettings,
    ) -> Result<Self, ProviderError> {
        let text = var("CLOUDFLARE_BASE_URL").filter(|url| !url.trim().is_empty());
        let base_url = parse_base_url(
            "CLOUDFLARE_BASE_URL",
            text.as_deref().unwrap_or(DEFAULT_BASE_URL),
        )
        .map_err(|error| ProviderError::Setup(error.to_string()))?;
        let managing = "set CLOUDFLARE_API_TOKEN to a separate managing token with the \"API \
                        Tokens Write\" permission (\"Account API Tokens Write\" for tokens owned \
                        by an account)";
        let token = match CloudflareCredentials::from_env(&var) {
            Ok(CloudflareCredentials::Token(token)) => token,
            Ok(CloudflareCredentials::EmailAndKey { .. }) => {
                return Err(ProviderError::Setup(format!(
                    "Cloudflare manages API tokens only for an API token: CLOUDFLARE_EMAIL and \
                     CLOUDFLARE_API_KEY cannot. {managing}"
                )));
            }
            Err(_) => {
                return Err(ProviderError::Setup(format!(
                    "no Cloudflare API token in the environment for the cloudflare_tokens \
                     section: {managing}"
                )));
            }
        };
        let http = HttpSender::new(settings).map_err(|error| {
            ProviderError::Setup(format!("cannot set up the HTTP client: {error}"))
        })?;
        Ok(Self {
            http,
            base_url,
            token,
            own_id: OnceCell::new(),
        })
    }

    /// The managing token's value, blanked out of errors.
    pub fn credential_values(&self) -> Vec<&str> {
        vec![self.token.expose_secret()]
    }

    /// Every token of `owner`, page by page until a page comes back short or the count
    /// Cloudflare gives is reached.
    pub async fn list(&self, owner: &Owner) -> Result<Vec<ListedToken>, ProviderError> {
        let label = owner.label();
        let mut tokens: Vec<ListedToken> = Vec::new();
        for page in 1.. {
            if page > MAX_PAGES {
                let path = owner.collection();
                let why = format!("more than {MAX_PAGES} pages");
                return Err(ProviderError::endless_list(&label, &path, &why));
            }
            // An account's list leaves expired tokens out unless asked: keyrot must see them.
            let expired = match owner {
                Owner::User => "",
                Owner::Account(_) => "&include_expired=true",
            };
            let path = format!(
                "{}?page={page}&per_page={PER_PAGE}{expired}",
                owner.collection()
            );
            let response = self.call(&label, Call::Read, &path).await?;
            let operation = format!("GET {path}");
            let (listed, info): (Vec<Token>, Option<ListInfo>) =
                read_response(response, label.clone(), operation.clone())?;
            let received = listed.len() as u64;
            let seen = |token: &Token| tokens.iter().any(|t| Some(&t.id) == token.id.as_ref());
            let why = match () {
                _ if received > 0 && listed.iter().all(seen) => {
                    Some("a page listed only tokens listed before".to_owned())
                }
                _ if received > PER_PAGE => Some(format!(
                    "a page listed {received} tokens, more than the {PER_PAGE} asked for"
                )),
                _ => None,
            };
            if let Some(why) = why {
                return Err(ProviderError::endless_list(&label, &path, &why));
            }
            for token in listed {
                let token = listed_token(token, &label, &operation)?;
                // A token listed twice (pages shifting under a new one) counts once.
                if !tokens.iter().any(|seen| seen.id == token.id) {
                    tokens.push(token);
                }
            }
            // The last page comes back short; `total_count` (all pages) ends it sooner.
            let total = info.and_then(|info| info.total_count);
            let pages_in_total = total.map(|total| total.div_ceil(PER_PAGE));
            if received < PER_PAGE || pages_in_total.is_some_and(|pages| page >= pages) {
                break;
            }
        }
        Ok(tokens)
    }

    /// One token as it is now: `GET {owner's tokens}/{id}`.
    pub async fn read(&self, token: &TokenRef<'_>) -> Result<ListedToken, ProviderError> {
        let path = token.path("");
        let label = token.label();
        let response = self.call(&label, Call::Read, &path).await?;
        let operation = format!("GET {path}");
        let (read, _): (Token, Option<ListInfo>) =
            read_response(response, label.clone(), operation.clone())?;
        listed_token(read, &label, &operation)
    }

    /// The ID of the token keyrot authenticates with: `GET /user/tokens/verify`, once a run.
    pub async fn own_id(&self) -> Result<&str, ProviderError> {
        let id = self
            .own_id
            .get_or_try_init(|| async {
                let label = ResourceLabel("cloudflare managing token".to_owned());
                let path = "/user/tokens/verify";
                let response = self.call(&label, Call::Read, path).await?;
                let (verified, _): (Verified, Option<ListInfo>) =
                    read_response(response, label, format!("GET {path}"))?;
                Ok::<_, ProviderError>(verified.id)
            })
            .await?;
        Ok(id)
    }

    /// Rolls a token: `PUT {path}/value` with `{}`. The answer carries the new value exactly
    /// once, and the old value stops working at once; an error whose
    /// [`ProviderError::outcome_unknown`] is true leaves it open whether it was rolled.
    pub async fn roll(&self, token: &TokenRef<'_>) -> Result<SecretString, ProviderError> {
        let label = token.label();
        let path = token.path("/value");
        let response = self.call(&label, Call::Roll, &path).await?;
        let operation = format!("PUT {path}");
        if !(200..300).contains(&response.status) {
            return Err(ProviderError::Status {
                resource: label,
                operation,
                status: response.status,
                detail: roll_error_detail(&response.body),
            });
        }
        // The token was rolled: from here on, anything missing means the value is lost.
        let answer: Option<RollAnswer> = serde_json::from_slice(&response.body).ok();
        match answer.and_then(|answer| answer.result) {
            Some(serde_json::Value::String(value)) if !value.trim().is_empty() => {
                Ok(SecretString::from(value))
            }
            _ => Err(ProviderError::SecretMissing {
                resource: label,
                operation,
            }),
        }
    }

    async fn call(
        &self,
        label: &ResourceLabel,
        call: Call,
        path: &str,
    ) -> Result<HttpResponse, ProviderError> {
        let url = endpoint(&self.base_url, path);
        let (method, idempotency) = match call {
            Call::Read => (Method::GET, Idempotency::Idempotent),
            Call::Roll => (Method::PUT, Idempotency::NotIdempotent),
        };
        let operation = format!("{method} {path}");
        self.http
            .send(&operation, idempotency, |client| {
                let request = client
                    .request(method.clone(), &url)
                    .bearer_auth(self.token.expose_secret());
                match call {
                    Call::Read => request,
                    Call::Roll => request.json(&RollRequest {}),
                }
            })
            .await
            .map_err(|error| ProviderError::Transport {
                resource: label.clone(),
                operation,
                detail: error.detail,
                request_may_have_arrived: error.request_may_have_arrived,
            })
    }
}

/// What a failed roll's answer may show: its error codes, never its messages, which a server
/// could fill with the very value it was asked for.
fn roll_error_detail(body: &[u8]) -> String {
    let codes: Vec<String> = serde_json::from_slice::<FailedAnswer>(body)
        .map(|answer| answer.errors)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|error| error.code)
        .map(|code| code.to_string().trim_matches('"').to_owned())
        .filter(|code| code.len() <= 12 && code.chars().all(|c| c.is_ascii_digit()))
        .collect();
    match codes.is_empty() {
        true => "no error code (a roll's error message is not shown)".to_owned(),
        false => format!(
            "code {} (a roll's error message is not shown)",
            codes.join(", ")
        ),
    }
}

/// A token from the wire, or why its fields cannot be read.
fn listed_token(
    token: Token,
    label: &ResourceLabel,
    operation: &str,
) -> Result<ListedToken, ProviderError> {
    let invalid = |detail: String| ProviderError::InvalidResponse {
        resource: label.clone(),
        operation: operation.to_owned(),
        status: 200,
        detail,
    };
    let live = live_from_wire(&token).map_err(|bad| invalid(bad.to_string()))?;
    let Some(id) = token.id.filter(|id| AccountId::parse(id).is_ok()) else {
        return Err(invalid(
            "a token without an `id` of 32 hexadecimal characters".to_owned(),
        ));
    };
    Ok(ListedToken {
        id,
        name: token.name.unwrap_or_default(),
        live,
    })
}

fn live_from_wire(token: &Token) -> Result<Observation, BadInstant> {
    Ok(Observation {
        last_rotation: wire_instant("issued_on", token.issued_on.as_deref())?,
        expires_at: wire_instant("expires_on", token.expires_on.as_deref())?,
        key: Some(Box::new(KeyState {
            changed_at: wire_instant("modified_on", token.modified_on.as_deref())?,
            status: token.status.as_deref().map(status),
            authenticates_keyrot: false,
        })),
        ..Observation::default()
    })
}

/// Cloudflare's `status`: `active`, `disabled` or `expired`; any other word is taken as not
/// working.
fn status(word: &str) -> KeyStatus {
    match word {
        "active" => KeyStatus::Active,
        "expired" => KeyStatus::Expired,
        _ => KeyStatus::Disabled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_rolls_detail_shows_codes_and_never_a_message() {
        let body = br#"{"success":false,"errors":[{"code":1001,"message":"cfut_secret"}]}"#;
        let detail = roll_error_detail(body);
        assert_eq!(detail, "code 1001 (a roll's error message is not shown)");
        let hostile = br#"{"errors":[{"code":"cfut_secretvalue"}]}"#;
        assert!(!roll_error_detail(hostile).contains("cfut"));
    }
}
