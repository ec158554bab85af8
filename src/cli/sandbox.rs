//! `keyrot sandbox`: serve the embedded API simulator until Ctrl-C.

use jiff::Timestamp;

use super::args::{GlobalArgs, SandboxArgs};
use super::exit::{CliError, Exit};
use crate::config::{DesiredState, load_file};
use crate::render::counted;
use crate::sandbox::{Clock, Sandbox, SandboxConfig, SandboxCredentials, seed_accounts};

/// Runs `keyrot sandbox`.
pub async fn run(global: &GlobalArgs, args: &SandboxArgs) -> Result<Exit, CliError> {
    let clock = global.now.map_or(Clock::System, Clock::Fixed);
    let seed = args.seed.as_deref().map(load_file).transpose()?;
    let sandbox = start_seeded(seed.as_ref(), clock, args.listen).await?;
    print!("{}", shell_exports(&sandbox));
    eprintln!(
        "# keyrot sandbox: serving {} on {}; Ctrl-C stops it",
        counted(
            seed.map_or(0, |desired| desired.cloudflare_accounts.len()),
            "Cloudflare account"
        ),
        sandbox.address()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|error| CliError::Message(format!("cannot wait for Ctrl-C: {error}")))?;
    eprintln!("# keyrot sandbox: stopped");
    Ok(Exit::Success)
}

/// Starts a sandbox with fresh credentials, holding the accounts of `seed` (if any).
pub async fn start_seeded(
    seed: Option<&DesiredState>,
    clock: Clock,
    listen: std::net::SocketAddr,
) -> Result<Sandbox, CliError> {
    let now: Timestamp = clock.now();
    let config = SandboxConfig {
        clock,
        credentials: SandboxCredentials::generate(),
        accounts: seed.map_or_else(Vec::new, |desired| seed_accounts(desired, now)),
    };
    Sandbox::start(listen, config)
        .await
        .map_err(|error| CliError::Message(format!("cannot listen on {listen}: {error}")))
}

/// Lines a user can paste into a shell to point keyrot at the sandbox.
fn shell_exports(sandbox: &Sandbox) -> String {
    let credentials = sandbox.credentials();
    format!(
        "export CLOUDFLARE_BASE_URL={}\n\
         export CLOUDFLARE_API_TOKEN={}\n\
         # the sandbox also accepts this X-Auth-Email / X-Auth-Key pair instead of the token:\n\
         # export CLOUDFLARE_EMAIL={}\n\
         # export CLOUDFLARE_API_KEY={}\n",
        sandbox.cloudflare_base_url(),
        credentials.api_token,
        credentials.email,
        credentials.api_key
    )
}
