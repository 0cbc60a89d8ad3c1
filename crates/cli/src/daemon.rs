//! Asking a running Tokentray (the app or `tokentray serve`) instead of renewing here: when one
//! runs, it is the only refresher. This path is kept lean for `tokentray token`: it connects to
//! the daemon socket in the owner-only runtime directory, checks that the process answering
//! runs as this user (`SO_PEERCRED`) before sending a byte, and speaks one HTTP/1.1 request
//! (no export key, no TCP, no proxy, no TLS, no async runtime, no keychain). A socket nobody
//! answers (a crash left the file) is no daemon: the caller works locally.

use std::io::{Read, Write};
use std::time::Duration;

#[cfg(unix)]
use std::os::unix::net::UnixStream;

use tokentray_engine::Paths;
use tokentray_engine::contract::error::ErrorBody;

/// A running app or `serve` found on the daemon socket, checked to be this user's.
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) struct Daemon {
    #[cfg(unix)]
    stream: UnixStream,
}

/// A daemon's answer.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The error body (an empty one when the body is not the contract's error body).
    pub(crate) fn error(&self) -> ErrorBody {
        serde_json::from_str(&self.body).unwrap_or_else(|_| ErrorBody {
            code: String::new(),
            message: format!("the running Tokentray answered HTTP {}", self.status),
        })
    }

    /// The body as the contract's type `T`, if it is one.
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(&self.body).ok()
    }
}

impl Daemon {
    /// The running daemon, if one answers on the socket and runs as this user.
    #[cfg(unix)]
    pub(crate) fn find(paths: &Paths) -> Option<Self> {
        let stream = UnixStream::connect(paths.daemon_socket()).ok()?;
        // Whoever answers must be this user (T19): nothing is sent to anyone else.
        if peer_uid(&stream)? != nix::unistd::getuid().as_raw() {
            return None;
        }
        Some(Self { stream })
    }

    /// No daemon socket on this platform: always work locally.
    #[cfg(not(unix))]
    pub(crate) fn find(_paths: &Paths) -> Option<Self> {
        None
    }

    /// Sends one request; `None` when the daemon does not answer (the caller falls back).
    #[cfg(unix)]
    pub(crate) fn request(&self, method: &str, path: &str, accept: &str) -> Option<Answer> {
        let mut stream = &self.stream;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .ok()?;
        let request = tokentray_engine::contract::endpoint::request(method, path, accept);
        stream.write_all(request.as_bytes()).ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).ok()?;
        parse(&raw)
    }

    #[cfg(not(unix))]
    pub(crate) fn request(&self, _method: &str, _path: &str, _accept: &str) -> Option<Answer> {
        None
    }
}

/// The uid of the process at the other end of `stream`, as the kernel tells it.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn peer_uid(stream: &UnixStream) -> Option<u32> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    getsockopt(stream, PeerCredentials).ok().map(|c| c.uid())
}

#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
fn peer_uid(stream: &UnixStream) -> Option<u32> {
    nix::unistd::getpeereid(stream)
        .ok()
        .map(|(uid, _)| uid.as_raw())
}

/// Where the kernel cannot say who answers, nobody is trusted: the CLI works by itself.
#[cfg(all(
    unix,
    not(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd",
        target_os = "dragonfly"
    ))
))]
fn peer_uid(_stream: &UnixStream) -> Option<u32> {
    None
}

#[cfg_attr(not(unix), allow(dead_code))]
fn parse(raw: &[u8]) -> Option<Answer> {
    let text = std::str::from_utf8(raw).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    Some(Answer { status, body })
}

fn dechunk(mut s: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n")?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..n)?);
        s = rest.get(n + 2..)?;
    }
}
