//! `exec`: runs a command with a fresh token in its environment (`BEARER_TOKEN`, and
//! `TOKENTRAY_HEADER` as a whole header line, and `TOKENTRAY_REFERER` for a referer-bound
//! token), forwards the signals a terminal or a supervisor
//! sends, and exits with the command's own code. The token never appears in argv.

use std::process::Stdio;
use std::time::Duration;
use tokentray_engine::Freshness;
use tokentray_engine::connection_name;

use tokentray_engine::{Engine, Error};

use crate::args::ExecArgs;
use crate::exit::CliError;

/// This process, as the audit log names it.
pub(crate) fn own_process() -> String {
    format!("pid {}", std::process::id())
}

pub(crate) async fn run(engine: &Engine, a: ExecArgs) -> Result<(), CliError> {
    let spec = engine.spec(&connection_name(&a.name)?)?;
    if !spec.exportable() {
        return Err(Error::NotExportable {
            connection: spec.name.clone(),
        }
        .into());
    }
    let handout = engine
        .token(
            &connection_name(&a.name)?,
            Freshness::from(a.min_valid.map(Duration::from_secs)),
        )
        .await?;
    // Listen for signals before the child exists, so none can end us before it is forwarded.
    let signals = Signals::listen()?;
    let (program, args) = a
        .command
        .split_first()
        .ok_or_else(|| CliError::Usage("give the command after --".into()))?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("BEARER_TOKEN", handout.token.expose())
        .env(
            "TOKENTRAY_HEADER",
            format!("{}: {}", handout.header_name, handout.header_value.expose()),
        );
    // Only the referer this token is bound to: never one inherited from an outer exec.
    match &handout.referer {
        Some(referer) => command.env("TOKENTRAY_REFERER", referer),
        None => command.env_remove("TOKENTRAY_REFERER"),
    };
    let mut child = command
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            CliError::Failed(format!("could not run {}: {e}", program.to_string_lossy()))
        })?;
    engine.record_handout(
        &handout.connection,
        "tokentray exec",
        None,
        Some(format!("{} ({})", own_process(), program.to_string_lossy())),
    );
    let status = signals.forward_until_exit(&mut child).await?;
    Err(CliError::Exit(exit_code(status)))
}

/// The exit code to pass on: the child's, or 128 + the signal that ended it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return u8::try_from(128 + sig).unwrap_or(255);
        }
    }
    status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(1)
}

/// The signals forwarded to the child: interrupt, terminate, hang-up.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn listen() -> Result<Self, CliError> {
        use tokio::signal::unix::{SignalKind, signal};
        let io = |e| CliError::Io("listen for signals", e);
        Ok(Self {
            int: signal(SignalKind::interrupt()).map_err(io)?,
            term: signal(SignalKind::terminate()).map_err(io)?,
            hup: signal(SignalKind::hangup()).map_err(io)?,
        })
    }

    async fn forward_until_exit(
        mut self,
        child: &mut tokio::process::Child,
    ) -> Result<std::process::ExitStatus, CliError> {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        let pid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .map(Pid::from_raw);
        loop {
            let sig = tokio::select! {
                status = child.wait() => return status.map_err(|e| CliError::Io("wait for the command", e)),
                _ = self.int.recv() => Signal::SIGINT,
                _ = self.term.recv() => Signal::SIGTERM,
                _ = self.hup.recv() => Signal::SIGHUP,
            };
            if let Some(pid) = pid {
                let _ = kill(pid, sig);
            }
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn listen() -> Result<Self, CliError> {
        Ok(Self)
    }

    async fn forward_until_exit(
        self,
        child: &mut tokio::process::Child,
    ) -> Result<std::process::ExitStatus, CliError> {
        child
            .wait()
            .await
            .map_err(|e| CliError::Io("wait for the command", e))
    }
}
