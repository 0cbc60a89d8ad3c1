//! Asking a running Tokentray (the app or `tokentray serve`) instead of renewing here: when one
//! runs, it is the only refresher. This path is kept lean for `tokentray token`: it reads
//! `endpoint.json`, checks the file is ours and its process alive, and speaks one HTTP/1.1
//! request over a plain loopback socket (no proxy, no TLS, no async runtime, no keychain).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tokentray_engine::Paths;

/// A running endpoint found through `endpoint.json`.
pub(crate) struct Daemon {
    addr: SocketAddr,
    key: String,
}

/// A daemon's answer.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The `code` and `message` of an error body.
    pub(crate) fn error(&self) -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(&self.body).unwrap_or_default();
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        (s("code"), s("message"))
    }
}

impl Daemon {
    /// The running endpoint, if `endpoint.json` is there, owner-only, and names a live process.
    pub(crate) fn find(paths: &Paths) -> Option<Self> {
        let file = paths.endpoint_file();
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            let meta = std::fs::symlink_metadata(&file).ok()?;
            // A file others can read, a link, or someone else's file is not trusted (T19).
            if !meta.is_file()
                || meta.permissions().mode() & 0o077 != 0
                || meta.uid() != nix::unistd::getuid().as_raw()
            {
                return None;
            }
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
        let pid = v["pid"].as_u64()?;
        if !alive(pid) {
            return None;
        }
        let url = v["url"].as_str()?;
        let addr: SocketAddr = url.strip_prefix("http://")?.parse().ok()?;
        if !addr.ip().is_loopback() {
            return None;
        }
        Some(Self {
            addr,
            key: v["key"].as_str()?.to_owned(),
        })
    }

    /// Sends one request; `None` when the daemon cannot be reached (the caller falls back).
    pub(crate) fn request(&self, method: &str, path: &str, accept: &str) -> Option<Answer> {
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .ok()?;
        let body = if method == "POST" { "{}" } else { "" };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: {accept}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            self.key,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).ok()?;
        let text = String::from_utf8(raw).ok()?;
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

fn alive(pid: u64) -> bool {
    #[cfg(target_os = "linux")]
    {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}
