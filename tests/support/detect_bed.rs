//! The real servers account detection talks to, on loopback, started once per test
//! binary (see `tests/detect.rs`):
//!
//! - dnsmasq on `127.0.0.1:<free port>` (`MAILROOM_AUTOCONFIG_DNS`): A records for every
//!   test host name, MX and SRV records (one SRV with target `.`), NXDOMAIN for every
//!   other name; each query is logged ([`Bed::dns_queries`]).
//! - `https-files.py` on `<net>.2:443` serving `tests/support/detect-www/web/<host>/…` for
//!   many host names (one certificate names them all), and the same files over plain
//!   HTTP on `<net>.2:80` (only a client that follows an `http://` redirect gets there).
//! - `https-files.py` on `localhost:<free port>` as the ISP database
//!   (`MAILROOM_AUTOCONFIG_ISPDB`, files in `detect-www/ispdb/v1.1/`).
//! - `faulty-smtp.py` as the SMTP servers the guess step finds, on standard ports:
//!   `smtp.guess.test` `<net>.5:465` implicit TLS, `mail.guess587.test` `<net>.6:587`
//!   STARTTLS, `smtp.badcert.test` `<net>.7:465` with a certificate for other names,
//!   `smtp.plainonly.test` `<net>.8:587` with no TLS at all.
//! - A test CA (`detect-certs.sh`) that signed every certificate; `SSL_CERT_FILE` is a
//!   bundle holding only it.
//!
//! `<net>` is `127.A.B` with A, B picked per test binary so that two test runs at once
//! do not fight over port 443. Everything is stopped when the test binary exits.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{free_port, on_exit, support_dir};

/// The host names of the web server (`<net>.2`): the domain step's hosts and the
/// redirects' target.
pub const WEB_HOSTS: &[&str] = &[
    "autoconfig.selfhosted.test",
    "wellknown.test",
    "autoconfig.notxml.test",
    "autoconfig.huge.test",
    "autoconfig.redirect.test",
    "autoconfig.httpredirect.test",
    "autoconfig.threehops.test",
    "autoconfig.fourhops.test",
    "config.elsewhere.test",
    "autoconfig.otherdomain.test",
    "autoconfig.plaintext.test",
];

/// Names that resolve to `<net>.9`, where nothing listens: a domain that exists but
/// offers nothing, and the SRV records' targets.
pub const DEAD_HOSTS: &[&str] = &[
    "nothing.test",
    "submit.srv.test",
    "mail.srvdot.test",
    "smtp.slow.test",
];

/// `_submission._tcp.bigsrv.test` has 30 SRV records (an answer too big for UDP); this is
/// the target of the preferred one (priority 0), listed last.
pub const BIG_SRV_BEST: &str = "relay-00.a-rather-long-host-name-that-fills-the-packet.bigsrv.test";

pub struct Bed {
    pub dir: PathBuf,
    /// `127.A.B`: the bed's own loopback addresses are `<net>.2` and up.
    pub net: String,
    pub dns_port: u16,
    pub ispdb_port: u16,
}

/// The test binary's bed, started on first use.
pub fn bed() -> &'static Bed {
    static BED: OnceLock<Bed> = OnceLock::new();
    BED.get_or_init(start)
}

impl Bed {
    /// `<net>.N`
    pub fn addr(&self, n: u8) -> String {
        format!("{}.{n}", self.net)
    }

    /// `MAILROOM_AUTOCONFIG_ISPDB` as the bed sets it (ends with `/`).
    pub fn ispdb_url(&self) -> String {
        format!("https://localhost:{}/v1.1/", self.ispdb_port)
    }

    /// The environment that points detection at the bed (DNS, ISPDB, the test CA); add a
    /// `DBUS_SESSION_BUS_ADDRESS` (no keyring, or the test keyring's) to it.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "MAILROOM_AUTOCONFIG_DNS".into(),
                format!("127.0.0.1:{}", self.dns_port),
            ),
            ("MAILROOM_AUTOCONFIG_ISPDB".into(), self.ispdb_url()),
            (
                "SSL_CERT_FILE".into(),
                self.ca_bundle().display().to_string(),
            ),
        ]
    }

    /// The environment of a home whose address at `domain` is found in the ISP database
    /// as the test Postfix (submission, STARTTLS, login `testuser`), with Postfix's CA
    /// trusted too and the test keyring: from an address to a delivered message.
    pub fn postfix_env(&self, domain: &str) -> Vec<(String, String)> {
        let server = super::postfix::postfix();
        self.ispdb_entry(
            domain,
            &format!(
                r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="{domain}">
    <domain>{domain}</domain>
    <outgoingServer type="smtp">
      <hostname>localhost</hostname>
      <port>{port}</port>
      <socketType>STARTTLS</socketType>
      <username>{user}</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#,
                port = server.submission,
                user = super::postfix::USER
            ),
        );
        let bundle = self.ca_bundle_with("postfix", &server.ca_file());
        let mut env = self.env();
        env.retain(|(k, _)| k != "SSL_CERT_FILE");
        env.push(("SSL_CERT_FILE".into(), bundle.display().to_string()));
        env.extend(super::keyring::session().env());
        env
    }

    /// The bundle `SSL_CERT_FILE` names: the bed's test CA only.
    pub fn ca_bundle(&self) -> PathBuf {
        self.dir.join("certs/bundle.pem")
    }

    /// A bundle of the bed's CA and `extra` (e.g. Postfix's `ca.crt`), written once.
    pub fn ca_bundle_with(&self, name: &str, extra: &Path) -> PathBuf {
        let path = self.dir.join(format!("certs/bundle-{name}.pem"));
        let mut pem = std::fs::read(self.dir.join("certs/ca.crt")).expect("bed CA");
        pem.extend(std::fs::read(extra).expect("extra CA"));
        std::fs::write(&path, pem).expect("write bundle");
        path
    }

    /// Where the ISP database's files are: `<dir>/<domain>` is `ISPDB/<domain>`.
    pub fn ispdb_dir(&self) -> PathBuf {
        self.dir.join("www/ispdb/v1.1")
    }

    /// Puts `xml` in the ISP database for `domain` (served from the next request on).
    pub fn ispdb_entry(&self, domain: &str, xml: &str) {
        std::fs::write(self.ispdb_dir().join(domain), xml).expect("write ISPDB entry");
    }

    /// The requests the HTTPS web server (`<net>.2:443`) got.
    pub fn web_requests(&self) -> Vec<Request> {
        requests(&self.dir.join("logs/web.log"))
    }

    /// The requests the plain HTTP server (`<net>.2:80`) got.
    pub fn plain_http_requests(&self) -> Vec<Request> {
        requests(&self.dir.join("logs/http.log"))
    }

    /// The requests the ISP database got.
    pub fn ispdb_requests(&self) -> Vec<Request> {
        requests(&self.dir.join("logs/ispdb.log"))
    }

    /// dnsmasq's query log: one `(type, name)` per query, e.g. `("SRV", "_submissions._tcp.srv.test")`.
    pub fn dns_queries(&self) -> Vec<(String, String)> {
        let log = std::fs::read_to_string(self.dir.join("logs/dns.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| {
                let rest = &l[l.find("query[")? + 6..];
                let (kind, rest) = rest.split_once("] ")?;
                let name = rest.split_whitespace().next()?;
                Some((kind.to_string(), name.to_ascii_lowercase()))
            })
            .collect()
    }

    /// Everything the guess step's SMTP server for `host` heard (session transcripts).
    pub fn smtp_transcripts(&self, host: &str) -> String {
        let spool = self.dir.join("smtp").join(host);
        super::files_in(&spool)
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One HTTP request as `https-files.py` logged it.
#[derive(Debug, Clone)]
pub struct Request {
    pub host: String,
    pub path: String,
    pub query: String,
}

fn requests(log: &Path) -> Vec<Request> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| Request {
            host: v["host"].as_str().unwrap_or_default().to_string(),
            path: v["path"].as_str().unwrap_or_default().to_string(),
            query: v["query"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// The SMTP servers of the guess step: (host name, last byte of its address, port, how).
const SMTP_SERVERS: &[(&str, u8, u16, &str)] = &[
    ("smtp.guess.test", 5, 465, "tls"),
    ("mail.guess587.test", 6, 587, "starttls"),
    ("smtp.badcert.test", 7, 465, "tls"),
    ("smtp.plainonly.test", 8, 587, "plain"),
];

/// The ports the bed binds on `<net>.N`.
const BOUND: &[(u8, u16)] = &[(2, 443), (2, 80), (5, 465), (6, 587), (7, 465), (8, 587)];

/// A `127.A.B` whose standard ports are free (A, B from the process id, then onwards).
fn pick_net() -> String {
    let pid = std::process::id();
    for i in 0..200u32 {
        let n = pid.wrapping_add(i * 7919);
        let net = format!("127.{}.{}", 100 + n % 100, 1 + (n / 100) % 250);
        let free = BOUND
            .iter()
            .all(|(last, port)| TcpListener::bind(format!("{net}.{last}:{port}")).is_ok());
        if free {
            return net;
        }
    }
    panic!(
        "no 127.A.B with ports 443/80/465/587 free (and can this process bind them? run as root)"
    );
}

fn start() -> Bed {
    let dir = tempfile::Builder::new()
        .prefix("mailroom-detect-")
        .tempdir()
        .expect("temp dir")
        .keep();
    let net = pick_net();
    let bed = Bed {
        dir: dir.clone(),
        net,
        dns_port: free_port(),
        ispdb_port: free_port(),
    };
    let mut pids: Vec<u32> = Vec::new();
    // Registered first, so whatever started is stopped even if a later start fails.
    let pid_file = dir.join("pids");
    on_exit(&format!(
        "kill $(cat '{pids}' 2>/dev/null) 2>/dev/null; sleep 0.3; rm -rf '{dir}'",
        pids = pid_file.display(),
        dir = dir.display()
    ));
    let remember = |pid: u32, pids: &mut Vec<u32>| {
        pids.push(pid);
        let text: Vec<String> = pids.iter().map(u32::to_string).collect();
        std::fs::write(&pid_file, text.join(" ")).expect("write pids");
    };

    make_certs(&bed);
    copy_dir(&support_dir().join("detect-www"), &dir.join("www"));
    std::fs::create_dir_all(dir.join("logs")).expect("logs dir");

    let pid = start_dnsmasq(&bed);
    remember(pid, &mut pids);

    let certs = dir.join("certs");
    let www = dir.join("www");
    let web = |extra: &[&str], port: u16, log: &str| -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--bind".into(),
            bed.addr(2),
            "--port".into(),
            port.to_string(),
            "--root".into(),
            www.join("web").display().to_string(),
            "--vhosts".into(),
            "--behaviours".into(),
            www.join("web-behaviours.json").display().to_string(),
            "--log".into(),
            dir.join("logs").join(log).display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let cert = certs.join("web.crt").display().to_string();
    let key = certs.join("web.key").display().to_string();
    // Started all at once, then waited for: each takes a few tenths of a second.
    let mut started = vec![
        start_script(
            "https-files.py",
            &web(&["--cert", &cert, "--key", &key], 443, "web.log"),
        ),
        start_script("https-files.py", &web(&["--plain"], 80, "http.log")),
    ];
    let ispdb_args: Vec<String> = [
        "--bind",
        "127.0.0.1",
        "--port",
        &bed.ispdb_port.to_string(),
        "--root",
        &www.join("ispdb").display().to_string(),
        "--behaviours",
        &www.join("ispdb-behaviours.json").display().to_string(),
        "--log",
        &dir.join("logs/ispdb.log").display().to_string(),
        "--cert",
        &cert,
        "--key",
        &key,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    started.push(start_script("https-files.py", &ispdb_args));

    let smtp_cert = certs.join("smtp.crt").display().to_string();
    let smtp_key = certs.join("smtp.key").display().to_string();
    for (host, last, port, how) in SMTP_SERVERS {
        let spool = dir.join("smtp").join(host);
        let mut args: Vec<String> = [
            "--host",
            &bed.addr(*last),
            "--port",
            &port.to_string(),
            "--dir",
            &spool.display().to_string(),
            "--mode",
            "ok",
            "--hostname",
            host,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if *how != "plain" {
            args.extend(["--tls-cert".into(), smtp_cert.clone()]);
            args.extend(["--tls-key".into(), smtp_key.clone()]);
        }
        if *how == "tls" {
            args.push("--implicit-tls".into());
        }
        started.push(start_script("faulty-smtp.py", &args));
    }
    for s in &started {
        remember(s.pid, &mut pids);
    }
    started.into_iter().for_each(ready);
    bed
}

/// The test CA, `web` (every web host, `localhost`) and `smtp` (the guess step's good
/// names only: `smtp.badcert.test` is deliberately not on it), and the bundle.
fn make_certs(bed: &Bed) {
    let certs = bed.dir.join("certs");
    let mut web: Vec<String> = WEB_HOSTS.iter().map(|h| format!("DNS:{h}")).collect();
    web.push("DNS:localhost".into());
    let smtp = ["smtp.guess.test", "mail.guess587.test"].map(|h| format!("DNS:{h}"));
    let output = Command::new("bash")
        .arg(support_dir().join("detect-certs.sh"))
        .arg(&certs)
        .arg(format!("web={}", web.join(",")))
        .arg(format!("smtp={}", smtp.join(",")))
        .output()
        .expect("run detect-certs.sh (needs openssl: see tests/run.sh)");
    assert!(
        output.status.success(),
        "detect-certs.sh: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::copy(certs.join("ca.crt"), bed.ca_bundle()).expect("bundle");
}

/// dnsmasq's configuration: every name the bed knows, NXDOMAIN for the rest.
fn dnsmasq_conf(bed: &Bed) -> String {
    let mut conf = String::new();
    let mut a = |name: &str, addr: &str| conf.push_str(&format!("host-record={name},{addr}\n"));
    for host in WEB_HOSTS {
        a(host, &bed.addr(2));
    }
    for (host, last, _, _) in SMTP_SERVERS {
        a(host, &bed.addr(*last));
    }
    for host in DEAD_HOSTS {
        a(host, &bed.addr(9));
    }
    a("localhost", "127.0.0.1");
    conf.push_str(
        "\
# MX: the MX host's base domain is asked (hostedmail.test; example-isp.co.uk)
mx-host=mxcustomer.test,mx1.mail.protection.hostedmail.test,10
mx-host=ukcustomer.test,mx.mail.example-isp.co.uk,10
# Microsoft 365's MX names: the built-in file that lists mail.protection.outlook.com
mx-host=m365customer.test,m365customer-test.mail.protection.outlook.com,10
# SRV (RFC 6186/8314): implicit TLS and STARTTLS; srvdot.test has no implicit TLS (target .)
srv-host=_submission._tcp.srv.test,submit.srv.test,587,0,1
srv-host=_submissions._tcp.srv.test,submit.srv.test,465,0,1
srv-host=_submissions._tcp.srvdot.test
srv-host=_submission._tcp.srvdot.test,mail.srvdot.test,587,0,1
srv-host=_submissions._tcp.slow.test,smtp.slow.test,465,0,1
# no upstream: every other name is NXDOMAIN, at once
local=/#/
log-queries
",
    );
    for i in (0..30).rev() {
        let target = BIG_SRV_BEST.replace("relay-00", &format!("relay-{i:02}"));
        conf.push_str(&format!(
            "srv-host=_submission._tcp.bigsrv.test,{target},587,{i},1\n"
        ));
    }
    conf.push_str(&format!(
        "log-facility={}\n",
        bed.dir.join("logs/dns.log").display()
    ));
    conf
}

// The servers live as long as the test binary; its exit watcher stops them by pid.
#[allow(clippy::zombie_processes)]
fn start_dnsmasq(bed: &Bed) -> u32 {
    let conf = bed.dir.join("dnsmasq.conf");
    let err = bed.dir.join("logs/dnsmasq.err");
    std::fs::write(&conf, dnsmasq_conf(bed)).expect("write dnsmasq.conf");
    let mut child = Command::new("dnsmasq")
        .args([
            "--no-daemon",
            "--no-resolv",
            "--no-hosts",
            "--user=root",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
        ])
        .arg(format!("--port={}", bed.dns_port))
        .arg(format!("--conf-file={}", conf.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).expect("dnsmasq.err"))
        .spawn()
        .expect("start dnsmasq (Debian package dnsmasq-base: see tests/run.sh)");
    // Ready when it answers on TCP (it opens UDP and TCP together).
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", bed.dns_port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let err = std::fs::read_to_string(&err).unwrap_or_default();
            panic!("dnsmasq exited ({status}): {err}");
        }
        assert!(Instant::now() < deadline, "dnsmasq did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.id()
}

/// Starts `tests/support/SCRIPT ARGS`; [`ready`] waits for its `READY` line.
// The servers live as long as the test binary; its exit watcher stops them by pid.
#[allow(clippy::zombie_processes)]
fn start_script(script: &str, args: &[String]) -> Started {
    let mut child = Command::new("python3")
        .arg(support_dir().join(script))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start {script}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    Started {
        what: format!("{script} {args:?}"),
        pid: child.id(),
        stdout,
    }
}

struct Started {
    what: String,
    pid: u32,
    stdout: std::process::ChildStdout,
}

/// Waits for a started script's `READY` line.
fn ready(started: Started) {
    let mut line = String::new();
    BufReader::new(started.stdout)
        .read_line(&mut line)
        .expect("READY line");
    assert!(
        line.starts_with("READY"),
        "{} did not start: {line:?}",
        started.what
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy file");
        }
    }
}

/// Runs `detect-probe.py ARGS` (the bed checked without Mailroom): success and output.
pub fn probe(args: &[&str]) -> (bool, String) {
    let output = Command::new("python3")
        .arg(support_dir().join("detect-probe.py"))
        .args(args)
        .output()
        .expect("run detect-probe.py");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}
