//! The peer directory of `hapair node`: hosts run in separate processes find each other
//! through files in a shared folder. Each process writes `HOST.addr` for the host it runs
//! (written to a temporary file and renamed, so a reader never sees half a file) every time it
//! binds a listener, and a dial to a host of another process reads that host's file again on
//! every attempt (so processes may start in any order, and a restarted process's new ports
//! are found). An accepting node names its peer by the source address, looked up in the
//! files when the fabric's own table does not know it.
//!
//! The file, one entry a line:
//!
//! ```text
//! ip 127.0.1.1
//! port 3000 127.0.1.1:3000
//! port 4999 127.0.1.1:40123
//! ```
//!
//! `port` maps a topology port (the LCA's included) to the real address listened on.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The folder and the host this process publishes.
#[derive(Clone, Debug)]
pub struct Directory {
    /// The shared folder.
    pub dir: PathBuf,
    /// The host (FQDN) this process runs.
    pub host: String,
}

/// The file of `host` in `dir`.
pub fn file(dir: &Path, host: &str) -> PathBuf {
    dir.join(format!("{host}.addr"))
}

/// A host's published entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// The host's address.
    pub ip: Option<IpAddr>,
    /// Topology port → real address.
    pub ports: BTreeMap<u16, SocketAddr>,
}

/// Parses a `HOST.addr` file (lines it does not understand are skipped).
pub fn parse(text: &str) -> Entry {
    let mut entry = Entry::default();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ip", ip] => entry.ip = ip.parse().ok(),
            ["port", port, addr] => {
                if let (Ok(p), Ok(a)) = (port.parse(), addr.parse()) {
                    entry.ports.insert(p, a);
                }
            }
            _ => {}
        }
    }
    entry
}

/// Writes `host`'s entry atomically (a temporary file renamed over the old one).
///
/// # Errors
/// An [`std::io::Error`] when the folder cannot be written.
pub fn publish(
    dir: &Path,
    host: &str,
    ip: IpAddr,
    ports: &BTreeMap<u16, SocketAddr>,
) -> std::io::Result<()> {
    let mut text = format!("ip {ip}\n");
    for (port, addr) in ports {
        text.push_str(&format!("port {port} {addr}\n"));
    }
    let tmp = dir.join(format!(".{host}.addr.{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, file(dir, host))
}

/// Where `host` listens for the topology port `port`, read from its file now.
pub fn lookup(dir: &Path, host: &str, port: u16) -> Option<SocketAddr> {
    let text = std::fs::read_to_string(file(dir, host)).ok()?;
    parse(&text).ports.get(&port).copied()
}

/// The host whose file says it has address `ip`.
pub fn host_of(dir: &Path, ip: IpAddr) -> Option<String> {
    let entries = std::fs::read_dir(dir).ok()?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(host) = name.strip_suffix(".addr") else {
            continue;
        };
        if host.starts_with('.') {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        if parse(&text).ip == Some(ip) {
            return Some(host.to_string());
        }
    }
    None
}

impl super::Fabric {
    /// Hosts this process does not run are found through `directory` (`hapair node`); the
    /// host it runs publishes its listeners there, at address `ip` when given.
    pub fn use_directory(&self, directory: Directory, ip: Option<IpAddr>) {
        if let Some(ip) = ip
            && let Some(h) = self
                .hosts
                .borrow_mut()
                .iter_mut()
                .find(|h| h.name == directory.host)
        {
            h.ip = ip;
        }
        *self.peers.borrow_mut() = Some(directory);
    }

    /// The address of the host `name`.
    pub fn ip_of(&self, name: &str) -> Option<IpAddr> {
        self.hosts
            .borrow()
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.ip)
    }

    /// Writes the published host's file again (after a bind).
    pub(super) fn publish(&self, host: &str) {
        let Some(d) = self.peers.borrow().clone().filter(|d| d.host == host) else {
            return;
        };
        let Some(ip) = self.ip_of(host) else { return };
        let ports = self
            .ports
            .borrow()
            .iter()
            .filter(|((h, _), _)| h == host)
            .map(|((_, p), a)| (*p, *a))
            .collect();
        if let Err(e) = publish(&d.dir, host, ip, &ports) {
            tracing::warn!("cannot write {}: {e}", file(&d.dir, host).display());
        }
    }

    /// Where `host` listens for `port`: in this process, or in the peer directory.
    pub(super) fn target(&self, host: &str, port: u16) -> Option<SocketAddr> {
        if let Some(a) = self.ports.borrow().get(&(host.to_string(), port)) {
            return Some(*a);
        }
        let d = self.peers.borrow().clone()?;
        lookup(&d.dir, host, port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_as_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ip: IpAddr = "127.0.1.3".parse().expect("ip");
        let ports = BTreeMap::from([
            (3000, "127.0.1.3:3000".parse().expect("addr")),
            (4999, "127.0.1.3:41000".parse().expect("addr")),
        ]);
        publish(dir.path(), "ts-a.lab", ip, &ports).expect("publish");
        assert_eq!(
            lookup(dir.path(), "ts-a.lab", 4999),
            ports.get(&4999).copied()
        );
        assert_eq!(lookup(dir.path(), "ts-a.lab", 1), None);
        assert_eq!(lookup(dir.path(), "other", 3000), None);
        assert_eq!(host_of(dir.path(), ip).as_deref(), Some("ts-a.lab"));
        assert_eq!(host_of(dir.path(), "127.0.1.9".parse().expect("ip")), None);
    }
}
