//! A throwaway PostgreSQL cluster from Debian's `postgresql` package: initdb in a temporary
//! folder, pg_ctl on a free port, stopped (immediately) when dropped. Run as the `postgres`
//! user when the tests run as root, since PostgreSQL refuses to run as root.

use super::free_port;
use super::history::Ev;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    pub dir: tempfile::TempDir,
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

    pub fn start() -> Cluster {
        Cluster::start_with(None, None)
    }

    /// A cluster that also speaks TLS, with this certificate chain and key (PEM).
    pub fn start_with_tls(tls: Option<(&str, &str)>) -> Cluster {
        Cluster::start_with(tls, None)
    }

    /// A cluster that also listens on `address` (IPv4) and trusts its /24.
    #[allow(dead_code)]
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

    fn data(&self) -> PathBuf {
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

    /// Restarts the server (fast shutdown: open transactions are rolled back).
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }

    pub fn url(&self) -> String {
        format!("postgres://relay@127.0.0.1:{}/postgres", self.port)
    }

    /// Rows of a query, tab-separated, NULL as an empty string.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-A", "-t", "-F", "\t", "-d", &self.url(), "-c", sql])
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

    pub fn events(&self) -> Vec<Ev> {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        self.query("SELECT id, at, license, lease, holder, kind, reason, charged_from, charged_to, occurrence FROM relay_events ORDER BY id")
            .into_iter()
            .map(|r| Ev {
                id: r[0].parse().unwrap(),
                at: r[1].parse().unwrap(),
                license: r[2].clone(),
                lease: opt(&r[3]),
                holder: opt(&r[4]),
                kind: r[5].clone(),
                reason: opt(&r[6]),
                from: r[7].parse().unwrap(),
                to: r[8].parse().unwrap(),
                occurrence: opt(&r[9]),
            })
            .collect()
    }

    pub fn totals(&self) -> BTreeMap<(String, String), i64> {
        self.query("SELECT license, occurrence, charged_ms FROM relay_occurrences")
            .into_iter()
            .map(|r| ((r[0].clone(), r[1].clone()), r[2].parse().unwrap()))
            .collect()
    }

    #[allow(dead_code)]
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
