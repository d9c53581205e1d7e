//! The catalogue of rules: stable IDs (never reused), severities, and the text `hapair rules`
//! and `hapair explain` print. Judging lives in the rule-family files, not here.

use serde::Serialize;

use super::Severity;

/// What a rule needs to be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Judged {
    /// The topology alone.
    Topology,
    /// The content of the certificates (generated or the user's own).
    Certificates,
}

/// One rule of the catalogue.
#[derive(Debug, Serialize)]
pub struct RuleInfo {
    /// Stable ID.
    pub id: RuleId,
    /// Default severity.
    pub severity: Severity,
    /// Whether some findings of this rule are of the other severity.
    pub mixed: bool,
    /// What it needs to be judged.
    pub judged: Judged,
    /// One line.
    pub title: &'static str,
    /// Why it exists.
    pub why: &'static str,
    /// One sentence on how to fix a finding.
    pub fix: &'static str,
    /// A minimal topology fragment that breaks it.
    pub bad: &'static str,
    /// The same fragment, fixed.
    pub good: &'static str,
    /// What a run shows when the rule is broken (`hapair explain`): the consequence the rule
    /// prevents, for the rules whose breach a simulated run makes visible (the ICON rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_run_time: Option<&'static str>,
}

/// The rule with this ID (case-insensitive).
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RuleId::parse(id).map(RuleId::info)
}

impl RuleId {
    /// The rule with this ID (case-insensitive).
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL
            .iter()
            .copied()
            .find(|r| r.as_str().eq_ignore_ascii_case(id))
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, not `write_str`: `hapair rules` aligns IDs with `{:<24}`.
        f.pad(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Ord for RuleId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A rule ID compares equal to its text, exactly (`f.rule == "HA-SYNC-PORT-CERT"`).
impl<T: AsRef<str> + ?Sized> PartialEq<T> for RuleId {
    fn eq(&self, other: &T) -> bool {
        self.as_str() == other.as_ref()
    }
}

use Judged::{Certificates as C, Topology as T};
use Severity::{Error as E, Warning as W};

macro_rules! rules {
    ($( $variant:ident $id:literal $sev:ident $mixed:literal $judged:ident
        title: $title:literal why: $why:literal fix: $fix:literal
        $(run: $run:literal)? bad: $bad:literal good: $good:literal )*) => {
        /// A rule of the catalogue. Shown, serialised and compared as its stable ID
        /// (`HA-SYNC-PORT-CERT`), and ordered by it, so that output reads as the IDs do.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RuleId {
            $(#[doc = $id] $variant,)*
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &[RuleId] = &[$(RuleId::$variant),*];

            /// The stable ID.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)*
                }
            }
        }

        impl RuleId {
            /// Its entry in the catalogue.
            pub fn info(self) -> &'static RuleInfo {
                match self {
                    $(RuleId::$variant => {
                        const INFO: RuleInfo = RuleId::$variant.entry();
                        &INFO
                    })*
                }
            }

            /// Its entry, by value (for the constants above and [`RULES`]).
            const fn entry(self) -> RuleInfo {
                match self {
                    $(RuleId::$variant => RuleInfo {
                        id: RuleId::$variant, severity: $sev, mixed: $mixed, judged: $judged,
                        title: $title, why: $why, fix: $fix, bad: $bad, good: $good,
                        at_run_time: rules!(@run $($run)?),
                    },)*
                }
            }
        }

        /// Every rule, in catalogue order (that of [`RuleId::ALL`]).
        pub static RULES: &[RuleInfo] = &[$(RuleId::$variant.entry()),*];
    };
    (@run $run:literal) => { Some($run) };
    (@run) => { None };
}

rules! {
HaSyncPortCert "HA-SYNC-PORT-CERT" E false T
title: "a port-level certificate on an HA-sync port is unsupported"
why: "Genesys documents that the secure HA link must be configured at host or application level; a certificate assigned to the HA-sync port itself is not supported and the link does not come up as configured."
fix: "move the certificate (and key, trusted CA) from the HA-sync port to the application or host"
bad: "[app.ts_primary.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true\nsecurity = { certificate = \"ts-a\" }"
good: "[app.ts_primary]\nsecurity = { certificate = \"ts-a\", trusted-ca = \"lab-ca\" }\n\n[app.ts_primary.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true"

HaPortIdModeMatch "HA-PORT-ID-MODE-MATCH" E false T
title: "hot standby: ports match pairwise by ID and listening mode"
why: "In a hot-standby pair clients hold sessions to both servers by port ID; a port missing on one side, or secured on one side and not the other, breaks or silently downgrades those sessions."
fix: "give primary and backup the same port IDs with the same listening modes"
bad: "[app.ts_primary.port.secure]\nnumber = 3001\nmode = \"secured\"\n\n[app.ts_backup.port.secure]\nnumber = 3001\nmode = \"unsecured\""
good: "[app.ts_primary.port.secure]\nnumber = 3001\nmode = \"secured\"\n\n[app.ts_backup.port.secure]\nnumber = 3001\nmode = \"secured\""

HaSyncPortSecured "HA-SYNC-PORT-SECURED" E false T
title: "secure HA link: same port ID on both, `secured`, HA sync on both"
why: "The backup dials the primary's HA-sync port and, after a switchover, the former primary dials the new primary's; a secure link needs a port of the same ID, in `secured` mode, flagged HA sync on both servers."
fix: "declare the HA-sync port with the same ID, mode = \"secured\" and ha-sync = true on both servers"
bad: "[app.ts_primary.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true\n\n[app.ts_backup.port.ha]\nnumber = 3002\nmode = \"secured\""
good: "[app.ts_primary.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true\n\n[app.ts_backup.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true"

HaSyncFallback "HA-SYNC-FALLBACK" W false T
title: "no HA-sync port: the former primary will dial `default`"
why: "Without a port flagged HA sync the backup-role instance dials the `default` port; whether that link is encrypted then depends on the `default` port's mode, which is easy to overlook. A Configuration Server backup looks for an HA-sync port only with `[system] consistent-port-selection = true`."
fix: "add a secured port flagged ha-sync = true on both servers, or accept the link on `default`"
bad: "[app.ts_primary.port.default]\nnumber = 3000\nmode = \"unsecured\""
good: "[app.ts_primary.port.default]\nnumber = 3000\nmode = \"unsecured\"\n\n[app.ts_primary.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true"

HaCertBackupDiffhost "HA-CERT-BACKUP-DIFFHOST" E false C
title: "backup on another host carries the primary's copied certificate"
why: "A certificate set on the primary's connection level is copied to the backup's application object automatically; when the backup runs on another host the copy names the wrong host and fails name checks or mutual TLS after a switchover."
fix: "set the backup's own certificate (one that names its host) on the backup application"
bad: "[[connection]]\nfrom = \"ts_primary\"\nto = \"cs\"\nsecurity = { certificate = \"ts-a\" }\n\n[app.ts_backup]\nhost = \"ts-b\"     # no certificate: it gets the copy of ts-a"
good: "[app.ts_backup]\nhost = \"ts-b\"\nsecurity = { certificate = \"ts-b\" }"

HaCsAutoupgrade "HA-CS-AUTOUPGRADE" E false T
title: "Configuration Server pair: both `default` ports must be `upgrade` for a secure link"
why: "The Configuration Server HA link is secured only when both servers' `default` ports are in upgrade (auto-detect) mode; a `secured` default port makes the backup fail to connect, an unsecured one leaves the link in plain text. (With `[system] consistent-port-selection = true` and an HA-sync port on both servers the HA link uses that port instead, and the rule does not apply.)"
fix: "set mode = \"upgrade\" on the `default` port of both Configuration Servers"
bad: "[app.cs_primary.port.default]\nnumber = 2020\nmode = \"secured\""
good: "[app.cs_primary.port.default]\nnumber = 2020\nmode = \"upgrade\""

HaCsIdentical "HA-CS-IDENTICAL" E false T
title: "Configuration Server pair: options identical except log options"
why: "The secure Configuration Server HA link requires both servers' configurations to be identical; only log options may differ."
fix: "make the backup's options the same as the primary's (log sections aside)"
bad: "[app.cs_primary.options.confserv]\nmax-records = \"1000\"\n\n[app.cs_backup.options.confserv]\nmax-records = \"500\""
good: "[app.cs_primary.options.confserv]\nmax-records = \"1000\"\n\n[app.cs_backup.options.confserv]\nmax-records = \"1000\""

HaCsWarmOnly "HA-CS-WARM-ONLY" E false T
title: "Configuration Server pair: redundancy must be warm standby"
why: "Configuration Server supports warm standby only; a hot-standby pair is not a supported configuration."
fix: "set redundancy = \"warm-standby\" on the Configuration Server pair"
bad: "[app.cs_primary]\ntype = \"config-server\"\nbackup = \"cs_backup\"\nredundancy = \"hot-standby\""
good: "[app.cs_primary]\ntype = \"config-server\"\nbackup = \"cs_backup\"\nredundancy = \"warm-standby\""

HaBackupSameType "HA-BACKUP-SAME-TYPE" E false T
title: "backup has the primary's type; one backup per primary"
why: "A backup takes over the primary's role, so it must be an application of the same type, and it can stand in for one primary only."
fix: "name a backup of the same type that no other primary uses"
bad: "[app.ts_primary]\ntype = \"tserver\"\nbackup = \"ts_backup\"\n\n[app.ts_backup]\ntype = \"sip-server\""
good: "[app.ts_primary]\ntype = \"tserver\"\nbackup = \"ts_backup\"\n\n[app.ts_backup]\ntype = \"tserver\""

HaSeparateHosts "HA-SEPARATE-HOSTS" W false T
title: "primary and backup on one host share its fate"
why: "A host failure takes down both instances of a pair that run on it, so the pair protects against process failures only."
fix: "run the backup on another host"
bad: "[app.ts_primary]\nhost = \"ts-a\"\n\n[app.ts_backup]\nhost = \"ts-a\""
good: "[app.ts_primary]\nhost = \"ts-a\"\n\n[app.ts_backup]\nhost = \"ts-b\""

ClientBackupPortId "CLIENT-BACKUP-PORT-ID" E false T
title: "a client's port ID must exist on the backup too"
why: "After a switchover clients reach the backup on its port with the same ID as their connection uses; if the backup has no such port the client cannot follow."
fix: "declare the port ID the client uses on the backup as well"
bad: "[[connection]]\nfrom = \"desk\"\nto = \"ts_primary\"\nport = \"secure\"    # ts_backup has no port `secure`"
good: "[app.ts_backup.port.secure]\nnumber = 3001\nmode = \"secured\""

TlsFlagPortOnly "TLS-FLAG-PORT-ONLY" E false T
title: "`tls=1` as a listening setting only works at port level"
why: "Setting `tls=1` on a host or application object does not make any port listen with TLS; only a port's transport parameters do."
fix: "remove `tls` from the host/application and set mode = \"secured\" (or transport = \"tls=1\") on the port"
bad: "[app.ts_primary]\nsecurity = { tls = 1, certificate = \"ts-a\" }"
good: "[app.ts_primary]\nsecurity = { certificate = \"ts-a\" }\n\n[app.ts_primary.port.secure]\nnumber = 3001\ntransport = \"tls=1\""

TlsServerCert "TLS-SERVER-CERT" E false T
title: "a secured port needs a certificate (and key, trusted CA) from some level"
why: "A port in secured or upgrade mode must present a certificate; with none at port, application or host level every TLS handshake fails."
fix: "set a certificate at the application or host level (or on the port, unless it is HA sync)"
bad: "[app.ts_primary.port.secure]\nnumber = 3001\nmode = \"secured\"     # and no certificate anywhere"
good: "[app.ts_primary]\nsecurity = { certificate = \"ts-a\", trusted-ca = \"lab-ca\" }"

TlsClientFollowsPort "TLS-CLIENT-FOLLOWS-PORT" E false T
title: "a connection is secure exactly when its target port is secured"
why: "A client turns TLS on or off from the mode of the port it dials; TLS settings on a connection to an unsecured port are ignored and the session runs in plain text, `tls=0` against a secured port fails, and `tls=1` against an upgrade (auto-detect) port fails too: that port expects the plain protocol first and a switch to TLS on the same socket, not a TLS handshake from the first byte."
fix: "point the connection at a port of the mode you want and drop a `tls=1`/`tls=0` or TLS settings that contradict it"
bad: "[[connection]]\nfrom = \"desk\"\nto = \"ts_primary\"\nport = \"default\"     # unsecured\nsecurity = { tls-target-name-check = \"host\" }"
good: "[[connection]]\nfrom = \"desk\"\nto = \"ts_primary\"\nport = \"secure\"      # secured\nsecurity = { tls-target-name-check = \"host\" }"

TlsCertgroupOneLevel "TLS-CERTGROUP-ONE-LEVEL" W false T
title: "a partial certificate group at one level hides the rest (group resolution)"
why: "The PSDK takes `certificate`, `certificate-key` and `trusted-ca` together from the first level that has any of them; a level with only part of the group hides the rest set at a lower level, where per-parameter resolution would have found it."
fix: "write the whole group (certificate and trusted-ca) at one level"
bad: "[host.ts-a]\nsecurity = { trusted-ca = \"lab-ca\" }\n\n[app.ts_primary]\nsecurity = { certificate = \"ts-a\" }"
good: "[app.ts_primary]\nsecurity = { certificate = \"ts-a\", trusted-ca = \"lab-ca\" }"

TlsUpgradeCsOnly "TLS-UPGRADE-CS-ONLY" E false T
title: "upgrade mode is for the Configuration Server protocol only"
why: "Only the Configuration Server protocol can switch a plain session to TLS; any other server on an upgrade port leaves its clients unable to start TLS."
fix: "use mode = \"secured\" on ports of servers other than Configuration Server"
bad: "[app.ts_primary.port.secure]\nnumber = 3001\nmode = \"upgrade\""
good: "[app.ts_primary.port.secure]\nnumber = 3001\nmode = \"secured\""

TlsNameMismatch "TLS-NAME-MISMATCH" E false C
title: "name check on, and the certificate does not name the target host"
why: "With tls-target-name-check = host the client checks the server certificate's SAN/CN against the host it dials (even when it dials by IP); a certificate for another name fails the handshake."
fix: "issue the server certificate for the host name clients dial (or switch the check off knowingly)"
bad: "[pki.cert.ts-b]\nhosts = [\"ts-a.lab.example\"]   # but ts_backup runs on ts-b.lab.example"
good: "[pki.cert.ts-b]\nhosts = [\"ts-b.lab.example\"]"

TlsStrictProto "TLS-STRICT-PROTO" E false T
title: "strict `sec-protocol` values on the two sides have no version in common"
why: "`TLSv12` and `TLSv13` allow exactly one version; a client strict on one and a server strict on the other never complete a handshake."
fix: "use the same strict version on both sides, or leave one side empty (negotiate)"
bad: "[app.ts_primary]\nsecurity = { sec-protocol = \"TLSv13\" }\n\n[app.desk]\nsecurity = { sec-protocol = \"TLSv12\" }"
good: "[app.ts_primary]\nsecurity = { sec-protocol = \"TLSv13\" }\n\n[app.desk]\nsecurity = { sec-protocol = \"TLSv13\" }"

TlsMutualClientCert "TLS-MUTUAL-CLIENT-CERT" E false T
title: "a client of a mutual-TLS port has no certificate to present"
why: "With tls-mutual = 1 the server asks every client for a certificate and refuses the handshake without one; a client with no certificate at connection, application or host level is refused on every attempt, on the primary and after a switchover on the backup."
fix: "give the client a certificate (and trusted-ca) at connection, application or host level, or switch tls-mutual off on the port knowingly"
bad: "[app.ts_primary.port.secure]\nnumber = 3001\ntransport = \"tls=1;tls-mutual=1\"\n\n[app.desk]\ntype = \"client\"\nhost = \"desk-1\"          # no certificate at any level"
good: "[app.ts_primary.port.secure]\nnumber = 3001\ntransport = \"tls=1;tls-mutual=1\"\n\n[app.desk]\ntype = \"client\"\nhost = \"desk-1\"\nsecurity = { certificate = \"desk-1\", trusted-ca = \"lab-ca\" }"

TlsCertValidity "TLS-CERT-VALIDITY" E true C
title: "expired or not yet valid at the scenario's clock; warning inside a horizon"
why: "A certificate outside its validity period fails every handshake; one that expires soon after the clock will fail during the rehearsal or soon after the upgrade."
fix: "renew the certificate so that it is valid at the clock and well beyond it"
bad: "[pki.cert.ts-a]\nissuer = \"lab-ca\"\nhosts = [\"ts-a.lab.example\"]\nprofile = \"expired\""
good: "[pki.cert.ts-a]\nissuer = \"lab-ca\"\nhosts = [\"ts-a.lab.example\"]"

TlsChainTrust "TLS-CHAIN-TRUST" E false C
title: "an endpoint's chain does not verify against the trusted CA of a peer that must verify it"
why: "The chain an endpoint sends must lead to a CA its peer trusts; an intermediate left out, or a certificate from another CA, fails verification."
fix: "send the full chain (send-chain = true) and give the peer the issuing root as trusted-ca"
bad: "[pki.cert.ts-a]\nissuer = \"lab-int\"\nhosts = [\"ts-a.lab.example\"]\nsend-chain = false"
good: "[pki.cert.ts-a]\nissuer = \"lab-int\"\nhosts = [\"ts-a.lab.example\"]"

TlsSameCa "TLS-SAME-CA" W false C
title: "the pair and its clients do not share one CA"
why: "Genesys recommends one CA for a pair and its clients, so that every side can verify every other with one trusted CA."
fix: "issue the pair's and its clients' certificates from one CA"
bad: "[pki.cert.ts-a]\nissuer = \"ca-one\"\n\n[pki.cert.ts-b]\nissuer = \"ca-two\""
good: "[pki.cert.ts-a]\nissuer = \"lab-ca\"\n\n[pki.cert.ts-b]\nissuer = \"lab-ca\""

AddpBothSides "ADDP-BOTH-SIDES" W false T
title: "ADDP on one side only for server-to-server links"
why: "For links between servers ADDP should run in both directions; with one side only, the other cannot tell a dead peer from a quiet one."
fix: "set both the local and the remote ADDP timeout"
bad: "[[connection]]\nfrom = \"icon_a\"\nto = \"ts_primary\"\naddp = { local = \"10s\" }"
good: "[[connection]]\nfrom = \"icon_a\"\nto = \"ts_primary\"\naddp = { local = \"10s\", remote = \"10s\" }"

AddpGe10s "ADDP-GE-10S" W false T
title: "ADDP timeout below 10 s invites false disconnects under delay"
why: "Short ADDP timeouts turn ordinary network or load delays into disconnects and needless switchovers."
fix: "use ADDP timeouts of at least 10 s"
bad: "[app.ts_primary.options.backup-sync]\nprotocol = \"addp\"\naddp-timeout = 5\naddp-remote-timeout = 5"
good: "[app.ts_primary.options.backup-sync]\nprotocol = \"addp\"\naddp-timeout = 10\naddp-remote-timeout = 10"

IconHaIdentical "ICON-HA-IDENTICAL" E false T
title: "the two ICONs of an HA set have different options"
why: "Configuration Server does not synchronise ICON options; the two ICONs of a set must be configured identically by hand or their IDBs diverge."
fix: "copy the options of one ICON to the other (log sections aside)"
run: "at run time the two IDBs diverge: `idb-parity` lists the tables and keys that differ (attached-data or virtual-queue options set on one ICON only leave G_USERDATA_HISTORY or G_VIRTUAL_QUEUE rows in one IDB)"
bad: "[app.icon_a.options.callconcentrator]\nuse-dss-monitor = \"true\"\n\n[app.icon_b.options.callconcentrator]\nuse-dss-monitor = \"false\""
good: "[app.icon_a.options.callconcentrator]\nuse-dss-monitor = \"true\"\n\n[app.icon_b.options.callconcentrator]\nuse-dss-monitor = \"true\""

IconHaRoleData "ICON-HA-ROLE-DATA" E false T
title: "roles of the set differ, or lack what the set is meant to store"
why: "Both ICONs must store the same data (e.g. `gcc` for call data and `gud` for attached data), or downstream ETL finds a gap it cannot fill from the other IDB."
fix: "give both ICONs the same role, including every value the set is meant to store"
run: "at run time one IDB lacks the tables of the role its ICON does not store (a set without `gud`: no G_USERDATA_HISTORY rows): `idb-parity` lists them, `idb-roles` fails for what the set promises, and while the other ICON is down those events are stored nowhere (`idb-complete`)"
bad: "[icon-ha.voice]\nicons = [\"icon_a\", \"icon_b\"]\nstores = [\"gcc\", \"gud\"]\n\n[app.icon_a.options.callconcentrator]\nrole = \"gcc\""
good: "[app.icon_a.options.callconcentrator]\nrole = \"gcc,gud\""

IconHaSameSource "ICON-HA-SAME-SOURCE" E false T
title: "the ICONs connect to different T-Servers / Interaction Servers"
why: "An ICON HA set is two ICONs writing the same data-source events; with different sources the two IDBs hold different data and neither can fill the other's gaps."
fix: "connect both ICONs to the same T-Server (pair) or Interaction Server"
run: "at run time each IDB holds the calls of its own source only: `idb-parity` lists every call of the other, and a gap in one IDB (its ICON crashed) is not covered by the other, so `idb-complete` fails"
bad: "[[connection]]\nfrom = \"icon_a\"\nto = \"ts_one\"\n\n[[connection]]\nfrom = \"icon_b\"\nto = \"ts_two\""
good: "[[connection]]\nfrom = \"icon_a\"\nto = \"ts_one\"\n\n[[connection]]\nfrom = \"icon_b\"\nto = \"ts_one\""

IconHaTwoIdb "ICON-HA-TWO-IDB" E true T
title: "IDBs differ in RDBMS type or version (error); same host (warning)"
why: "The two IDBs of a set must be identical (same RDBMS type and version) for ETL to pick either; on one host they share one failure."
fix: "use the same RDBMS type and version for both IDBs, on different hosts"
run: "at run time one failure of the shared host stops both IDBs: the events of the outage are stored in neither and `idb-complete` lists them; with different RDBMS types or versions, ETL cannot read either IDB the same way"
bad: "[database.idb_a]\nrdbms = \"postgresql\"\nversion = \"15\"\nhost = \"db-a\"\n\n[database.idb_b]\nrdbms = \"oracle\"\nversion = \"19c\"\nhost = \"db-b\""
good: "[database.idb_b]\nrdbms = \"postgresql\"\nversion = \"15\"\nhost = \"db-b\""

IconHaDapEach "ICON-HA-DAP-EACH" E false T
title: "each ICON needs its own DAP to its own IDB"
why: "Each ICON of a set writes into its own IDB through its own DAP; a shared or missing DAP makes one IDB hold both copies, or none."
fix: "give each ICON a connection to a DAP of its own, each DAP to its own database"
run: "at run time both ICONs write into one IDB, or one into none: the shared IDB refuses the second copy of every row on its key (`idb-failed`, in the database's own words), the other IDB stays empty, and `idb-parity` lists every table"
bad: "[[connection]]\nfrom = \"icon_a\"\nto = \"dap_a\"\n\n[[connection]]\nfrom = \"icon_b\"\nto = \"dap_a\""
good: "[[connection]]\nfrom = \"icon_a\"\nto = \"dap_a\"\n\n[[connection]]\nfrom = \"icon_b\"\nto = \"dap_b\""

IconNoDupWriter "ICON-NO-DUP-WRITER" E false T
title: "two ICONs with one role, one source and one IDB"
why: "Two ICONs that store the same roles from the same source into one IDB write every record twice."
fix: "give the second ICON its own DAP and IDB and declare the two as an [icon-ha] set, or remove it"
run: "at run time every event reaches the one IDB twice: the second copy of each row collides with the first on its key and the database refuses the batch (`idb-failed`, in the database's own words), so the second ICON's rows wait until its queue fills (`idb-queue-full`)"
bad: "[[connection]]\nfrom = \"icon_a\"\nto = \"dap_a\"\n\n[[connection]]\nfrom = \"icon_b\"\nto = \"dap_a\""
good: "[icon-ha.voice]\nicons = [\"icon_a\", \"icon_b\"]\n\n[[connection]]\nfrom = \"icon_b\"\nto = \"dap_b\""

IconRoleValues "ICON-ROLE-VALUES" E false T
title: "unknown role value (e.g. `gcb`)"
why: "ICON accepts only all, cfg, gcc, gls, gud, gos and lrm (a `~` excludes one); an unknown value stores nothing for it."
fix: "use only all, cfg, gcc, gls, gud, gos, lrm (optionally with ~)"
run: "at run time the unknown value stores nothing: its tables stay empty in that ICON's IDB (`gcb` for `gcc`: no G_CALL, G_PARTY rows), and `idb-roles` fails for what the set promises"
bad: "[app.icon_a.options.callconcentrator]\nrole = \"gcb,gud\""
good: "[app.icon_a.options.callconcentrator]\nrole = \"gcc,gud\""

IconRoleLowercase "ICON-ROLE-LOWERCASE" W false T
title: "an uppercase letter turns the role into `all`"
why: "ICON silently treats a role option with any uppercase letter as `all`, storing far more than intended."
fix: "write role values in lower case"
run: "at run time the ICON stores everything (`all`): its IDB fills tables the set never asked for (G_LOGIN_SESSION, G_AGENT_STATE_HISTORY) and `idb-parity` lists them against the other ICON's IDB"
bad: "[app.icon_a.options.callconcentrator]\nrole = \"GCC,gud\""
good: "[app.icon_a.options.callconcentrator]\nrole = \"gcc,gud\""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_upper_kebab() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(
                r.id.as_str()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
            assert!(
                RULES[..i].iter().all(|o| o.id != r.id),
                "duplicate {}",
                r.id
            );
            assert!(
                !r.fix.is_empty() && !r.why.is_empty() && r.bad != r.good,
                "{}",
                r.id
            );
        }
        assert_eq!(RULES.len(), 32);
        assert!(rule("ha-sync-port-cert").is_some());
    }

    #[test]
    fn each_id_indexes_its_own_entry_and_reads_as_its_text() {
        assert_eq!(RuleId::ALL.len(), RULES.len());
        for (i, id) in RuleId::ALL.iter().enumerate() {
            assert_eq!(*id as usize, i);
            assert_eq!(id.info().id, *id);
            assert_eq!(RuleId::parse(&id.as_str().to_lowercase()), Some(*id));
            assert_eq!(id.to_string(), id.as_str());
            assert_eq!(
                serde_json::to_string(id).expect("a string serialises"),
                format!("\"{}\"", id.as_str())
            );
            let owned: String = id.as_str().into();
            assert!(*id == id.as_str() && *id == owned);
        }
        assert_eq!(
            format!("{:<20}|", RuleId::AddpGe10s),
            "ADDP-GE-10S         |"
        );
        // Ordered by ID text, as findings were when IDs were strings.
        assert!(RuleId::AddpGe10s < RuleId::HaSyncPortCert);
        assert!(RuleId::TlsStrictProto > RuleId::TlsServerCert);
        assert_eq!(RuleId::parse("NO-SUCH-RULE"), None);
    }
}
