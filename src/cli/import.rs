//! `keyrot import`: a desired-state file from what exists live, so a team starts with a plan
//! that shows no changes.

use std::path::Path;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use jiff::Timestamp;

use super::args::{
    GlobalArgs, ImportArgs, ImportCloudflareArgs, ImportOutput, ImportRixlArgs, ImportSource,
    RixlApiArg,
};
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::output::{env_var, say, warn};
use super::state::this_run;
use crate::apply::ApplyError;
use crate::atomic_file::write_atomically;
use crate::config::{RateLimit, SINK_PLACEHOLDER, load_bytes, resource_names};
use crate::http::HttpSettings;
use crate::provider::ProviderError;
use crate::render::{
    ImportedAccount, ImportedKey, SkippedAccount, cloudflare_import_yaml, counted, rixl_import_yaml,
};
use crate::state::{LocalBackend, LockGuard, StateBackend};
use crate::vendor::cloudflare::AccountId;
use crate::vendor::cloudflare::facts::{CODE_NOT_ENABLED, manageable_interval};
use crate::vendor::cloudflare::{AccountRef, AccountSummary, CloudflareClient};
use crate::vendor::rixl::RixlApi;
use crate::vendor::rixl::RixlClient;

/// Runs `keyrot import`.
pub async fn run(global: &GlobalArgs, args: &ImportArgs) -> Result<Exit, CliError> {
    let context = RunContext::new(global, true);
    let out = match &args.source {
        ImportSource::Cloudflare(args) => &args.output,
        ImportSource::Rixl(args) => &args.output,
    };
    // Writing a desired-state file is a change an apply beside it must not race with.
    let _lock = match &out.out {
        Some(path) => Some(lock_beside(path).await?),
        None => None,
    };
    let (text, output, summary, section) = match &args.source {
        ImportSource::Cloudflare(args) => {
            let (text, summary) = import_cloudflare(&context, args).await?;
            (text, &args.output, summary, "cloudflare")
        }
        ImportSource::Rixl(args) => {
            let (text, summary) = import_rixl(&context, args).await?;
            (text, &args.output, summary, "rixl")
        }
    };
    let text = match (&output.out, output.merge) {
        (Some(path), true) => merged_into(path, &text, section)?,
        _ => text,
    };
    write_output(&text, output)?;
    warn(&format!("keyrot import: {summary}"));
    Ok(Exit::Success)
}

async fn import_cloudflare(
    context: &RunContext,
    args: &ImportCloudflareArgs,
) -> Result<(String, String), CliError> {
    let settings = HttpSettings {
        rate_limit: args.rate_limit.unwrap_or(RateLimit::CLOUDFLARE_DEFAULT),
        ..context.http.clone()
    };
    let client = CloudflareClient::from_env(env_var, settings)?;
    let summaries = if args.all {
        client.list_accounts().await?
    } else {
        let mut summaries = Vec::new();
        for id in &args.accounts {
            let account_id = AccountId::parse(id).map_err(CliError::Usage)?;
            summaries.push(client.account(&account_id).await?);
        }
        summaries
    };
    let progress = context.progress_bar(summaries.len(), "reading accounts");
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
                reason,
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
    let text = cloudflare_import_yaml(&accounts, &skipped, &command, Timestamp::now());
    must_load(&text)?;
    let summary = format!(
        "{} imported{}",
        counted(accounts.len(), "Cloudflare account"),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(", {} skipped (see the comments)", skipped.len())
        }
    );
    Ok((text, summary))
}

/// The account's interval when keyrot can manage it, or why the account is left out.
async fn read_interval(
    client: &CloudflareClient,
    summary: &AccountSummary,
) -> Result<Result<Option<u16>, String>, CliError> {
    let Ok(account_id) = AccountId::parse(&summary.id) else {
        return Ok(Err("not a 32-character hexadecimal account ID".to_owned()));
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
            Ok(Err(format!(
                "Access key configuration is not enabled ({CODE_NOT_ENABLED})"
            )))
        }
        Err(error) => Err(error.into()),
    }
}

async fn import_rixl(
    context: &RunContext,
    args: &ImportRixlArgs,
) -> Result<(String, String), CliError> {
    if let (RixlApiArg::Platform, Some(_)) = (args.api, &args.org_id) {
        return Err(CliError::Usage(
            "--org-id goes with --api v1; the platform routes take no organization".to_owned(),
        ));
    }
    let (api, api_lines) = match (args.api, &args.org_id) {
        (RixlApiArg::V1, Some(org_id)) => (
            RixlApi::V1 {
                org_id: org_id.clone(),
            },
            format!("  api: v1\n  org_id: {org_id}\n"),
        ),
        _ => (RixlApi::Platform, String::new()),
    };
    let settings = HttpSettings {
        rate_limit: args.rate_limit.unwrap_or(RateLimit::RIXL_DEFAULT),
        ..context.http.clone()
    };
    let client = RixlClient::from_env(env_var, api, settings)?;
    let listed = client.list_keys().await?;
    let labels: Vec<String> = listed.iter().map(|key| key.name.clone()).collect();
    let names = resource_names(&labels, |index| format!("key-{}", listed[index].id));
    let keys: Vec<ImportedKey> = listed
        .iter()
        .zip(names)
        .map(|(key, name)| ImportedKey {
            name,
            key_id: key.id.clone(),
        })
        .collect();
    let command = match args.api {
        RixlApiArg::Platform => "keyrot import rixl --all".to_owned(),
        RixlApiArg::V1 => format!(
            "keyrot import rixl --all --api v1 --org-id {}",
            args.org_id.as_deref().unwrap_or_default()
        ),
    };
    let text = rixl_import_yaml(&keys, &api_lines, &command, Timestamp::now());
    must_load(&with_sinks_filled_in(&text))?;
    let summary = format!(
        "{} imported; set each key's `secret` before the first plan",
        counted(keys.len(), "RIXL API key")
    );
    Ok((text, summary))
}

/// The file as it will be once every placeholder names a sink of its own.
fn with_sinks_filled_in(text: &str) -> String {
    text.split(SINK_PLACEHOLDER)
        .enumerate()
        .map(|(index, part)| match index {
            0 => part.to_owned(),
            n => format!("secrets/key-{n}{part}"),
        })
        .collect()
}

/// An import that keyrot could not read back is a bug; never write one.
fn must_load(text: &str) -> Result<(), CliError> {
    load_bytes("(imported file)", text.as_bytes(), Path::new("."))
        .map(|_| ())
        .map_err(|error| {
            CliError::SelfCheck(format!(
                "the imported file does not validate, so it was not written: {error}"
            ))
        })
}

/// The apply lock of the local state beside `path`, as `keyrot apply` on that file takes it.
async fn lock_beside(path: &Path) -> Result<LockGuard, CliError> {
    let backend = LocalBackend::beside(path);
    let holder = this_run(Timestamp::now());
    let guard = backend
        .lock(&holder, Duration::ZERO)
        .await
        .map_err(ApplyError::from)?;
    Ok(guard)
}

/// `path`'s text with the imported `section` added after it, once the result validates (with
/// the RIXL sink placeholders standing for sinks); `path` must not have that section yet. A
/// file that does not exist yet becomes the import.
fn merged_into(path: &Path, imported: &str, section: &str) -> Result<String, CliError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(existing) => existing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(imported.to_owned());
        }
        Err(error) => {
            return Err(CliError::Read {
                path: path.to_owned(),
                reason: error.to_string(),
            });
        }
    };
    let top_level = format!("{section}:");
    if existing.lines().any(|line| line.starts_with(&top_level)) {
        return Err(CliError::Usage(format!(
            "{}: it already has a `{section}` section, so --merge would give it twice; nothing \
             was written. Import into another file, or use --force to replace the whole file",
            path.display()
        )));
    }
    let addition = imported.replacen("version: 1\n", "", 1);
    let merged = format!("{}\n\n{addition}", existing.trim_end());
    let name = format!("{} with the import added", path.display());
    load_bytes(
        &name,
        with_sinks_filled_in(&merged).as_bytes(),
        Path::new("."),
    )
    .map_err(CliError::Config)?;
    Ok(merged)
}

fn write_output(text: &str, output: &ImportOutput) -> Result<(), CliError> {
    let Some(path) = &output.out else {
        say(text);
        return Ok(());
    };
    if path.exists() && !output.force && !output.merge {
        return Err(CliError::WouldOverwrite(path.clone()));
    }
    write_atomically(path, text.as_bytes()).map_err(|reason| CliError::Write {
        what: "",
        path: path.clone(),
        reason,
    })
}
