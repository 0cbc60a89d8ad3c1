//! A real TLS server for tests: nginx (Debian's `nginx-light`) in front of a plain-HTTP
//! loopback service such as the sandbox, with certificates from a private CA that the test
//! makes with `openssl`. The service's own URLs in its JSON answers (discovery documents) are
//! rewritten to the TLS address, so every call a client makes goes over TLS.
//!
//! Without the programs these tests skip with a message, unless `TOKENTRAY_REQUIRE_TLS=1`
//! (set by `tests/scripts/test.sh`): then they fail, so CI never skips them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether the TLS and proxy tests must run (CI) rather than skip.
pub fn required() -> bool {
    std::env::var("TOKENTRAY_REQUIRE_TLS").is_ok_and(|v| v == "1")
}

/// The path of a program from Debian, looked up in `PATH` and the sbin directories (nginx lives
/// in /usr/sbin, which is not in every user's `PATH`). `None` (after saying why) when missing,
/// unless [`required`]: then it panics.
pub fn program(name: &str, package: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !required(),
            "{name} is missing: install the Debian package {package} (tests/scripts/setup.sh --test does)"
        );
        eprintln!("skipping: {name} is missing (install the Debian package {package})");
    }
    found
}

/// A port that was free on `ip` a moment ago (the servers here cannot report an ephemeral port;
/// a start that loses the race retries with another).
pub fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind(SocketAddr::new(ip, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A child process killed (and reaped) when dropped.
#[derive(Debug)]
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` and waits until `addr` accepts connections. `Err(log)` when the process exits
/// first (its log file `log` says why, e.g. the port was taken meanwhile).
pub fn spawn_listening(mut cmd: Command, addr: SocketAddr, log: &Path) -> Result<Process, String> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    let mut process = Process(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = process.0.try_wait() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!(
                "{cmd:?} exited ({status}) before listening:\n{text}"
            ));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(process);
        }
        assert!(
            Instant::now() < deadline,
            "{cmd:?} did not listen on {addr} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A private CA made with openssl in a temporary directory, and the certificates it issues.
pub struct Pki {
    dir: tempfile::TempDir,
    openssl: PathBuf,
}

/// A certificate and its key, as PEM files.
#[derive(Clone, Debug)]
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    /// A new CA named `name`. `None` when openssl is missing (see [`program`]).
    pub fn new(name: &str) -> Option<Self> {
        let openssl = program("openssl", "openssl")?;
        let dir = tempfile::tempdir().expect("temp dir");
        run(Command::new(&openssl)
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
            .arg("-keyout")
            .arg(dir.path().join("ca.key"))
            .arg("-out")
            .arg(dir.path().join("ca.pem"))
            .args(["-subj", &format!("/CN={name}")]));
        Some(Self { dir, openssl })
    }

    /// The CA's certificate: what a connection's `ca_file` points at.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A server certificate for `names` (host names or IP addresses), signed by this CA, or
    /// signed by its own key when `self_signed`.
    pub fn issue(&self, label: &str, names: &[&str], self_signed: bool) -> Issued {
        self.make(
            label,
            names,
            if self_signed {
                How::SelfSigned
            } else {
                How::Ca
            },
        )
    }

    /// A certificate for `names` signed by this CA that expired in 2020.
    pub fn issue_expired(&self, label: &str, names: &[&str]) -> Issued {
        self.make(label, names, How::Expired)
    }

    /// `sign` set up as `openssl ca` issuing a certificate valid only on 1 January 2020
    /// (`openssl x509` cannot date a certificate in the past).
    fn signed_in_2020(&self, sign: &mut Command) {
        let d = self.dir.path();
        let conf = d.join("ca.cnf");
        std::fs::write(
            &conf,
            format!(
                "[ca]\ndefault_ca = test\n[test]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}\nserial = {d}/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n",
                d = d.display()
            ),
        )
        .expect("write ca.cnf");
        std::fs::write(d.join("index.txt"), "").expect("write index.txt");
        std::fs::write(d.join("serial"), "1000\n").expect("write serial");
        sign.args(["ca", "-batch", "-notext", "-config"])
            .arg(&conf)
            .arg("-cert")
            .arg(d.join("ca.pem"))
            .arg("-keyfile")
            .arg(d.join("ca.key"))
            .args([
                "-startdate",
                "20200101000000Z",
                "-enddate",
                "20200102000000Z",
            ]);
    }

    fn make(&self, label: &str, names: &[&str], how: How) -> Issued {
        let d = self.dir.path();
        let key = d.join(format!("{label}.key"));
        let csr = d.join(format!("{label}.csr"));
        let cert = d.join(format!("{label}.pem"));
        let ext = d.join(format!("{label}.ext"));
        let sans: Vec<String> = names
            .iter()
            .map(|n| match n.parse::<IpAddr>() {
                Ok(_) => format!("IP:{n}"),
                Err(_) => format!("DNS:{n}"),
            })
            .collect();
        std::fs::write(
            &ext,
            format!(
                "subjectAltName={}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
                sans.join(",")
            ),
        )
        .expect("write the extensions file");
        run(Command::new(&self.openssl)
            .args([
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .arg("-nodes")
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&csr)
            .args(["-subj", &format!("/CN={}", names[0])]));
        let mut sign = Command::new(&self.openssl);
        match how {
            How::Ca => {
                sign.args(["x509", "-req", "-days", "2", "-CA"])
                    .arg(d.join("ca.pem"))
                    .arg("-CAkey")
                    .arg(d.join("ca.key"))
                    .arg("-CAcreateserial");
            }
            How::SelfSigned => {
                sign.args(["x509", "-req", "-days", "2", "-signkey"])
                    .arg(&key);
            }
            How::Expired => self.signed_in_2020(&mut sign),
        }
        sign.arg("-in")
            .arg(&csr)
            .arg("-out")
            .arg(&cert)
            .arg("-extfile")
            .arg(&ext);
        run(&mut sign);
        Issued { cert, key }
    }
}

#[derive(Clone, Copy)]
enum How {
    Ca,
    SelfSigned,
    Expired,
}

/// nginx serving TLS on `https://HOST:PORT` in front of a plain-HTTP service; killed on drop.
pub struct TlsFront {
    /// `https://HOST:PORT`, no trailing slash.
    pub url: String,
    /// The address it listens on.
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    _process: Process,
}

impl TlsFront {
    /// Serves `upstream` (e.g. `http://127.0.0.1:PORT/`) over TLS with `cert` on 127.0.0.1,
    /// named `https://127.0.0.1:PORT`. `None` when nginx is missing (see [`program`]).
    pub fn start(upstream: &url::Url, cert: &Issued) -> Option<Self> {
        Self::start_named(upstream, cert, Ipv4Addr::LOCALHOST.into(), "127.0.0.1")
    }

    /// Like [`TlsFront::start`], listening on `ip` and naming itself `host` in the URLs it
    /// rewrites (a host name that resolves to `ip`).
    pub fn start_named(upstream: &url::Url, cert: &Issued, ip: IpAddr, host: &str) -> Option<Self> {
        let nginx = program("nginx", "nginx-light")?;
        let up = format!(
            "{}:{}",
            upstream.host_str().expect("upstream host"),
            upstream.port().expect("upstream port")
        );
        let mut last = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let d = dir.path().display().to_string();
            let port = free_port(ip);
            let addr = SocketAddr::new(ip, port);
            let url = format!("https://{host}:{port}");
            let conf = format!(
                r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen {addr} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://{up};
            proxy_set_header Accept-Encoding "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            sub_filter "http://{up}" "{url}";
            sub_filter_once off;
            sub_filter_types application/json;
        }}
    }}
}}
"#,
                cert = cert.cert.display(),
                key = cert.key.display(),
            );
            std::fs::write(dir.path().join("nginx.conf"), conf).expect("write nginx.conf");
            let log = dir.path().join("error.log");
            let mut cmd = Command::new(&nginx);
            cmd.arg("-p")
                .arg(dir.path())
                .arg("-e")
                .arg(&log)
                .arg("-c")
                .arg(dir.path().join("nginx.conf"));
            match spawn_listening(cmd, addr, &log) {
                Ok(process) => {
                    return Some(Self {
                        url,
                        addr,
                        dir,
                        _process: process,
                    });
                }
                Err(why) if why.contains("Address already in use") => last = why,
                Err(why) => panic!("{why}"),
            }
        }
        panic!("nginx could not find a free port: {last}");
    }

    /// The request lines nginx served (`POST /oauth/token HTTP/1.1`…), from its access log.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split('"').nth(1).map(str::to_owned))
            .collect()
    }
}
