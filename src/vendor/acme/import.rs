//! `keyrot import acme --all`: every key Acme's API holds, each with the sink placeholder.

use std::fmt::Write;

use clap::Args;
use futures_util::future::LocalBoxFuture;
use jiff::Timestamp;

use crate::config::SINK_PLACEHOLDER;
use crate::render::counted;
use crate::vendor::import::{ImportContext, ImportError, Imported, Importer, arguments, header};

/// `keyrot import acme`.
pub const IMPORTER: Importer = Importer { command, run };

/// `keyrot import acme`.
#[derive(Debug, Args)]
struct ImportAcmeArgs {
    /// Every key.
    #[arg(long, required = true)]
    all: bool,
}

fn command() -> clap::Command {
    ImportAcmeArgs::augment_args(clap::Command::new("acme")).about("Acme keys")
}

fn run<'a>(
    matches: &'a clap::ArgMatches,
    context: ImportContext<'a>,
) -> LocalBoxFuture<'a, Result<Imported, ImportError>> {
    Box::pin(async move {
        let _: ImportAcmeArgs = arguments(matches)?;
        let keys = (context.var)("ACME_KEYS").unwrap_or_default();
        let ids: Vec<&str> = keys
            .split(',')
            .filter_map(|entry| Some(entry.split_once('=')?.0))
            .collect();
        let mut text = header("Acme", "keyrot import acme --all", Timestamp::now());
        text.push_str("version: 1\nacme:\n  keys:\n");
        for id in &ids {
            let _ = write!(
                text,
                "    key-{id}:\n      key_id: {id}\n      secret:\n        file: {SINK_PLACEHOLDER}\n"
            );
        }
        let summary = format!("{} imported", counted(ids.len(), "Acme key"));
        Ok(Imported { text, summary })
    })
}
