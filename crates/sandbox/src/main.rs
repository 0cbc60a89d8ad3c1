//! `tokentray-sandbox [--port N] [--ignore-stdin]`: serves the demo configuration on
//! 127.0.0.1, prints one line `tokentray-sandbox listening on http://127.0.0.1:PORT/`, and runs
//! until SIGINT, SIGTERM, or its standard input closes (so a test that spawned it only has to
//! drop the pipe). `--ignore-stdin` keeps it running with stdin at end of file, e.g. when started
//! in the background from a shell.
#![allow(clippy::print_stdout)]

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use tokentray_sandbox::Sandbox;

const USAGE: &str = "usage: tokentray-sandbox [--port N] [--ignore-stdin]";

struct Args {
    port: u16,
    watch_stdin: bool,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Self {
            port: 0,
            watch_stdin: true,
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--port" => {
                    let value = args.next().ok_or("--port needs a value")?;
                    parsed.port = value
                        .parse()
                        .map_err(|_| format!("--port: not a port number: {value}"))?;
                }
                "--ignore-stdin" => parsed.watch_stdin = false,
                other => return Err(format!("unknown argument: {other}")),
            }
        }
        Ok(parsed)
    }
}

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("tokentray-sandbox: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tokentray-sandbox: could not serve: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &Args) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
        let sandbox = Sandbox::start_on(addr).await?;
        announce(&sandbox)?;
        stop_requested(args.watch_stdin).await?;
        sandbox.shutdown().await;
        Ok(())
    })
}

fn announce(sandbox: &Sandbox) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "tokentray-sandbox listening on {}", sandbox.url())?;
    stdout.flush()
}

/// Resolves on SIGINT, SIGTERM, or end of standard input (when watched).
async fn stop_requested(watch_stdin: bool) -> io::Result<()> {
    let stdin_closed = async {
        if watch_stdin {
            stdin_end().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal,
        () = terminated() => Ok(()),
        () = stdin_closed => Ok(()),
    }
}

#[cfg(unix)]
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut sigterm) => {
            sigterm.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminated() {
    std::future::pending().await
}

/// Reads standard input to its end on a plain thread (tokio's stdin would keep the runtime from
/// shutting down while a read is blocked).
async fn stdin_end() {
    let (done, closed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        let _ = done.send(());
    });
    let _ = closed.await;
}
