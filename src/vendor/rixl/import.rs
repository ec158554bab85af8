//! `keyrot import rixl`: every key the credentials can see, each with the sink placeholder that
//! validation refuses until someone says where its new secret goes.

use std::fmt::Write;

use clap::{Args, ValueEnum};
use futures_util::future::LocalBoxFuture;
use jiff::Timestamp;

use super::{RixlApi, RixlClient};
use crate::config::{RateLimit, SINK_PLACEHOLDER, parse_rate_limit, resource_names};
use crate::http::HttpSettings;
use crate::render::counted;
use crate::vendor::import::{ImportContext, ImportError, Imported, Importer, arguments, header};

/// `keyrot import rixl`.
pub const IMPORTER: Importer = Importer { command, run };

/// `keyrot import rixl`.
#[derive(Debug, Args)]
pub struct ImportRixlArgs {
    /// Every key the credentials can see.
    #[arg(long, required = true)]
    pub all: bool,
    /// The route family: platform (/platform/api-keys) or v1 (/organizations/{org_id}/...).
    #[arg(long, value_enum, default_value_t = RixlApiArg::Platform)]
    pub api: RixlApiArg,
    /// The organization, with --api v1.
    #[arg(long, value_name = "ID", required_if_eq("api", "v1"))]
    pub org_id: Option<String>,
    /// Never more than N requests in any window of DURATION [default: 10/s].
    #[arg(long, value_name = "N/DURATION", value_parser = parse_rate_limit)]
    pub rate_limit: Option<RateLimit>,
}

/// `--api`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RixlApiArg {
    /// /platform/api-keys.
    Platform,
    /// /organizations/{org_id}/api-keys/v1.
    V1,
}

/// `keyrot import rixl`'s subcommand.
fn command() -> clap::Command {
    // After the arguments: their struct's doc comment would be the help otherwise.
    ImportRixlArgs::augment_args(clap::Command::new("rixl"))
        .about("RIXL API keys (each needs a secret sink before the first plan)")
        .long_about(
            "RIXL API keys (each needs a secret sink before the first plan).\n\n\
             Example: keyrot import rixl --all --out keyrot.yaml",
        )
}

fn run<'a>(
    matches: &'a clap::ArgMatches,
    context: ImportContext<'a>,
) -> LocalBoxFuture<'a, Result<Imported, ImportError>> {
    Box::pin(async move { import(&arguments(matches)?, context).await })
}

async fn import(
    args: &ImportRixlArgs,
    context: ImportContext<'_>,
) -> Result<Imported, ImportError> {
    if let (RixlApiArg::Platform, Some(_)) = (args.api, &args.org_id) {
        return Err(ImportError::Usage(
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
        rate_limit: args.rate_limit.unwrap_or(super::RATE_LIMIT),
        ..context.http.clone()
    };
    let client = RixlClient::from_env(context.var, api, settings)?;
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
    let text = import_yaml(&keys, &api_lines, &command, Timestamp::now());
    let summary = format!(
        "{} imported; set each key's `secret` before the first plan",
        counted(keys.len(), "RIXL API key")
    );
    Ok(Imported { text, summary })
}

/// One RIXL key to write.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ImportedKey {
    /// Its resource name.
    name: String,
    /// Its key ID.
    key_id: String,
}

/// The file for imported RIXL keys, with the sink placeholder validation refuses until edited.
fn import_yaml(keys: &[ImportedKey], api_lines: &str, command: &str, at: Timestamp) -> String {
    let mut out = header("RIXL", command, at);
    let _ = write!(
        out,
        "# Before the first plan, set every key's `secret` to where its new secret must go when\n\
         # it is rotated (`file: PATH` or `command: [program, args...]`); `keyrot validate`\n\
         # refuses `{SINK_PLACEHOLDER}` until then. Add max_key_age, rotate_by and\n\
         # rotation_window (to `defaults` or to one key) to have keyrot rotate keys.\n\
         version: 1\nrixl:\n{api_lines}  api_keys:\n"
    );
    if keys.is_empty() {
        out.truncate(out.len() - "  api_keys:\n".len());
        out.push_str("  api_keys: {}\n");
    }
    for key in keys {
        let _ = write!(
            out,
            "    {}:\n      key_id: {}\n      secret:\n        file: {SINK_PLACEHOLDER}\n",
            key.name, key.key_id
        );
    }
    out
}
