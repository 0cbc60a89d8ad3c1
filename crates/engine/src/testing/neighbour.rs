//! A real second local user, for tests that play a hostile neighbour on the same machine
//! (security.md attacker A2): someone who squats ports, listens where a stale discovery file
//! points, pre-creates files in shared places, or reads every process's command line.
//!
//! The test setup (`tests/scripts/setup.sh --test`, run as root) creates the account
//! [`NAME`]; tests run the neighbour's programs with `runuser`, so they need root. Where the
//! account or root is missing a test skips with a message — unless
//! `TOKENTRAY_REQUIRE_NEIGHBOUR=1` (set by `tests/scripts/test.sh` when run as root, so in CI),
//! where it fails instead.
//!
//! The neighbour's programs are Python scripts run by the system's `/usr/bin/python3` (the
//! account cannot execute anything under root's home). They report what they saw on stdout.

use std::process::{Command, Stdio};

/// The second account's name.
pub const NAME: &str = "tokentray-neighbour";

/// The system Python the neighbour runs.
pub const PYTHON: &str = "/usr/bin/python3";

/// The second local user.
#[derive(Clone, Debug)]
pub struct Neighbour {
    /// Its uid.
    pub uid: u32,
}

impl Neighbour {
    /// The neighbour, or `None` (after saying why on stderr) when the account or root is missing
    /// and `TOKENTRAY_REQUIRE_NEIGHBOUR` is not set.
    ///
    /// # Panics
    /// When it is required and missing.
    pub fn get() -> Option<Self> {
        let required = std::env::var_os("TOKENTRAY_REQUIRE_NEIGHBOUR").is_some_and(|v| v == "1");
        let why = match (Self::lookup(), is_root()) {
            (Some(uid), true) => return Some(Self { uid }),
            (None, _) => format!(
                "the account {NAME} does not exist (tests/scripts/setup.sh --test as root creates it)"
            ),
            (Some(_), false) => "these tests need root to act as the second user".to_owned(),
        };
        assert!(!required, "TOKENTRAY_REQUIRE_NEIGHBOUR=1 but {why}");
        eprintln!("skipped: {why}");
        None
    }

    fn lookup() -> Option<u32> {
        let out = Command::new("id").args(["-u", NAME]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    }

    /// `program args…` as the neighbour (`runuser -u NAME --`), with a clean environment and
    /// the neighbour's home as working directory; stdin closed, stdout piped.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("runuser");
        cmd.args([
            "-u",
            NAME,
            "--",
            "env",
            "-i",
            "PATH=/usr/bin:/bin",
            "HOME=/tmp",
        ])
        .arg(program)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
        cmd
    }

    /// A Python script run by the neighbour: `python3 -u -c SCRIPT ARGS…`.
    pub fn python(&self, script: &str, args: &[&str]) -> Command {
        let mut cmd = self.command(PYTHON);
        cmd.arg("-u").arg("-c").arg(script).args(args);
        cmd
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|s| s.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_neighbour_is_another_uid() {
        let Some(n) = Neighbour::get() else { return };
        let out = n
            .python("import os; print(os.getuid())", &[])
            .output()
            .expect("runuser runs");
        assert!(out.status.success(), "{out:?}");
        let uid: u32 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(uid, n.uid);
        assert_ne!(uid, 0);
    }
}
