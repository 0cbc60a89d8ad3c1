//! `serve`: the headless refresher and export endpoint, until interrupted.

use std::io::Write;

use tokentray_engine::Engine;

use crate::args::ServeArgs;
use crate::exit::CliError;
use crate::output;

pub(crate) async fn run(
    engine: &Engine,
    a: &ServeArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let port = a
        .port
        .or_else(|| engine.config().ok().and_then(|c| c.app.export_port));
    // The endpoint first: it refuses to start when another app or serve runs over the same
    // files, and then nothing may renew here either.
    let handle = tokentray_export::start(engine.clone(), port)
        .await
        .map_err(|e| CliError::Failed(format!("could not start the export endpoint: {e}")))?;
    // Listen for SIGTERM/SIGINT before saying we listen: a stop sent right after must still
    // shut down cleanly (endpoint.json and the socket removed).
    let stopped = stop_signal();
    engine.start_background()?;
    if handle.default_taken() {
        let _ = writeln!(
            err,
            "warning: the default port {} is taken by another program; serving on {} instead (scripts find the address and key in endpoint.json)",
            handle.requested_port(),
            handle.url()
        );
    }
    output::write(
        out,
        &format!("tokentray serve listening on {}\n", handle.url()),
    )?;
    let _ = writeln!(
        err,
        "refreshing in the background; the CLI asks it through {}, scripts find the endpoint and its key (new at every start) in {}; Ctrl-C stops",
        engine.paths().daemon_socket().display(),
        engine.paths().endpoint_file().display()
    );
    let _ = out.flush();
    stopped.await;
    handle.shutdown().await;
    engine.shutdown().await;
    Ok(())
}

/// Registers for SIGTERM and SIGINT now; the future completes when one arrives.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let signals = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        );
        async move {
            let (Ok(mut term), Ok(mut int)) = signals else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
