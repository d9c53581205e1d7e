//! Security parameters as Genesys names them, at any level (host, application, port,
//! connection), and the transport-parameter string form (`tls=1;tls-mutual=1`).

use serde::Serialize;

use super::reader::{Reader, Table};
use super::value::parse_bool;
use crate::diag::{Problem, Sp, Span, closest};

/// The security parameters written at one level. Every field is optional: precedence
/// (`pki::resolve`) fills the gaps from other levels.
#[derive(Debug, Default, Clone)]
pub struct Security {
    /// `certificate`: a PKI certificate name, or a path to a PEM file.
    pub certificate: Option<Sp<String>>,
    /// `certificate-key`: a path to a PEM key (implied for PKI certificates).
    pub certificate_key: Option<Sp<String>>,
    /// `trusted-ca`: a PKI CA name, or a path to a PEM bundle.
    pub trusted_ca: Option<Sp<String>>,
    /// `tls-mutual`: the server asks for and checks a client certificate.
    pub tls_mutual: Option<Sp<bool>>,
    /// `tls-crl`: path to a certificate revocation list.
    pub tls_crl: Option<Sp<String>>,
    /// `tls-target-name-check`: what the client checks the server certificate against.
    pub tls_target_name_check: Option<Sp<NameCheck>>,
    /// `tls-target-name`: the name to check instead of the dialled host.
    pub tls_target_name: Option<Sp<String>>,
    /// `sec-protocol`: protocol version policy.
    pub sec_protocol: Option<Sp<SecProtocol>>,
    /// `cipher-list`: cipher suites, as written.
    pub cipher_list: Option<Sp<String>>,
    /// `tls`: the listening flag; meaningful at port level only.
    pub tls: Option<Sp<bool>>,
    /// Where the parameters were written (the table or transport string), if anywhere.
    pub span: Option<Span>,
}

impl Security {
    /// Every parameter name accepted at any level.
    pub const KEYS: [&'static str; 10] = [
        "certificate",
        "certificate-key",
        "trusted-ca",
        "tls-mutual",
        "tls-crl",
        "tls-target-name-check",
        "tls-target-name",
        "sec-protocol",
        "cipher-list",
        "tls",
    ];

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.span.is_none()
    }

    /// The certificate-group members present at this level, by name.
    pub fn group_members(&self) -> Vec<&'static str> {
        let mut present = Vec::new();
        if self.certificate.is_some() {
            present.push("certificate");
        }
        if self.certificate_key.is_some() {
            present.push("certificate-key");
        }
        if self.trusted_ca.is_some() {
            present.push("trusted-ca");
        }
        present
    }

    /// The span of the first certificate-group member written here.
    pub fn group_span(&self) -> Option<Span> {
        [&self.certificate, &self.certificate_key, &self.trusted_ca]
            .into_iter()
            .flatten()
            .map(|s| s.span)
            .next()
    }

    /// Whether any client-side TLS setting is written here.
    pub fn has_tls_settings(&self) -> bool {
        self.certificate.is_some()
            || self.tls_target_name_check.is_some()
            || self.tls_target_name.is_some()
            || self.sec_protocol.is_some()
            || self.tls_mutual.is_some()
    }
}

/// `tls-target-name-check` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameCheck {
    /// `host`: the certificate must name the host the client dials.
    Host,
    /// `no` (or absent): no name check.
    No,
}

/// `sec-protocol` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SecProtocol {
    /// Empty or absent: the highest common version from TLS 1.2.
    #[serde(rename = "")]
    Negotiate,
    /// `TLSv12`: exactly TLS 1.2.
    #[serde(rename = "TLSv12")]
    Tls12,
    /// `TLSv13`: exactly TLS 1.3.
    #[serde(rename = "TLSv13")]
    Tls13,
}

impl SecProtocol {
    /// The values accepted in files.
    pub const NAMES: [&'static str; 3] = ["", "TLSv12", "TLSv13"];

    /// Parses a file value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" => Some(Self::Negotiate),
            "TLSv12" | "TLSv1.2" => Some(Self::Tls12),
            "TLSv13" | "TLSv1.3" => Some(Self::Tls13),
            _ => None,
        }
    }

    /// The versions this policy allows, newest first.
    pub fn versions(self) -> &'static [&'static str] {
        match self {
            Self::Negotiate => &["1.3", "1.2"],
            Self::Tls12 => &["1.2"],
            Self::Tls13 => &["1.3"],
        }
    }
}

/// How the certificate group (`certificate`, `certificate-key`, `trusted-ca`) is resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// Each parameter from the most specific level that has it (the documents' rule).
    #[default]
    PerParameter,
    /// The whole group from the first level that has any member (the PSDK's behaviour).
    Group,
}

/// Flags of a transport-parameter string that decide the listening mode.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct TransportFlags {
    /// `tls=1`.
    pub tls: bool,
    /// `upgrade=1` (hapair's spelling of the auto-upgrade listening mode).
    pub upgrade: bool,
}

/// Decodes the `security = {…}` table of a level.
pub(super) fn decode_security(r: &mut Reader, owner: &Table<'_>, what: &str) -> Security {
    let Some(v) = owner.get("security") else {
        return Security::default();
    };
    let Some(t) = r.table(v, "security") else {
        return Security::default();
    };
    r.keys(
        t,
        &Security::KEYS,
        &format!("the security parameters of {what}"),
    );
    let mut s = Security {
        certificate: r.string(t, "certificate"),
        certificate_key: r.string(t, "certificate-key"),
        trusted_ca: r.string(t, "trusted-ca"),
        tls_mutual: r.boolish(t, "tls-mutual"),
        tls_crl: r.string(t, "tls-crl"),
        tls_target_name: r.string(t, "tls-target-name"),
        cipher_list: r.string(t, "cipher-list"),
        tls: r.boolish(t, "tls"),
        span: Some(v.span().into()),
        ..Security::default()
    };
    s.tls_target_name_check = r.choice(
        t,
        "tls-target-name-check",
        &[(NameCheck::Host, "host"), (NameCheck::No, "no")],
    );
    if let Some(p) = r.string(t, "sec-protocol") {
        s.sec_protocol = sec_protocol(r, &p);
    }
    s
}

fn sec_protocol(r: &mut Reader, p: &Sp<String>) -> Option<Sp<SecProtocol>> {
    match SecProtocol::parse(&p.value) {
        Some(v) => Some(Sp::new(v, p.span)),
        None => {
            r.push(
                Problem::new(
                    "bad-value",
                    p.span,
                    format!("`{}` is not a `sec-protocol`", p.value),
                )
                .help("use \"\" (negotiate from TLS 1.2), \"TLSv12\" or \"TLSv13\""),
            );
            None
        }
    }
}

/// Decodes a Genesys transport-parameter string (`tls=1;tls-mutual=1;certificate=…`) into
/// `security`, returning the listening flags it sets. Values it sets win over the table.
/// `upgrade` is a listening mode: taken on a port only (`on_port`), reported elsewhere.
pub(super) fn decode_transport(
    r: &mut Reader,
    transport: &Sp<String>,
    security: &mut Security,
    on_port: bool,
) -> TransportFlags {
    let mut flags = TransportFlags::default();
    // The string's text starts one byte after its opening quote.
    let base = transport.span.start.saturating_add(1);
    let mut offset: usize = 0;
    for part in transport.value.split(';') {
        let start = base.saturating_add(offset);
        let span = Span {
            start,
            end: start.saturating_add(part.len()),
        };
        offset = offset.saturating_add(part.len()).saturating_add(1);
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let (key, value) = (key.trim(), value.trim());
        let text = Sp::new(value.to_string(), span);
        let flag = || parse_bool(value);
        match key {
            "upgrade" if !on_port => r.push(
                Problem::new(
                    "unknown-key",
                    span,
                    "unknown transport parameter `upgrade` on a connection",
                )
                .help("the listening mode is the target port's: set mode = \"upgrade\" there"),
            ),
            "tls" | "upgrade" => match flag() {
                Some(on) if key == "tls" => {
                    flags.tls = on;
                    security.tls = Some(Sp::new(on, span));
                }
                Some(on) => flags.upgrade = on,
                None => r.push(Problem::new(
                    "bad-value",
                    span,
                    format!("`{key}` must be 1 or 0"),
                )),
            },
            "tls-mutual" => match flag() {
                Some(on) => security.tls_mutual = Some(Sp::new(on, span)),
                None => r.push(Problem::new(
                    "bad-value",
                    span,
                    "`tls-mutual` must be 1 or 0",
                )),
            },
            "certificate" => security.certificate = Some(text),
            "certificate-key" => security.certificate_key = Some(text),
            "trusted-ca" => security.trusted_ca = Some(text),
            "tls-crl" => security.tls_crl = Some(text),
            "tls-target-name" => security.tls_target_name = Some(text),
            "cipher-list" => security.cipher_list = Some(text),
            "tls-target-name-check" => match value {
                "host" => security.tls_target_name_check = Some(Sp::new(NameCheck::Host, span)),
                "no" | "" => security.tls_target_name_check = Some(Sp::new(NameCheck::No, span)),
                _ => r.push(Problem::new(
                    "bad-value",
                    span,
                    "`tls-target-name-check` must be host or no",
                )),
            },
            "sec-protocol" => security.sec_protocol = sec_protocol(r, &text),
            _ => {
                let mut known = Security::KEYS.to_vec();
                known.push("upgrade");
                let p = Problem::new(
                    "unknown-key",
                    span,
                    format!("unknown transport parameter `{key}`"),
                );
                r.push(match closest(key, known) {
                    Some(c) => p.help(format!("did you mean `{c}`?")),
                    None => p,
                });
            }
        }
    }
    security.span.get_or_insert(transport.span);
    flags
}
