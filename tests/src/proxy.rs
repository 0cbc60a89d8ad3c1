//! A real HTTP proxy for tests: tinyproxy (from Debian) on a loopback port, logging every
//! request it forwards (`GET http://…` for http, `CONNECT host:port` for https). Killed on drop.
//! Skips or fails like [`crate::tls`] when the program is missing.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::tls::{Process, free_port, program, spawn_listening};

/// A running tinyproxy.
pub struct Tinyproxy {
    /// `http://127.0.0.1:PORT`, what a `proxy` setting or `HTTPS_PROXY` points at.
    pub url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
    _process: Process,
}

impl Tinyproxy {
    /// Starts tinyproxy on a free loopback port. `None` when it is missing.
    pub fn start() -> Option<Self> {
        let tinyproxy = program("tinyproxy", "tinyproxy")?;
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let mut last = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = free_port(ip);
            let log = dir.path().join("tinyproxy.log");
            let conf = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\nMaxClients 20\nAllow 127.0.0.1\nPidFile \"{}\"\n",
                log.display(),
                dir.path().join("tinyproxy.pid").display()
            );
            std::fs::write(dir.path().join("tinyproxy.conf"), conf).expect("write tinyproxy.conf");
            let mut cmd = Command::new(&tinyproxy);
            cmd.arg("-d")
                .arg("-c")
                .arg(dir.path().join("tinyproxy.conf"));
            match spawn_listening(cmd, SocketAddr::new(ip, port), &log) {
                Ok(process) => {
                    return Some(Self {
                        url: format!("http://127.0.0.1:{port}"),
                        log,
                        _dir: dir,
                        _process: process,
                    });
                }
                Err(why) if why.contains("in use") || why.contains("bind") => last = why,
                Err(why) => panic!("{why}"),
            }
        }
        panic!("tinyproxy could not find a free port: {last}");
    }

    /// The request lines the proxy received (`CONNECT 127.0.0.1:PORT HTTP/1.1`,
    /// `POST http://127.0.0.1:PORT/oauth/token HTTP/1.1`…), from its own log.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                l.split_once("): ")
                    .filter(|_| l.contains("Request (file descriptor"))
            })
            .map(|(_, request)| request.to_owned())
            .collect()
    }

    /// Waits (at most 10 s) until a logged request contains `needle`; the whole log otherwise.
    pub fn wait_for(&self, needle: &str) -> Result<(), Vec<String>> {
        self.wait_for_count(needle, 1)
    }

    /// Waits (at most 10 s) until `count` logged requests contain `needle`; the whole log
    /// otherwise.
    pub fn wait_for_count(&self, needle: &str, count: usize) -> Result<(), Vec<String>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let seen = self.requests();
            if seen.iter().filter(|r| r.contains(needle)).count() >= count {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
