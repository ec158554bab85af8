//! `keyrot demo`: plan, apply and plan again against a sandbox seeded from the example file.

use std::net::{Ipv4Addr, SocketAddr};

use reqwest::Url;

use super::apply::execute;
use super::args::GlobalArgs;
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::planning::read_and_plan;
use super::sandbox::start_seeded;
use crate::apply::ApplyOptions;
use crate::config::{DesiredState, load_bytes, load_file};
use crate::plan::PlanOptions;
use crate::provider::Providers;
use crate::provider::cloudflare::{CloudflareClient, CloudflareCredentials};
use crate::render::{Style, counted, render_plan};
use crate::sandbox::{Clock, Faults, Sandbox};

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
    let sandbox = start_seeded(Some(&desired), clock, loopback, Faults::default()).await?;
    let context = RunContext::new(global);
    let providers = sandbox_providers(&sandbox, &context)?;
    let style = context.style;
    println!(
        "keyrot demo: a sandbox on {} holds the {} of {}, some drifted.",
        sandbox.address(),
        counted(desired.cloudflare_accounts.len(), "Cloudflare account"),
        desired.source
    );

    step(style, "keyrot plan");
    let plan = read_and_plan(&context, &desired, &providers, PlanOptions::default()).await?;
    print!("{}", render_plan(&plan, &desired.source, style));

    step(style, "keyrot apply --auto-approve");
    let options = ApplyOptions {
        parallelism: context.parallelism,
        fail_fast: false,
    };
    execute(&context, &desired, &plan, &providers, options).await?;

    step(style, "keyrot plan");
    let after = read_and_plan(&context, &desired, &providers, PlanOptions::default()).await?;
    print!("{}", render_plan(&after, &desired.source, style));
    converged(&after, &desired)
}

fn step(style: Style, command: &str) {
    println!("\n{}\n", style.bold(&format!("$ {command}")));
}

fn sandbox_providers(sandbox: &Sandbox, context: &RunContext) -> Result<Providers, CliError> {
    let base_url = Url::parse(&sandbox.cloudflare_base_url())
        .map_err(|error| CliError::Message(format!("sandbox URL: {error}")))?;
    let token = sandbox.credentials().api_token.clone().into();
    let credentials = CloudflareCredentials::Token(token);
    let client = CloudflareClient::new(base_url, credentials, context.http.clone())?;
    Ok(Providers::with_cloudflare(client, context.parallelism))
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
