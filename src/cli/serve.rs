//! `keyrot serve`: the command line's side of the continuous reconciler: the file loaded (an
//! invalid one stops it at start; on SIGHUP it only stops the reload), the state backend, the
//! endpoints bound, the log set up, then `serve::Reconciler` runs until a signal stops it. The
//! clock, the signals and the log come from a [`Host`]: the process's, or a simulation's.

use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedReceiver;

use super::args::{GlobalArgs, LogFormatArg, ServeArgs};
use super::clock::SystemClock;
use super::exit::{CliError, Exit};
use super::output::{Printer, env_var, stderr_colored};
use super::serve_cycle::ServeCycle;
use super::state::{self, this_run};
use crate::apply::Clock;
use crate::config::{Backend, ConfigError, DesiredState, load_file};
use crate::serve::{
    Control, LogFormat, Reconciler, ReloadError, Shared, Status, Webhook, duration_in_words,
};
use crate::state::Lead;

/// How long a stopping `keyrot serve` waits for the alert webhook to take what is queued.
const ALERTS_FLUSH: std::time::Duration = std::time::Duration::from_secs(10);

/// What `keyrot serve` takes from where it runs: this machine's clock, the stop and reload
/// requests, the log. The process gives its own ([`ProcessHost`]); a simulation gives a clock
/// of its own and asks for stop and reload itself (benchmark i runs a day on tokio's paused
/// clock).
pub trait Host {
    /// This machine's clock.
    fn clock(&self) -> &dyn Clock;

    /// Starts taking stop and reload requests, once the file and the state are ready.
    fn controls(&self) -> std::io::Result<UnboundedReceiver<Control>>;

    /// Sets up the log in `format`, colored when `colored`.
    fn start_log(&self, format: LogFormat, colored: bool);
}

/// The process's clock, signals (SIGTERM, SIGINT, SIGHUP) and stderr.
pub struct ProcessHost;

impl Host for ProcessHost {
    fn clock(&self) -> &dyn Clock {
        &SystemClock
    }

    fn controls(&self) -> std::io::Result<UnboundedReceiver<Control>> {
        crate::serve::listen_for_signals()
    }

    fn start_log(&self, format: LogFormat, colored: bool) {
        crate::serve::init_log(format, colored);
    }
}

/// Runs `keyrot serve` on `host`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &ServeArgs,
    host: &dyn Host,
) -> Result<Exit, CliError> {
    let clock = host.clock();
    let file = global.file();
    let desired = load_file(&file)?;
    let url = webhook_url(&desired).map_err(|error| CliError::Usage(error.to_string()))?;
    let state = state::backend(&desired).await?;
    let listener = TcpListener::bind(args.listen).await.map_err(|error| {
        CliError::Environment(format!(
            "cannot listen on {} (--listen): {error}",
            args.listen
        ))
    })?;
    let cycle = ServeCycle::new(global, printer, args.apply, (state.as_ref(), clock));
    cycle.connect(&desired)?;
    let controls = host
        .controls()
        .map_err(|error| CliError::Environment(format!("cannot listen for signals: {error}")))?;
    host.start_log(log_format(args.log_format), stderr_colored(global.color));
    let mode = if args.apply { "apply" } else { "read-only" };
    let status = Status::starting(mode, file.display().to_string(), clock.now());
    let shared = Shared::new(status);
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let http = tokio::spawn(crate::serve::serve_http(
        listener,
        Arc::clone(&shared),
        async move {
            let _ = http_stopped.await;
        },
    ));
    log_start(&file, mode, args, &state.location());
    let holder = this_run(clock.now());
    let webhook = Webhook::new(
        format!("{}@{}", holder.user, holder.host),
        file.display().to_string(),
    );
    webhook.point_at(url);
    let backend = desired.settings.backend;
    let reload = || -> Result<DesiredState, ReloadError> {
        let desired = reload(&file, backend)?;
        webhook.point_at(webhook_url(&desired)?);
        Ok(desired)
    };
    let reconciler = Reconciler {
        cycle: &cycle,
        clock,
        state: state.as_ref(),
        shared,
        every: args.every,
        full_every: args.full_every,
        holder,
        lead: match args.apply {
            true => Lead::Apply,
            false => Lead::ReadOnly,
        },
        reload: &reload,
        webhook: &webhook,
    };
    reconciler.run(desired, controls).await;
    webhook.flush(ALERTS_FLUSH).await;
    let _ = stop_http.send(());
    let _ = http.await;
    Ok(Exit::Success)
}

/// The line that says what this replica serves.
fn log_start(file: &Path, mode: &str, args: &ServeArgs, state: &str) {
    tracing::info!(
        file = %file.display(),
        mode,
        every = duration_in_words(args.every),
        full_every = duration_in_words(args.full_every),
        listen = %args.listen,
        state,
        "serving"
    );
}

/// Why the file `keyrot serve` loaded (or reloaded) cannot run.
#[derive(Debug, thiserror::Error)]
enum ServeFileError {
    /// The file itself.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A reload moved the state elsewhere.
    #[error(
        "{file}: settings.backend changed from {from} to {to}; restart keyrot serve to move its \
         state"
    )]
    BackendChanged {
        file: String,
        from: Backend,
        to: Backend,
    },
    /// The webhook's variable is not set.
    #[error(
        "{file}: settings.alert_webhook_env names {name}, which is not set; set it to the \
         webhook's URL"
    )]
    WebhookUnset { file: String, name: String },
    /// The webhook's variable holds no http(s) URL (its value is never shown).
    #[error("{name} (settings.alert_webhook_env) does not hold an http:// or https:// URL")]
    WebhookNotUrl { name: String },
}

/// The URL alerts go to: the environment variable `settings.alert_webhook_env` names, which
/// must hold an http(s) URL.
fn webhook_url(desired: &DesiredState) -> Result<Option<reqwest::Url>, ServeFileError> {
    let Some(name) = &desired.settings.alert_webhook_env else {
        return Ok(None);
    };
    let Some(text) = env_var(name) else {
        return Err(ServeFileError::WebhookUnset {
            file: desired.source.clone(),
            name: name.clone(),
        });
    };
    reqwest::Url::parse(&text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .map(Some)
        .ok_or_else(|| ServeFileError::WebhookNotUrl { name: name.clone() })
}

/// The file at `path` again, on the same state `backend` as the one it replaces.
fn reload(path: &Path, backend: Backend) -> Result<DesiredState, ServeFileError> {
    let desired = load_file(path)?;
    if desired.settings.backend != backend {
        return Err(ServeFileError::BackendChanged {
            file: path.display().to_string(),
            from: backend,
            to: desired.settings.backend,
        });
    }
    Ok(desired)
}

fn log_format(format: LogFormatArg) -> LogFormat {
    match format {
        LogFormatArg::Text => LogFormat::Text,
        LogFormatArg::Json => LogFormat::Json,
    }
}
