//! A network namespace joined to the host by a veth pair, so a test can cut a process (a
//! relay, a team member's catalogue) off the network (its packets dropped on the floor, no reset, like a pulled cable or a partition)
//! and join it again. Needs CAP_NET_ADMIN, as the suite has (it runs as root to install and
//! run PostgreSQL); without it the test fails and says so rather than passing unchecked.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A namespace and its cable; dropped, both are removed.
pub struct Namespace {
    /// Its name, for `ip netns exec`.
    pub name: String,
    host_if: String,
    /// The host's end (where a server on the host is reached from inside).
    pub host_address: String,
    /// The namespace's end.
    pub inside_address: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("ip (iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {} (network namespaces need root and CAP_NET_ADMIN)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Namespace {
    /// Makes a namespace joined to the host (root and CAP_NET_ADMIN needed).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Namespace {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let name = format!("tfns{pid}-{n}");
        let host_if = format!("tfh{}x{n}", pid % 100_000);
        let inside_if = format!("tfi{}x{n}", pid % 100_000);
        let net = format!("10.{}.{}", 100 + pid % 100, (pid / 100 + n) % 250);
        let (host_address, inside_address) = (format!("{net}.1"), format!("{net}.2"));
        ip(&["netns", "add", &name]);
        let namespace = Namespace {
            name,
            host_if,
            host_address,
            inside_address,
        };
        ip(&[
            "link",
            "add",
            &namespace.host_if,
            "type",
            "veth",
            "peer",
            "name",
            &inside_if,
        ]);
        ip(&["link", "set", &inside_if, "netns", &namespace.name]);
        ip(&[
            "addr",
            "add",
            &format!("{}/24", namespace.host_address),
            "dev",
            &namespace.host_if,
        ]);
        ip(&["link", "set", &namespace.host_if, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &namespace.name, "ip"];
            all.extend_from_slice(args);
            ip(&all);
        };
        inside(&[
            "addr",
            "add",
            &format!("{}/24", namespace.inside_address),
            "dev",
            &inside_if,
        ]);
        inside(&["link", "set", &inside_if, "up"]);
        inside(&["link", "set", "lo", "up"]);
        namespace
    }

    /// `program` run inside the namespace (`ip netns exec` execs it: the child's pid is the
    /// program's own, so signals reach it).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// Cuts the cable: the host's end goes down, so whatever the namespace sends is dropped
    /// without a word, and the host has no route to it.
    pub fn cut(&self) {
        ip(&["link", "set", &self.host_if, "down"]);
    }

    /// Plugs it back in.
    pub fn join(&self) {
        ip(&["link", "set", &self.host_if, "up"]);
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
