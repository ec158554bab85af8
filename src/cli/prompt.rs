//! Asking for approval before apply writes anything.

use std::io::{BufRead, IsTerminal};

use super::output::Printer;
use crate::apply::ApplyError;

/// Whether the user approved, asked on the terminal. Without a terminal nobody can answer, so
/// that is an error telling how to approve instead. The question goes to stderr, so that it
/// is seen when stdout goes to a file (`keyrot apply > apply.log`).
pub fn confirm_apply(printer: &Printer) -> Result<bool, ApplyError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(ApplyError::NoTerminal);
    }
    printer.flush();
    if !std::io::stdout().is_terminal() {
        printer.ask("\nThe plan went to stdout, which is not this terminal: read it there first.");
    }
    printer.ask("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    let mut answer = String::new();
    let read = stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|error| ApplyError::Prompt(format!("cannot read the answer: {error}")))?;
    if read == 0 {
        // Ctrl-D: end the prompt's line, so what follows starts on its own.
        printer.ask("\n");
    }
    Ok(answer.trim() == "yes")
}
