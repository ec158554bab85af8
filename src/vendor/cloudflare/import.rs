//! `keyrot import cloudflare`: the accounts the credentials can see (or the ones named), each
//! with its interval as it is live, so the first plan shows no changes.

use std::fmt::Write;

use clap::Args;
use futures_util::future::LocalBoxFuture;
use futures_util::{StreamExt, stream};
use jiff::Timestamp;

use super::facts::{CODE_NOT_ENABLED, MAX_INTERVAL_DAYS, MIN_INTERVAL_DAYS, manageable_interval};
use super::{AccountId, AccountRef, AccountSummary, CloudflareClient};
use crate::config::{RateLimit, parse_rate_limit, resource_names};
use crate::http::HttpSettings;
use crate::provider::ProviderError;
use crate::render::counted;
use crate::text::Printable;
use crate::vendor::import::{ImportContext, ImportError, Imported, Importer, arguments, header};

/// `keyrot import cloudflare`.
pub const IMPORTER: Importer = Importer { command, run };

/// `keyrot import cloudflare`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["accounts", "all"])))]
pub struct ImportCloudflareArgs {
    /// This account (repeatable).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Every account the credentials can see.
    #[arg(long, conflicts_with = "accounts")]
    pub all: bool,
    /// Never more than N requests in any window of DURATION [default: 1200/5m, Cloudflare's
    /// own limit].
    #[arg(long, value_name = "N/DURATION", value_parser = parse_rate_limit)]
    pub rate_limit: Option<RateLimit>,
}

/// `keyrot import cloudflare`'s subcommand.
fn command() -> clap::Command {
    // After the arguments: their struct's doc comment would be the help otherwise.
    ImportCloudflareArgs::augment_args(clap::Command::new("cloudflare"))
        .about("Cloudflare accounts' Access key configuration")
        .long_about(
            "Cloudflare accounts' Access key configuration.\n\n\
             Example: keyrot import cloudflare --account 023e105f4ecef8ad9ca31a8372d0c353",
        )
}

fn run<'a>(
    matches: &'a clap::ArgMatches,
    context: ImportContext<'a>,
) -> LocalBoxFuture<'a, Result<Imported, ImportError>> {
    Box::pin(async move { import(&arguments(matches)?, context).await })
}

async fn import(
    args: &ImportCloudflareArgs,
    context: ImportContext<'_>,
) -> Result<Imported, ImportError> {
    let settings = HttpSettings {
        rate_limit: args.rate_limit.unwrap_or(super::facts::RATE_LIMIT),
        ..context.http.clone()
    };
    let client = CloudflareClient::from_env(context.var, settings)?;
    let summaries = if args.all {
        client.list_accounts().await?
    } else {
        let mut summaries = Vec::new();
        for id in &args.accounts {
            let account_id =
                AccountId::parse(id).map_err(|error| ImportError::Usage(error.to_string()))?;
            summaries.push(client.account(&account_id).await?);
        }
        summaries
    };
    let progress = (context.progress)(summaries.len(), "reading accounts");
    let reads: Vec<_> = stream::iter(&summaries)
        .map(|summary| read_interval(&client, summary))
        .buffered(context.parallelism)
        .inspect(|_| progress.advance(1))
        .collect()
        .await;
    progress.finish();
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for (summary, read) in summaries.iter().zip(reads) {
        match read? {
            Ok(interval) => found.push((summary, interval)),
            Err(reason) => skipped.push(SkippedAccount {
                label: format!("\"{}\" ({})", summary.name, summary.id),
                reason: reason.to_string(),
            }),
        }
    }
    let labels: Vec<String> = found
        .iter()
        .map(|(summary, _)| summary.name.clone())
        .collect();
    let names = resource_names(&labels, |index| {
        format!(
            "account-{}",
            &found[index].0.id[..8.min(found[index].0.id.len())]
        )
    });
    let accounts: Vec<ImportedAccount> = found
        .iter()
        .zip(names)
        .map(|((summary, interval), name)| ImportedAccount {
            name,
            account_id: summary.id.clone(),
            key_rotation_interval_days: *interval,
        })
        .collect();
    let command = if args.all {
        "keyrot import cloudflare --all".to_owned()
    } else {
        format!(
            "keyrot import cloudflare --account {}",
            args.accounts.join(" --account ")
        )
    };
    let text = import_yaml(&accounts, &skipped, &command, Timestamp::now());
    let summary = format!(
        "{} imported{}",
        counted(accounts.len(), "Cloudflare account"),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(", {} skipped (see the comments)", skipped.len())
        }
    );
    Ok(Imported { text, summary })
}

/// Why an account the credentials can see is not imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
enum Skipped {
    /// Its ID is not one keyrot can address.
    #[error("not a 32-character hexadecimal account ID")]
    NotAnAccountId,
    /// Its Access key configuration is not enabled.
    #[error("Access key configuration is not enabled ({code})", code = CODE_NOT_ENABLED)]
    NotEnabled,
}

/// The account's interval when keyrot can manage it, or why the account is left out.
async fn read_interval(
    client: &CloudflareClient,
    summary: &AccountSummary,
) -> Result<Result<Option<u16>, Skipped>, ImportError> {
    let Ok(account_id) = AccountId::parse(&summary.id) else {
        return Ok(Err(Skipped::NotAnAccountId));
    };
    let reference = AccountRef {
        name: &summary.name,
        account_id: &account_id,
    };
    match client.read(reference).await {
        Ok(live) => Ok(Ok(live.interval_days().and_then(manageable_interval))),
        Err(ProviderError::Api { errors, .. })
            if errors.iter().any(|error| error.code == CODE_NOT_ENABLED) =>
        {
            Ok(Err(Skipped::NotEnabled))
        }
        Err(error) => Err(error.into()),
    }
}

/// One Cloudflare account to write.
#[derive(Clone, Debug, PartialEq)]
struct ImportedAccount {
    /// Its resource name.
    name: String,
    /// Its account ID.
    account_id: String,
    /// Its live interval, when it is one keyrot can manage (a whole number of days, 21..365).
    key_rotation_interval_days: Option<u16>,
}

/// An account that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SkippedAccount {
    /// Its display name and ID.
    label: String,
    /// Why it was left out.
    reason: String,
}

/// The file for imported Cloudflare accounts; `command` is how it was made.
fn import_yaml(
    accounts: &[ImportedAccount],
    skipped: &[SkippedAccount],
    command: &str,
    at: Timestamp,
) -> String {
    let mut out = header("Cloudflare", command, at);
    out.push_str(
        "# The first `keyrot plan` shows no changes: every interval is as it is live, and no\n\
         # rotation rule is set. To have keyrot rotate keys, add rules to `defaults` (every\n\
         # account) or to one account, for example:\n\
         #   defaults:\n\
         #     max_key_age: 120d\n\
         #     rotate_by: 2030-01-01\n\
         #     rotation_window: 7d\n\
         version: 1\ncloudflare:\n  accounts:\n",
    );
    if accounts.is_empty() {
        out.truncate(out.len() - "  accounts:\n".len());
        out.push_str("  accounts: {}\n");
    }
    for account in accounts {
        let _ = writeln!(out, "    {}:", account.name);
        let _ = writeln!(out, "      account_id: {}", account.account_id);
        match account.key_rotation_interval_days {
            Some(days) => {
                let _ = writeln!(out, "      key_rotation_interval_days: {days}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "      # key_rotation_interval_days is left unmanaged: its live value is not a\n      \
                     # whole number of days from {MIN_INTERVAL_DAYS} to {MAX_INTERVAL_DAYS}"
                );
            }
        }
    }
    for account in skipped {
        let _ = writeln!(
            out,
            "    # not imported: {}: {}",
            Printable(&account.label),
            Printable(&account.reason)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accounts_name_cannot_break_out_of_its_comment() {
        let skipped = [SkippedAccount {
            label: "\"x\n    evil:\n      account_id: 00000000000000000000000000000009\" (id)"
                .to_owned(),
            reason: "Access keys are not enabled (12109)".to_owned(),
        }];
        let at: Timestamp = "2026-11-24T12:00:00Z".parse().unwrap();
        let yaml = import_yaml(&[], &skipped, "keyrot import cloudflare --all", at);
        assert!(
            !yaml
                .lines()
                .any(|line| line.trim_start().starts_with("evil")),
            "{yaml}"
        );
        assert!(
            yaml.contains("# not imported: \"x\\u{a}    evil:"),
            "{yaml}"
        );
    }
}
