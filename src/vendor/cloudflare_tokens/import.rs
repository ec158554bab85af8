//! `keyrot import cloudflare-tokens`: the user's tokens (`--all`) and those of the accounts
//! named, each with the sink placeholder that validation refuses until someone says where its
//! new value goes. The managing token itself is left out: keyrot cannot roll the token it
//! authenticates with.

use std::fmt::Write;

use clap::Args;
use futures_util::future::LocalBoxFuture;
use jiff::Timestamp;

use super::client::TokensClient;
use super::token_ref::Owner;
use crate::config::{RateLimit, SINK_PLACEHOLDER, parse_rate_limit, resource_names};
use crate::http::HttpSettings;
use crate::plan::KeyStatus;
use crate::render::counted;
use crate::text::Printable;
use crate::vendor::cloudflare::{AccountId, facts};
use crate::vendor::import::{ImportContext, ImportError, Imported, Importer, arguments, header};

/// `keyrot import cloudflare-tokens`.
pub const IMPORTER: Importer = Importer { command, run };

/// `keyrot import cloudflare-tokens`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).multiple(true).args(["all", "accounts"])))]
pub struct ImportTokensArgs {
    /// Every token of the user the managing token belongs to.
    #[arg(long)]
    pub all: bool,
    /// Every token of this account (repeatable).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Never more than N requests in any window of DURATION [default: 1200/5m, Cloudflare's
    /// own limit].
    #[arg(long, value_name = "N/DURATION", value_parser = parse_rate_limit)]
    pub rate_limit: Option<RateLimit>,
}

/// `keyrot import cloudflare-tokens`'s subcommand.
fn command() -> clap::Command {
    // After the arguments: their struct's doc comment would be the help otherwise.
    ImportTokensArgs::augment_args(clap::Command::new("cloudflare-tokens"))
        .about("Cloudflare API tokens (each needs a secret sink before the first plan)")
        .long_about(
            "Cloudflare API tokens: the user's (--all) and those of the accounts named \
             (--account). Each needs a secret sink before the first plan; the managing token \
             (CLOUDFLARE_API_TOKEN) is left out.\n\n\
             Example: keyrot import cloudflare-tokens --all --out keyrot.yaml",
        )
}

fn run<'a>(
    matches: &'a clap::ArgMatches,
    context: ImportContext<'a>,
) -> LocalBoxFuture<'a, Result<Imported, ImportError>> {
    Box::pin(async move { import(&arguments(matches)?, context).await })
}

/// One token to write.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ImportedToken {
    /// Its resource name.
    name: String,
    /// Its account, for an account's token.
    account_id: Option<String>,
    /// Its ID.
    token_id: String,
}

async fn import(
    args: &ImportTokensArgs,
    context: ImportContext<'_>,
) -> Result<Imported, ImportError> {
    let mut owners = Vec::new();
    if args.all {
        owners.push(Owner::User);
    }
    for id in &args.accounts {
        let account_id =
            AccountId::parse(id).map_err(|error| ImportError::Usage(error.to_string()))?;
        let owner = Owner::Account(account_id);
        // An account named twice is imported once.
        if !owners.contains(&owner) {
            owners.push(owner);
        }
    }
    let settings = HttpSettings {
        rate_limit: args.rate_limit.unwrap_or(facts::RATE_LIMIT),
        ..context.http.clone()
    };
    let client = TokensClient::from_env(context.var, settings)?;
    let own_id = client.own_id().await?.to_owned();
    let mut found = Vec::new();
    let mut managing = None;
    let mut not_working = Vec::new();
    for owner in &owners {
        for token in client.list(owner).await? {
            match token.live.status() {
                _ if token.id == own_id => managing = Some(token.name),
                Some(status @ (KeyStatus::Disabled | KeyStatus::Expired)) => {
                    not_working.push(format!(
                        "\"{}\" ({}): {}",
                        Printable(&token.name),
                        token.id,
                        status.word()
                    ));
                }
                _ => found.push((owner, token)),
            }
        }
    }
    let labels: Vec<String> = found.iter().map(|(_, token)| token.name.clone()).collect();
    let names = resource_names(&labels, |index| {
        format!("token-{}", &found[index].1.id[..8])
    });
    let tokens: Vec<ImportedToken> = found
        .iter()
        .zip(names)
        .map(|((owner, token), name)| ImportedToken {
            name,
            account_id: match owner {
                Owner::User => None,
                Owner::Account(account_id) => Some(account_id.to_string()),
            },
            token_id: token.id.clone(),
        })
        .collect();
    let mut command = String::from("keyrot import cloudflare-tokens");
    if args.all {
        command.push_str(" --all");
    }
    for account in &args.accounts {
        let _ = write!(command, " --account {account}");
    }
    let mut text = import_yaml(&tokens, &command, Timestamp::now());
    for token in &not_working {
        // A rule would make the plan refuse them: they cannot be rolled into working ones.
        let _ = writeln!(text, "    # not imported, as it cannot be rolled: {token}");
    }
    let left_out = match managing {
        Some(name) => format!(
            " (not the managing token \"{}\", {own_id}, which keyrot authenticates with)",
            Printable(&name)
        ),
        None => String::new(),
    };
    let not_imported = match not_working.len() {
        0 => String::new(),
        count => format!(", {count} disabled or expired left out (see the comments)"),
    };
    let summary = format!(
        "{} imported{left_out}{not_imported}; set each token's `secret` before the first plan",
        counted(tokens.len(), "Cloudflare API token")
    );
    Ok(Imported { text, summary })
}

/// The file for imported tokens, with the sink placeholder validation refuses until edited.
fn import_yaml(tokens: &[ImportedToken], command: &str, at: Timestamp) -> String {
    let mut out = header("Cloudflare", command, at);
    let _ = write!(
        out,
        "# Before the first plan, set every token's `secret` to where its new value must go\n\
         # when it is rolled (`file: PATH` or `command: [program, args...]`); `keyrot validate`\n\
         # refuses `{SINK_PLACEHOLDER}` until then. Add max_key_age, rotate_by and\n\
         # rotation_window (to `defaults` or to one token) to have keyrot roll tokens. The\n\
         # token keyrot authenticates with (CLOUDFLARE_API_TOKEN) is left out: it cannot be\n\
         # rolled by the run it authenticates.\n\
         version: 1\ncloudflare_tokens:\n  tokens:"
    );
    if tokens.is_empty() {
        out.push_str(" {}\n");
        return out;
    }
    out.push('\n');
    for token in tokens {
        let _ = writeln!(out, "    {}:", token.name);
        if let Some(account_id) = &token.account_id {
            let _ = writeln!(out, "      account_id: {account_id}");
        }
        let _ = write!(
            out,
            "      token_id: {}\n      secret:\n        file: {SINK_PLACEHOLDER}\n",
            token.token_id
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_tokens_name_their_account_and_wait_for_a_sink() {
        let tokens = [
            ImportedToken {
                name: "ci-deploy".to_owned(),
                account_id: None,
                token_id: "ed17574386854bf78a67040be0a770b0".to_owned(),
            },
            ImportedToken {
                name: "billing".to_owned(),
                account_id: Some("023e105f4ecef8ad9ca31a8372d0c353".to_owned()),
                token_id: "4f2a0c6b8e1d4a7f9b3c5e7d9f1a3b5c".to_owned(),
            },
        ];
        let at: Timestamp = "2026-11-24T12:00:00Z".parse().unwrap();
        let text = import_yaml(&tokens, "keyrot import cloudflare-tokens --all", at);
        assert!(text.contains(
            "  tokens:\n    ci-deploy:\n      token_id: ed17574386854bf78a67040be0a770b0\n"
        ));
        assert!(text.contains(
            "    billing:\n      account_id: 023e105f4ecef8ad9ca31a8372d0c353\n      token_id: \
             4f2a0c6b8e1d4a7f9b3c5e7d9f1a3b5c\n"
        ));
        assert!(import_yaml(&[], "x", at).ends_with("  tokens: {}\n"));
    }
}
