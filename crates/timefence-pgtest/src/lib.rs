//! # timefence-pgtest: throwaway PostgreSQL clusters for tests
//!
//! A cluster from Debian's `postgresql` package: initdb in a temporary folder, pg_ctl on a
//! free port, stopped (immediately) when dropped. Run as the `postgres` user when the tests run
//! as root, since PostgreSQL refuses to run as root. The relay's and the team catalogue's
//! tests start real servers with it; nothing is mocked.
#![deny(missing_docs)]

pub mod netns;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A CA and a certificate it signed for `localhost` and 127.0.0.1, made with OpenSSL:
/// (CA PEM, server chain PEM, server key PEM).
pub fn certificates(dir: &Path, name: &str) -> (String, String, String) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ca_key = format!("{name}-ca.key");
    let ca = format!("{name}-ca.pem");
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &ca_key,
        "-out",
        &ca,
        "-days",
        "2",
        "-subj",
        &format!("/CN={name} test CA"),
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    (read(&ca), read("server.pem"), read("server.key"))
}

/// A running cluster; its superuser is `relay`, and local connections are trusted.
pub struct Cluster {
    /// The temporary folder holding the data directory, the socket and the log.
    pub dir: tempfile::TempDir,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    bin: PathBuf,
    /// Addresses listened on besides 127.0.0.1 (trusted from their /24).
    also: Option<String>,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: scripts/setup installs Debian's postgresql package")
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    // SAFETY-free: `id -u` rather than libc.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// A plain cluster on 127.0.0.1.
    pub fn start() -> Cluster {
        Cluster::start_with(None, None)
    }

    /// A cluster that also speaks TLS, with this certificate chain and key (PEM).
    pub fn start_with_tls(tls: Option<(&str, &str)>) -> Cluster {
        Cluster::start_with(tls, None)
    }

    /// A cluster that also listens on `address` (IPv4) and trusts its /24.
    pub fn start_listening_also(address: &str) -> Cluster {
        Cluster::start_with(None, Some(address))
    }

    fn start_with(tls: Option<(&str, &str)>, also: Option<&str>) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("relay-pg")
            .tempdir()
            .unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let cluster = Cluster {
            dir,
            port: free_port(),
            bin: bin_dir(),
            also: also.map(str::to_string),
        };
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args(["-U", "relay", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(address) = also {
            let net = address.rsplit_once('.').map_or(address, |(net, _)| net);
            let hba = cluster.data().join("pg_hba.conf");
            let mut text = std::fs::read_to_string(&hba).unwrap();
            text.push_str(&format!("host all all {net}.0/24 trust\n"));
            std::fs::write(&hba, text).unwrap();
        }
        if let Some((cert, key)) = tls {
            let data = cluster.data();
            std::fs::write(data.join("server.crt"), cert).unwrap();
            std::fs::write(data.join("server.key"), key).unwrap();
            if is_root() {
                for file in ["server.crt", "server.key"] {
                    let status = Command::new("chown")
                        .arg("postgres:postgres")
                        .arg(data.join(file))
                        .status()
                        .unwrap();
                    assert!(status.success());
                }
            }
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                data.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
            let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
            conf.push_str(
                "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
            );
            std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        }
        cluster.pg_ctl("start");
        cluster
    }

    /// The cluster's data folder (postmaster.pid, the configuration).
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl(&self, action: &str) {
        let listen = match &self.also {
            Some(address) => format!("'127.0.0.1,{address}'"),
            None => "127.0.0.1".to_string(),
        };
        let options = format!(
            "-p {} -k {} -c listen_addresses={listen} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let mut c = self.command("pg_ctl");
        c.arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "60", "-m", "fast"]);
        if action != "stop" {
            c.args(["-o", &options]);
        }
        let out = c.arg(action).output().unwrap();
        assert!(
            out.status.success(),
            "pg_ctl {action}: {} {}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// Stops the server (fast shutdown: open transactions are rolled back, clients are cut).
    pub fn stop(&self) {
        self.pg_ctl("stop");
    }

    /// Starts the server again after [`Cluster::stop`].
    pub fn start_again(&self) {
        self.pg_ctl("start");
    }

    /// Restarts the server (fast shutdown: open transactions are rolled back).
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }

    /// The superuser's URL, database `postgres`.
    pub fn url(&self) -> String {
        self.url_as("relay", "postgres")
    }

    /// The URL of `user` on `database` (local connections are trusted: no password).
    pub fn url_as(&self, user: &str, database: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{database}", self.port)
    }

    /// Rows of a query as the superuser, tab-separated, NULL as an empty string.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        self.query_on("postgres", sql)
    }

    /// As [`Cluster::query`], on another database.
    pub fn query_on(&self, database: &str, sql: &str) -> Vec<Vec<String>> {
        let url = self.url_as("relay", database);
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-A", "-t", "-F", "\t", "-d", &url, "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect()
    }

    /// The cluster's folder (data, socket, log).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
