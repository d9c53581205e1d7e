//! An endpoint to probe: `host:port` as given (an IPv4 address, `[IPv6]`, or a name), and
//! its resolution to one socket address, `--resolve NAME=ADDR` first (as curl's, since lab
//! names often resolve nowhere), then the system resolver on a thread of its own so that a
//! resolver that never answers costs the timeout and no more.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use super::{Finding, Placement, Severity};

/// One endpoint to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP address, without brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Where a topology places it.
    pub placement: Option<Placement>,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Target {
    /// Parses `host:port`, `[v6]:port` or `v4:port`.
    ///
    /// # Errors
    /// A sentence saying what is wrong with `text`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shown = crate::limits::quoted(text);
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, port) = rest
                .split_once("]:")
                .ok_or_else(|| format!("`{shown}` is not [IPv6]:PORT"))?;
            host.parse::<std::net::Ipv6Addr>()
                .map_err(|_| format!("`{shown}`: `{host}` is not an IPv6 address"))?;
            (host, port)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or_else(|| {
                format!("`{shown}` is not HOST:PORT (e.g. ts-a.lab.example:3001)")
            })?;
            if host.contains(':') {
                return Err(format!(
                    "`{shown}`: write an IPv6 address in brackets, e.g. [::1]:3001"
                ));
            }
            (host, port)
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c))
        {
            return Err(format!("`{shown}`: `{host}` is not a host name or address"));
        }
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("`{shown}`: the port must be a number from 1 to 65535"))?;
        Ok(Self {
            host: host.to_string(),
            port,
            placement: None,
        })
    }

    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// The names the certificate must carry: `--sni` when given, else the topology's host
    /// name, else the host as given (a name, or the IP address dialled).
    pub fn expected_names(&self, sni: Option<&str>) -> Vec<String> {
        let name = sni
            .map(str::to_string)
            .or_else(|| self.placement.as_ref().map(|p| p.host_name.clone()))
            .unwrap_or_else(|| self.host.clone());
        vec![name]
    }

    /// The name sent as SNI: `--sni`, else the topology's host name, else the host when it is
    /// a name (an address is sent as no SNI, as every client does).
    pub fn sni<'a>(&'a self, sni: Option<&'a str>) -> &'a str {
        sni.or_else(|| self.placement.as_ref().map(|p| p.host_name.as_str()))
            .unwrap_or(&self.host)
    }
}

/// `--resolve NAME=ADDR` entries: a name (a topology host's name or key, or any host given)
/// to the address to connect to instead of asking the resolver.
#[derive(Clone, Debug, Default)]
pub struct Resolve {
    map: BTreeMap<String, IpAddr>,
}

impl Resolve {
    /// Parses `NAME=ADDR` entries.
    ///
    /// # Errors
    /// A sentence naming the entry that is not `NAME=ADDR` with an IP address.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        for e in entries {
            let shown = crate::limits::quoted(e);
            let (name, addr) = e
                .split_once('=')
                .ok_or_else(|| format!("--resolve `{shown}` is not NAME=ADDR"))?;
            let addr = addr
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map_err(|_| format!("--resolve `{shown}`: `{addr}` is not an IP address"))?;
            if name.is_empty() {
                return Err(format!("--resolve `{shown}` names no host"));
            }
            map.insert(name.to_ascii_lowercase(), addr);
        }
        Ok(Self { map })
    }

    /// Lets `name` resolve as `key` does, when only `key` is given (a topology host's key
    /// written where its name is meant).
    pub fn alias(&mut self, name: &str, key: &str) {
        let name = name.to_ascii_lowercase();
        if let Some(addr) = self.lookup(key).filter(|_| !self.map.contains_key(&name)) {
            self.map.insert(name, addr);
        }
    }

    /// The address `--resolve` gives a name, if any.
    pub fn lookup(&self, name: &str) -> Option<IpAddr> {
        self.map.get(&name.to_ascii_lowercase()).copied()
    }

    /// The socket address to connect to for `target`, within `timeout`.
    ///
    /// # Errors
    /// A `resolve-failed` or `resolve-timeout` finding for the endpoint.
    pub fn address(&self, target: &Target, timeout: Duration) -> Result<SocketAddr, Finding> {
        if let Some(ip) = target.ip().or_else(|| self.lookup(&target.host)) {
            return Ok(SocketAddr::new(ip, target.port));
        }
        let (tx, rx) = mpsc::channel();
        let query = (target.host.clone(), target.port);
        // The resolver cannot be cancelled: a thread that never answers is left behind, and
        // the probe goes on without it.
        std::thread::spawn(move || {
            let _ = tx.send(query.to_socket_addrs().map(|mut a| a.next()));
        });
        match rx.recv_timeout(timeout) {
            Ok(Ok(Some(addr))) => Ok(addr),
            Ok(Ok(None)) => Err(Finding::new(
                "resolve-failed",
                Severity::High,
                format!("`{}` resolves to no address", target.host),
            )),
            Ok(Err(e)) => Err(Finding::new(
                "resolve-failed",
                Severity::High,
                format!(
                    "`{}` does not resolve ({e}); give its address with --resolve {}=ADDR",
                    target.host, target.host
                ),
            )),
            Err(_) => Err(Finding::new(
                "resolve-timeout",
                Severity::High,
                format!(
                    "resolving `{}` took longer than {} s; give its address with --resolve {}=ADDR",
                    target.host,
                    timeout.as_secs_f64(),
                    target.host
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_in_their_three_forms() {
        let t = Target::parse("ts-a.lab.example:3001").expect("name");
        assert_eq!((t.host.as_str(), t.port), ("ts-a.lab.example", 3001));
        let t = Target::parse("127.0.0.1:443").expect("v4");
        assert_eq!(t.ip(), Some(IpAddr::from([127, 0, 0, 1])));
        let t = Target::parse("[::1]:8443").expect("v6");
        assert_eq!(t.to_string(), "[::1]:8443");
        for bad in [
            "ts-a",
            "ts-a:0",
            "ts-a:70000",
            "::1:443",
            "[::1]443",
            ":443",
            "a b:1",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolve_entries_map_names_to_addresses() {
        let r = Resolve::parse(&["TS-A.lab.example=127.0.1.2".into()]).expect("parses");
        assert_eq!(
            r.lookup("ts-a.lab.example"),
            Some(IpAddr::from([127, 0, 1, 2]))
        );
        assert!(Resolve::parse(&["ts-a".into()]).is_err());
        assert!(Resolve::parse(&["ts-a=not-an-ip".into()]).is_err());
        let t = Target::parse("ts-a.lab.example:3001").expect("parses");
        let addr = r.address(&t, Duration::from_secs(1)).expect("mapped");
        assert_eq!(addr.to_string(), "127.0.1.2:3001");
    }
}
