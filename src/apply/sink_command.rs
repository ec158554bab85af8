//! A `command:` sink: the program runs in its own process group, with a clean environment and
//! the secret on its stdin only, for a bounded time; and the ending of sink processes that a
//! killed keyrot left behind, before a later run delivers a secret.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::sink_problem::SinkProblem;
use secrecy::{ExposeSecret, SecretString};

/// The variable every process of a sink command carries: the run that started it.
pub const RUN_MARKER: &str = "KEYROT_SINK_RUN";

/// What a sink command sees of keyrot's environment unless `secret.env` names more: never
/// keyrot's credentials or its database URL.
const ALLOWED: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM",
];

/// One delivery to a `command:` sink.
pub struct SinkCommand<'a> {
    /// Program and arguments.
    pub argv: &'a [String],
    /// How long it may run.
    pub timeout: Duration,
    /// The variables it may see beyond [`ALLOWED`].
    pub env: &'a [String],
    /// The run delivering, carried as [`RUN_MARKER`].
    pub run_id: &'a str,
}

impl SinkCommand<'_> {
    /// Gives `command` only the allowed variables of `environment`, those the sink names, and
    /// the run marker.
    fn set_environment(
        &self,
        command: &mut Command,
        environment: impl Iterator<Item = (OsString, OsString)>,
    ) {
        command.env_clear();
        for (name, value) in environment {
            let Some(text) = name.to_str() else {
                continue;
            };
            let named = self.env.iter().any(|wanted| wanted == text);
            if named || ALLOWED.contains(&text) || text.starts_with("LC_") {
                command.env(&name, value);
            }
        }
        command.env(RUN_MARKER, self.run_id);
    }
}

impl SinkCommand<'_> {
    /// Runs the command in its own process group (so a Ctrl-C at the terminal does not kill
    /// it mid-delivery) with a clean environment and the secret on stdin only; its stdout is
    /// discarded, its stderr shown on failure (with the secret blanked out, should the command
    /// echo it). One still running after its timeout is killed with its whole process group.
    pub fn run(&self, secret: &SecretString) -> Result<(), SinkProblem> {
        run_command(self, secret)
    }
}

fn run_command(sink: &SinkCommand<'_>, secret: &SecretString) -> Result<(), SinkProblem> {
    let (argv, timeout) = (sink.argv, sink.timeout);
    let program = find_program(&argv[0])?;
    // keyrot keeps a read end of the command's stdin, so that once the command has exited it
    // can tell whether the command read the whole secret: a command that exits without reading
    // it (`true`, a typo'd script) has not taken it, however it exits.
    let pipe = |error| SinkProblem::command("cannot make a pipe", &error);
    let (stdin, writer) = io::pipe().map_err(pipe)?;
    let kept = stdin.try_clone().map_err(pipe)?;
    let mut command = Command::new(program);
    command.args(&argv[1..]).process_group(0);
    sink.set_environment(&mut command, std::env::vars_os());
    // SAFETY: prctl and umask are async-signal-safe. prctl asks the kernel to kill the command
    // if keyrot dies (kill -9), so a command left behind can never deliver a secret the journal
    // calls lost; the umask makes the files it creates (`cat > out.token`) its user's alone.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(io::Error::last_os_error());
            }
            libc::umask(0o077);
            Ok(())
        });
    }
    let mut child = command
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| SinkProblem::command("cannot start", &error))?;
    let writing = {
        let secret = secret.clone();
        let mut writer = writer;
        std::thread::spawn(move || writer.write_all(secret.expose_secret().as_bytes()))
    };
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || stderr.map(read_bounded).unwrap_or_default());
    let status = wait_at_most(&mut child, timeout);
    // Whatever the command left running in its process group (a background job holding its
    // stderr open) goes with it: the delivery is over once the command exits.
    kill_process_group(&mut child);
    let unread = unread_bytes(kept);
    let written = writing
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the writer failed")));
    let status = status?;
    let stderr = errors.join().unwrap_or_default();
    if let Err(error) = written {
        return Err(SinkProblem::Handoff(error.to_string()));
    }
    let exit = status
        .code()
        .map_or_else(|| "a signal".to_owned(), |code| format!("status {code}"));
    if unread > 0 {
        return Err(SinkProblem::NotRead {
            exit,
            unread,
            length: secret.expose_secret().len(),
        });
    }
    if status.success() {
        return Ok(());
    }
    let stderr = blanked(&String::from_utf8_lossy(&stderr), secret.expose_secret());
    Err(SinkProblem::Failed {
        exit,
        stderr: stderr.trim().to_owned(),
    })
}

/// The shortest run of a secret's characters that is blanked out of a command's stderr: long
/// enough that a coincidence is unlikely, short enough that a truncated echo is caught.
const BLANKED_RUN: usize = 12;

/// `text` with every run of at least [`BLANKED_RUN`] characters of `secret` (the whole secret,
/// or a part a command quoted in an error), in either case, replaced by `[secret]`.
fn blanked(text: &str, secret: &str) -> String {
    let text: Vec<char> = text.chars().collect();
    let secret: Vec<char> = secret.chars().collect();
    let longest_at = |at: usize| {
        (0..secret.len())
            .map(|from| {
                let same = text[at..].iter().zip(&secret[from..]);
                same.take_while(|(a, b)| a.eq_ignore_ascii_case(b)).count()
            })
            .max()
            .unwrap_or(0)
    };
    // A secret shorter than the run is blanked whole; an empty one blanks nothing.
    let shortest = BLANKED_RUN.min(secret.len()).max(1);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        match longest_at(at) {
            run if run >= shortest => {
                out.push_str("[secret]");
                at += run;
            }
            _ => {
                out.push(text[at]);
                at += 1;
            }
        }
    }
    out
}

/// The first 64 KiB a command writes to stderr, for the message; the rest is read and dropped,
/// so a command cannot fill memory with it.
fn read_bounded(mut stream: std::process::ChildStderr) -> Vec<u8> {
    const KEPT: usize = 64 * 1024;
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    while let Ok(read) = stream.read(&mut buffer) {
        if read == 0 {
            break;
        }
        let room = KEPT.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..read.min(room)]);
    }
    kept
}

/// How many bytes written to the command's stdin it never read: what is left in the pipe once
/// the writer is done (draining it also frees a writer the pipe's buffer held up).
fn unread_bytes(mut kept: io::PipeReader) -> usize {
    let mut buffer = [0u8; 4096];
    let mut count = 0;
    while let Ok(read) = kept.read(&mut buffer) {
        if read == 0 {
            break;
        }
        count += read;
    }
    buffer.fill(0);
    count
}

/// Waits for `child`; after `timeout`, kills its process group and says so.
fn wait_at_most(child: &mut Child, timeout: Duration) -> Result<ExitStatus, SinkProblem> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                kill_process_group(child);
                return Err(SinkProblem::TimedOut {
                    seconds: timeout.as_secs_f64(),
                });
            }
            Err(error) => return Err(SinkProblem::command("cannot wait for it", &error)),
        }
    }
}

fn kill_process_group(child: &mut Child) {
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: killpg only sends a signal; the group is the child's own (process_group(0)).
        unsafe {
            libc::killpg(group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Ends every process carrying the [`RUN_MARKER`] of one of `runs`: sink commands, and whatever
/// they started, that a keyrot killed mid-delivery left behind. Returns how many it ended, once
/// they are gone. Only processes of this machine that this user may inspect are seen.
pub fn end_sink_survivors(runs: &HashSet<&str>) -> usize {
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    let survivors: Vec<libc::pid_t> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|pid| marked_by(*pid).is_some_and(|run| runs.contains(run.as_str())))
        .collect();
    for pid in &survivors {
        // SAFETY: kill only sends a signal, to a process that carries a dead run's marker.
        unsafe {
            libc::kill(*pid, libc::SIGKILL);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while survivors.iter().any(|pid| running(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    survivors.len()
}

/// The run marker in process `pid`'s environment, if it has one.
fn marked_by(pid: libc::pid_t) -> Option<String> {
    let environ = fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{RUN_MARKER}=");
    environ
        .split(|byte| *byte == 0)
        .find_map(|pair| pair.strip_prefix(prefix.as_bytes()))
        .and_then(|run| String::from_utf8(run.to_vec()).ok())
}

/// Whether `pid` still runs (a zombie has ended: it can write nothing).
fn running(pid: libc::pid_t) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
    })
}

/// The program's path: as given when it holds a `/`, else the first executable match on PATH.
pub(super) fn find_program(program: &str) -> Result<PathBuf, SinkProblem> {
    let executable = |path: &Path| {
        fs::metadata(path)
            .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let path = PathBuf::from(program);
        return if executable(&path) {
            Ok(path)
        } else {
            Err(SinkProblem::ProgramNotExecutable(program.to_owned()))
        };
    }
    let search = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&search)
        .map(|directory| directory.join(program))
        .find(|candidate| executable(candidate))
        .ok_or_else(|| SinkProblem::ProgramNotOnPath(program.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink<'a>(argv: &'a [String], env: &'a [String], run_id: &'a str) -> SinkCommand<'a> {
        SinkCommand {
            argv,
            timeout: Duration::from_secs(30),
            env,
            run_id,
        }
    }

    #[test]
    fn a_secret_quoted_whole_or_in_part_is_blanked_out_and_a_coincidence_is_not() {
        let secret = "cfat_acc5a8431b7e75b1e07aff35eaa5b6ca697cfc45d43573a5";
        let truncated = format!("bad token prefix {} (len 52)", &secret[..40]);
        assert_eq!(
            blanked(&truncated, secret),
            "bad token prefix [secret] (len 52)"
        );
        let whole = format!("rejected {secret}, {secret}");
        assert_eq!(blanked(&whole, secret), "rejected [secret], [secret]");
        // Eleven characters in a row, or a common word, stay.
        let short = format!("got {} and cfat_ tokens", &secret[5..16]);
        assert_eq!(blanked(&short, secret), short);
        // In the other case too.
        let upper = format!("got {}", secret[..20].to_uppercase());
        assert_eq!(blanked(&upper, secret), "got [secret]");
        // A secret shorter than that is blanked whole, and an empty one blanks nothing.
        assert_eq!(blanked("rejected abc123", "abc123"), "rejected [secret]");
        assert_eq!(blanked("rejected", ""), "rejected");
    }

    #[test]
    fn a_sink_sees_the_allowlist_the_names_it_asks_for_and_its_run_never_credentials() {
        let argv = ["env".to_owned()];
        let env = ["GH_TOKEN".to_owned()];
        let command_sink = sink(&argv, &env, "run7");
        let mut command = Command::new("env");
        let environment = [
            ("PATH", "/usr/bin:/bin"),
            ("LC_ALL", "C.UTF-8"),
            ("GH_TOKEN", "gh-named"),
            ("CLOUDFLARE_API_TOKEN", "cf-secret"),
            ("RIXL_API_TOKEN", "rixl-secret"),
            ("KEYROT_DATABASE_URL", "postgres://keyrot:pw@db/keyrot"),
            ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
        ]
        .map(|(name, value)| (OsString::from(name), OsString::from(value)));
        command_sink.set_environment(&mut command, environment.into_iter());
        let output = command.output().unwrap();
        let mut seen: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                "GH_TOKEN=gh-named",
                "KEYROT_SINK_RUN=run7",
                "LC_ALL=C.UTF-8",
                "PATH=/usr/bin:/bin"
            ]
        );
    }

    #[test]
    fn a_survivor_of_a_listed_run_is_ended_and_others_are_left_alone() {
        let start = |run: &str| {
            Command::new("sleep")
                .arg("300")
                .env(RUN_MARKER, run)
                .spawn()
                .unwrap()
        };
        let mut dead_runs = start("dead-run");
        let mut other = start("other-run");
        let ended = end_sink_survivors(&HashSet::from(["dead-run"]));
        assert_eq!(ended, 1);
        assert!(dead_runs.try_wait().unwrap().is_some() || !running(dead_runs.id() as i32));
        assert!(
            other.try_wait().unwrap().is_none(),
            "an unlisted run's process was ended"
        );
        other.kill().unwrap();
        other.wait().unwrap();
        let _ = dead_runs.wait();
    }
}
