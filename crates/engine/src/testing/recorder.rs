//! A recording server: a real HTTP listener on loopback that keeps every request it receives
//! (request line, headers and body, as bytes on the wire) and answers each with a refusal. It
//! plays the party a connection was pointed at without the person's secrets following: tests
//! call [`Recorder::assert_never_saw`] with their canaries.
//!
//! It answers OpenID / OAuth discovery with endpoints on itself, so a flow that would send a
//! secret after discovery does send it here; every other request gets `400` with an OAuth
//! `invalid_client` body (which ArcGIS clients read as an error too).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A recording HTTP server on `127.0.0.1`, stopped when dropped.
pub struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Recorder {
    /// Starts one on a free port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("a local address");
        let url = format!("http://{addr}/");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen2, stop2, base) = (seen.clone(), stop.clone(), url.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (seen, base) = (seen2.clone(), base.clone());
                std::thread::spawn(move || serve(conn, &seen, &base));
            }
        });
        Self {
            url,
            seen,
            stop,
            addr,
        }
    }

    /// Its base URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far, as text.
    ///
    /// # Panics
    /// When the record's lock is poisoned.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().expect("record lock").clone()
    }

    /// The first request so far that contains one of `secrets` — plain, URL-encoded or
    /// base64-encoded (alone, or inside a Basic header) — with the secret masked.
    ///
    /// # Panics
    /// When the record's lock is poisoned.
    pub fn leaked(&self, secrets: &[&str]) -> Option<String> {
        for request in self.requests() {
            for secret in secrets {
                if forms(secret, &request).iter().any(|f| request.contains(f)) {
                    return Some(request.replace(secret, "<SECRET>"));
                }
            }
        }
        None
    }

    /// Fails the test when any request so far carried one of `secrets` (see [`Self::leaked`]).
    ///
    /// # Panics
    /// When a secret reached the server: that is the failure this exists to report.
    pub fn assert_never_saw(&self, secrets: &[&str]) {
        if let Some(request) = self.leaked(secrets) {
            panic!("a secret reached the recording server in this request:\n{request}");
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The shapes `secret` can take in `request`.
fn forms(secret: &str, request: &str) -> Vec<String> {
    let mut out = vec![
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        b64(secret),
    ];
    // A Basic header carrying it: decode every Basic credential in the request.
    for line in request.lines() {
        if let Some(value) = line
            .split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.trim())
            .and_then(|v| v.strip_prefix("Basic "))
        {
            use base64::Engine as _;
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value.trim())
                && String::from_utf8_lossy(&bytes).contains(secret)
            {
                out.push(value.trim().to_owned());
            }
        }
    }
    out
}

fn serve(conn: TcpStream, seen: &Mutex<Vec<String>>, base: &str) {
    let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let Ok(mut writer) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(conn);
    loop {
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
            let end = line == "\r\n" || line == "\n";
            head.push_str(&line);
            if end {
                break;
            }
        }
        let mut body = vec![0u8; length.min(1 << 20)];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = format!("{head}{}", String::from_utf8_lossy(&body));
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        seen.lock().expect("record lock").push(request);
        let (status, json) = if path.contains("/.well-known/") {
            (
                "200 OK",
                serde_json::json!({
                    "issuer": base.trim_end_matches('/'),
                    "authorization_endpoint": format!("{base}authorize"),
                    "token_endpoint": format!("{base}token"),
                    "device_authorization_endpoint": format!("{base}device"),
                    "revocation_endpoint": format!("{base}revoke"),
                    "userinfo_endpoint": format!("{base}userinfo"),
                    "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token", "password", "urn:ietf:params:oauth:grant-type:device_code"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    "code_challenge_methods_supported": ["S256"],
                }),
            )
        } else {
            (
                "400 Bad Request",
                serde_json::json!({
                    "error": "invalid_client",
                    "error_description": "recording server",
                }),
            )
        };
        let body = json.to_string();
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}
