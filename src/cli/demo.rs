//! `keyrot demo`: plan, apply and plan again against a sandbox seeded from the example file.

use std::net::{Ipv4Addr, SocketAddr};

use jiff::Timestamp;
use reqwest::Url;

use super::apply::execute;
use super::args::GlobalArgs;
use super::exit::{CliError, Exit};
use super::output::stdout_style;
use super::planning::read_and_plan;
use super::sandbox::start_seeded;
use crate::config::{DesiredState, load_bytes, load_file};
use crate::plan::PlanOptions;
use crate::provider::Providers;
use crate::provider::cloudflare::{CloudflareClient, CloudflareCredentials};
use crate::render::{Style, counted, render_plan};
use crate::sandbox::{Clock, Sandbox};

/// The example desired-state file, built in so the demo runs from anywhere.
const EXAMPLE: &str = include_str!("../../examples/keyrot.yaml");
const EXAMPLE_NAME: &str = "examples/keyrot.yaml";

/// Runs `keyrot demo`.
pub async fn run(global: &GlobalArgs) -> Result<Exit, CliError> {
    let desired = match &global.file {
        Some(path) => load_file(path)?,
        None => load_bytes(EXAMPLE_NAME, EXAMPLE.as_bytes())?,
    };
    let clock = global.now.map_or(Clock::System, Clock::Fixed);
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let sandbox = start_seeded(Some(&desired), clock, loopback).await?;
    let providers = sandbox_providers(&sandbox)?;
    let style = stdout_style(global.color);
    println!(
        "keyrot demo: a sandbox on {} holds the {} of {}, some drifted.",
        sandbox.address(),
        counted(desired.cloudflare_accounts.len(), "Cloudflare account"),
        desired.source
    );
    let now = || global.now.unwrap_or_else(Timestamp::now);

    step(style, "keyrot plan");
    let plan = read_and_plan(&desired, &providers, now(), PlanOptions::default()).await?;
    print!("{}", render_plan(&plan, &desired.source, style));

    step(style, "keyrot apply --auto-approve");
    execute(&desired, &plan, &providers, style).await?;

    step(style, "keyrot plan");
    let after = read_and_plan(&desired, &providers, now(), PlanOptions::default()).await?;
    print!("{}", render_plan(&after, &desired.source, style));
    converged(&after, &desired)
}

fn step(style: Style, command: &str) {
    println!("\n{}\n", style.bold(&format!("$ {command}")));
}

fn sandbox_providers(sandbox: &Sandbox) -> Result<Providers, CliError> {
    let base_url = Url::parse(&sandbox.cloudflare_base_url())
        .map_err(|error| CliError::Message(format!("sandbox URL: {error}")))?;
    let token = sandbox.credentials().api_token.clone().into();
    let client = CloudflareClient::new(base_url, CloudflareCredentials::Token(token))?;
    Ok(Providers::with_cloudflare(client))
}

fn converged(plan: &crate::plan::Plan, desired: &DesiredState) -> Result<Exit, CliError> {
    if plan.is_empty() {
        Ok(Exit::Success)
    } else {
        Err(CliError::Message(format!(
            "the second plan still has changes: the live state did not converge to {}",
            desired.source
        )))
    }
}
