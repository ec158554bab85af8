//! Which of the flags every command accepts mean something to each command: the others are
//! hidden from that command's help and refused there, rather than silently ignored.

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use super::args::Cli;

/// Every flag of `GlobalArgs`, by its clap id.
const GLOBAL_FLAGS: &[&str] = &[
    "file",
    "color",
    "now",
    "parallelism",
    "timeout",
    "quiet",
    "verbose",
];

/// The global flags that mean something to the top-level command `name` and its subcommands.
fn meaningful(name: &str) -> &'static [&'static str] {
    match name {
        "plan" | "apply" | "drift" => GLOBAL_FLAGS,
        "demo" => &["file", "color", "now", "quiet", "verbose"],
        "history" => &["file", "color"],
        "journal" => &["file"],
        "deliver" => &["file"],
        "validate" => &["file"],
        "show" => &["color"],
        "import" => &["parallelism", "timeout", "quiet", "verbose"],
        "sandbox" => &["now"],
        "serve" => &["file", "color", "parallelism", "timeout"],
        _ => &[],
    }
}

/// The command line's definition, each command's help showing only the flags it uses: a
/// command gets a hidden copy of each global flag it does not use, which its subcommands
/// inherit in place of the visible one.
pub fn command() -> clap::Command {
    let mut command = Cli::command();
    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        let used = meaningful(&name);
        let unused = globals
            .iter()
            .filter(|arg| !used.contains(&arg.get_id().as_str()))
            .map(|arg| arg.clone().hide(true));
        command = command.mut_subcommand(&name, |sub| sub.args(unused));
    }
    command
}

/// Parses the process's arguments; a global flag given to a command it means nothing to is a
/// usage error.
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(std::env::args_os())
}

/// As [`parse`], from `arguments` (the program's name first).
pub fn parse_from<I, T>(arguments: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut command = command();
    let matches = command.try_get_matches_from_mut(arguments)?;
    if let Some((name, sub)) = matches.subcommand() {
        let used = meaningful(name);
        if let Some(flag) = given_unused(sub, used) {
            let message = format!("{flag} means nothing to `keyrot {name}`; leave it out");
            return Err(match command.find_subcommand_mut(name) {
                Some(sub) => sub.error(ErrorKind::ArgumentConflict, message),
                None => command.error(ErrorKind::ArgumentConflict, message),
            });
        }
    }
    Cli::from_arg_matches(&matches)
}

/// The first global flag given on the command line that `used` does not list, as `--name`,
/// looking into nested subcommands (`import cloudflare`) too.
fn given_unused(matches: &ArgMatches, used: &[&str]) -> Option<String> {
    let given = GLOBAL_FLAGS
        .iter()
        .filter(|flag| !used.contains(flag))
        .find(|flag| matches.value_source(flag) == Some(ValueSource::CommandLine));
    match (given, matches.subcommand()) {
        (Some(flag), _) => Some(format!("--{flag}")),
        (None, Some((_, sub))) => given_unused(sub, used),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_global_flag_is_listed() {
        let command = Cli::command();
        let globals: Vec<&str> = command
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .map(|arg| arg.get_id().as_str())
            .collect();
        assert_eq!(globals, GLOBAL_FLAGS);
    }

    #[test]
    fn a_flag_a_command_does_not_use_is_left_out_of_its_help() {
        let help = |name: &str| {
            let mut command = command();
            command.build();
            let sub = command.find_subcommand_mut(name).expect("a command");
            sub.render_long_help().to_string()
        };
        assert!(!help("schema").contains("--now"));
        assert!(!help("validate").contains("--parallelism"));
        assert!(help("validate").contains("--file"));
        assert!(help("plan").contains("--now"));
        assert!(help("import").contains("--parallelism"));
    }
}
