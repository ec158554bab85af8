//! The `keyrot` binary: everything is in the library; this only runs it.

fn main() -> std::process::ExitCode {
    keyrot::cli::main()
}
