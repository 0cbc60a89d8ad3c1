//! The `tokentray` binary: everything lives in the library so tests can run it in-process.
#![allow(clippy::print_stdout)]

fn main() -> std::process::ExitCode {
    tokentray_cli::main()
}
