//! The `[pki]` section: certificate authorities and certificates to generate, their fault
//! profiles, and the user's own PEM files that stand in for any of them.
//!
//! This is description only; `crate::pki` turns it into key material.

mod check;
pub(crate) mod subject;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use toml::de::DeValue;

use super::reader::{Reader, Table, entries};
use super::value::parse_duration;
use crate::diag::{Problem, Sp, Span};

/// Every CA and certificate the topology names.
#[derive(Debug, Default, Clone, Serialize)]
pub struct PkiSpec {
    /// Reference instant for relative validity when no scenario clock is given.
    #[serde(with = "time::serde::rfc3339::option")]
    pub clock: Option<OffsetDateTime>,
    /// Certificate authorities, in file order.
    pub cas: Vec<CaSpec>,
    /// End-entity certificates, in file order.
    pub certs: Vec<CertSpec>,
}

impl PkiSpec {
    /// The CA with this name.
    pub fn ca(&self, name: &str) -> Option<&CaSpec> {
        self.cas.iter().find(|c| c.name == name)
    }

    /// The certificate with this name.
    pub fn cert(&self, name: &str) -> Option<&CertSpec> {
        self.certs.iter().find(|c| c.name == name)
    }

    /// The root CA at the top of `ca`'s chain (itself for a root).
    pub fn root_of<'a>(&'a self, ca: &'a str) -> &'a str {
        let mut name = ca;
        for _ in 0..self.cas.len() {
            match self.ca(name).and_then(|c| c.issuer.as_deref()) {
                Some(parent) => name = parent,
                None => break,
            }
        }
        name
    }
}

/// Key algorithm of a generated key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    /// ECDSA on P-256 with SHA-256 (the default).
    #[default]
    EcdsaP256,
    /// RSA 2048 with SHA-256.
    Rsa2048,
}

/// A validity bound: absolute, or relative to the clock the PKI is generated at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TimeSpec {
    /// A fixed instant.
    At(#[serde(with = "time::serde::rfc3339")] OffsetDateTime),
    /// Seconds after (or before, when negative) the reference clock.
    Offset(i64),
}

/// A fault profile for a generated certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Valid until a day before the clock.
    Expired,
    /// Valid from a day after the clock.
    NotYetValid,
    /// Names a host nobody dials.
    WrongHost,
    /// Issued by a CA nobody trusts.
    OtherCa,
    /// Signed by its own key.
    SelfSigned,
    /// Extended key usage without serverAuth.
    NoServerAuth,
    /// Extended key usage without clientAuth.
    NoClientAuth,
}

impl Profile {
    /// Every profile with its name in files.
    pub const ALL: [(Profile, &'static str); 7] = [
        (Profile::Expired, "expired"),
        (Profile::NotYetValid, "not-yet-valid"),
        (Profile::WrongHost, "wrong-host"),
        (Profile::OtherCa, "other-ca"),
        (Profile::SelfSigned, "self-signed"),
        (Profile::NoServerAuth, "no-server-auth"),
        (Profile::NoClientAuth, "no-client-auth"),
    ];
}

/// The user's own PEM files standing for a CA or certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PemFiles {
    /// Certificate, or chain leaf-first.
    pub cert: PathBuf,
    /// Private key (PKCS#1, PKCS#8 or SEC1), if the file has one.
    pub key: Option<PathBuf>,
}

/// A certificate authority.
#[derive(Clone, Debug, Serialize)]
pub struct CaSpec {
    /// Key in `[pki.ca.NAME]`.
    pub name: String,
    /// Distinguished name, `CN=…,O=…`.
    pub subject: String,
    /// Parent CA for an intermediate.
    pub issuer: Option<String>,
    /// Key algorithm.
    pub key_type: KeyType,
    /// Start of validity.
    pub not_before: TimeSpec,
    /// End of validity.
    pub not_after: TimeSpec,
    /// The user's files instead of generated material.
    pub pem: Option<PemFiles>,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
}

/// An end-entity certificate.
#[derive(Clone, Debug, Serialize)]
pub struct CertSpec {
    /// Key in `[pki.cert.NAME]`.
    pub name: String,
    /// Issuing CA (absent only for self-signed or the user's files).
    pub issuer: Option<String>,
    /// Distinguished name; defaults to `CN=<first host>`.
    pub subject: Option<String>,
    /// SAN entries: DNS names and IP addresses.
    pub hosts: Vec<String>,
    /// Key algorithm.
    pub key_type: KeyType,
    /// Start of validity.
    pub not_before: TimeSpec,
    /// End of validity.
    pub not_after: TimeSpec,
    /// Extended key usage includes serverAuth.
    pub server_auth: bool,
    /// Extended key usage includes clientAuth.
    pub client_auth: bool,
    /// Fault profile, if any.
    pub profile: Option<Profile>,
    /// Whether the chain sent in the handshake includes the intermediates.
    pub send_chain: bool,
    /// The user's files instead of generated material.
    pub pem: Option<PemFiles>,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
}

const DAY: i64 = 86_400;

/// Decodes `[pki]`. `dir` resolves relative PEM paths.
pub(crate) fn decode(r: &mut Reader, pki: &Table<'_>, dir: &std::path::Path) -> PkiSpec {
    let spec = decode_unchecked(r, pki, dir);
    check_references(r, &spec);
    spec
}

/// Decodes `[pki]` without checking that issuers exist: a scenario's overrides name the
/// topology's CAs, and are checked once merged ([`check_issuers`]).
pub(crate) fn decode_unchecked(r: &mut Reader, pki: &Table<'_>, dir: &std::path::Path) -> PkiSpec {
    r.keys(pki, &["clock", "ca", "cert"], "[pki]");
    let mut spec = PkiSpec {
        clock: pki.get("clock").and_then(|v| instant(r, v, "clock")),
        ..PkiSpec::default()
    };
    if let Some(cas) = r.opt_table(pki, "ca") {
        for (name, v) in entries(cas) {
            if let Some(t) = r.table(v, &name.value) {
                spec.cas.push(decode_ca(r, name, t, dir));
            }
        }
    }
    if let Some(certs) = r.opt_table(pki, "cert") {
        for (name, v) in entries(certs) {
            if let Some(t) = r.table(v, &name.value) {
                spec.certs.push(decode_cert(r, name, t, dir));
            }
        }
    }
    spec
}

/// Reports the entries of `only` (by name) whose issuer is not a CA of the merged `spec`.
pub(crate) fn check_issuers(r: &mut Reader, spec: &PkiSpec, only: &PkiSpec) {
    for ca in &only.cas {
        if let Some(parent) = ca.issuer.as_deref().filter(|p| spec.ca(p).is_none()) {
            r.push(dangling(ca.span, "CA", &ca.name, parent, spec));
        }
    }
    for cert in &only.certs {
        if let Some(issuer) = cert.issuer.as_deref().filter(|i| spec.ca(i).is_none()) {
            r.push(dangling(cert.span, "certificate", &cert.name, issuer, spec));
        }
    }
}

fn decode_ca(r: &mut Reader, name: Sp<String>, t: &Table<'_>, dir: &std::path::Path) -> CaSpec {
    let what = format!("CA `{}`", name.value);
    r.keys(
        t,
        &[
            "subject",
            "issuer",
            "key-type",
            "not-before",
            "not-after",
            "pem",
            "key",
        ],
        &what,
    );
    let subject = r.string(t, "subject");
    if let Some(s) = &subject {
        check::subject(r, &name.value, s);
    }
    let not_before = bound(r, t, "not-before").unwrap_or(TimeSpec::Offset(-DAY));
    let not_after = bound(r, t, "not-after").unwrap_or(TimeSpec::Offset(10 * 365 * DAY));
    let at = t.get("not-after").map_or(name.span, |v| v.span().into());
    if t.get("not-before").is_some() && t.get("not-after").is_some() {
        check::validity(r, &name.value, not_before, not_after, at);
    }
    CaSpec {
        subject: subject.map_or_else(|| format!("CN={}", name.value), |s| s.value),
        issuer: r.string(t, "issuer").map(|s| s.value),
        key_type: key_type(r, t),
        not_before,
        not_after,
        pem: pem_files(r, t, dir),
        span: name.span,
        name: name.value,
    }
}

fn decode_cert(r: &mut Reader, name: Sp<String>, t: &Table<'_>, dir: &std::path::Path) -> CertSpec {
    let what = format!("certificate `{}`", name.value);
    r.keys(
        t,
        &[
            "issuer",
            "subject",
            "hosts",
            "key-type",
            "not-before",
            "not-after",
            "expires-at",
            "usage",
            "profile",
            "send-chain",
            "pem",
            "key",
        ],
        &what,
    );
    let profile = r.choice(t, "profile", &Profile::ALL).map(|p| p.value);
    let (mut not_before, mut not_after) = (TimeSpec::Offset(-DAY), TimeSpec::Offset(365 * DAY));
    match profile {
        Some(Profile::Expired) => {
            (not_before, not_after) = (TimeSpec::Offset(-366 * DAY), TimeSpec::Offset(-DAY))
        }
        Some(Profile::NotYetValid) => not_before = TimeSpec::Offset(DAY),
        _ => {}
    }
    let usage = r.strings(t, "usage");
    let (mut server_auth, mut client_auth) = (usage.is_empty(), usage.is_empty());
    for u in &usage {
        match u.value.as_str() {
            "server" => server_auth = true,
            "client" => client_auth = true,
            _ => r.push(
                Problem::new("bad-value", u.span, format!("`{}` is not a usage", u.value))
                    .help("use \"server\" and/or \"client\""),
            ),
        }
    }
    match profile {
        Some(Profile::NoServerAuth) => server_auth = false,
        Some(Profile::NoClientAuth) => client_auth = false,
        _ => {}
    }
    let hosts = r.strings(t, "hosts");
    check::hosts(r, &name.value, &hosts);
    if let Some(s) = r.string(t, "subject") {
        check::subject(r, &name.value, &s);
    }
    let pem = pem_files(r, t, dir);
    let issuer = r.string(t, "issuer");
    if issuer.is_none()
        && pem.is_none()
        && !matches!(profile, Some(Profile::SelfSigned | Profile::OtherCa))
    {
        r.push(
            Problem::new("missing-key", name.span, format!("{what} has no `issuer`"))
                .help("name a CA from [pki.ca], or set profile = \"self-signed\""),
        );
    }
    if hosts.is_empty() && pem.is_none() && r.string(t, "subject").is_none() {
        r.push(Problem::new(
            "missing-key",
            name.span,
            format!("{what} has no `hosts`"),
        ));
    }
    let not_before = bound(r, t, "not-before").unwrap_or(not_before);
    let not_after = bound(r, t, "expires-at")
        .or_else(|| bound(r, t, "not-after"))
        .unwrap_or(not_after);
    let at = ["expires-at", "not-after", "not-before"]
        .iter()
        .find_map(|k| t.get(*k))
        .map_or(name.span, |v| v.span().into());
    if t.get("not-before").is_some()
        && (t.get("not-after").is_some() || t.get("expires-at").is_some())
    {
        check::validity(r, &name.value, not_before, not_after, at);
    }
    CertSpec {
        issuer: issuer.map(|s| s.value),
        subject: r.string(t, "subject").map(|s| s.value),
        hosts: hosts.into_iter().map(|h| h.value).collect(),
        key_type: key_type(r, t),
        not_before,
        not_after,
        server_auth,
        client_auth,
        profile,
        send_chain: r.boolish(t, "send-chain").is_none_or(|b| b.value),
        pem,
        span: name.span,
        name: name.value,
    }
}

fn key_type(r: &mut Reader, t: &Table<'_>) -> KeyType {
    let choices = [
        (KeyType::EcdsaP256, "ecdsa-p256"),
        (KeyType::Rsa2048, "rsa2048"),
        (KeyType::Rsa2048, "rsa"),
    ];
    r.choice(t, "key-type", &choices)
        .map_or(KeyType::default(), |k| k.value)
}

fn pem_files(r: &mut Reader, t: &Table<'_>, dir: &std::path::Path) -> Option<PemFiles> {
    let cert = r.string(t, "pem");
    let key = r.string(t, "key");
    if cert.is_none() {
        if let Some(k) = key {
            r.push(Problem::new(
                "missing-key",
                k.span,
                "`key` is given without `pem`",
            ));
        }
        return None;
    }
    Some(PemFiles {
        cert: dir.join(cert?.value),
        key: key.map(|k| dir.join(k.value)),
    })
}

fn bound(r: &mut Reader, t: &Table<'_>, key: &str) -> Option<TimeSpec> {
    let v = t.get(key)?;
    if let DeValue::String(s) = v.get_ref() {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix('+').or_else(|| s.strip_prefix('-')) {
            let sign = if s.starts_with('-') { -1 } else { 1 };
            return match parse_duration(rest) {
                // At most 100 years (`parse_duration`): the product cannot saturate.
                Ok(d) => Some(TimeSpec::Offset(
                    i64::try_from(d.as_secs())
                        .unwrap_or(i64::MAX)
                        .saturating_mul(sign),
                )),
                Err(why) => {
                    r.push(Problem::new("bad-duration", v.span(), why));
                    None
                }
            };
        }
    }
    instant(r, v, key).map(TimeSpec::At)
}

/// Reads an RFC 3339 instant, as a TOML date-time or a string.
pub(crate) fn instant(
    r: &mut Reader,
    v: &super::reader::Value<'_>,
    key: &str,
) -> Option<OffsetDateTime> {
    let text = match v.get_ref() {
        DeValue::Datetime(d) => d.to_string(),
        DeValue::String(s) => s.to_string(),
        _ => {
            r.push(Problem::new(
                "wrong-type",
                v.span(),
                format!("`{key}` must be a date-time such as 2026-06-01T08:00:00Z, or an offset such as \"+45s\""),
            ));
            return None;
        }
    };
    match OffsetDateTime::parse(&text, &Rfc3339) {
        Ok(t) if key == "clock" => match crate::limits::check_clock(t) {
            Ok(()) => Some(t),
            Err(why) => {
                r.push(Problem::new("bad-value", v.span(), why));
                None
            }
        },
        Ok(t) => Some(t),
        Err(_) => {
            r.push(
                Problem::new(
                    "bad-value",
                    v.span(),
                    format!("`{text}` is not an RFC 3339 instant"),
                )
                .help("write e.g. 2026-06-01T08:00:00Z (with a time zone)"),
            );
            None
        }
    }
}

fn check_references(r: &mut Reader, spec: &PkiSpec) {
    for ca in &spec.cas {
        if let Some(parent) = &ca.issuer {
            if spec.ca(parent).is_none() {
                r.push(dangling(ca.span, "CA", &ca.name, parent, spec));
            } else if chain_loops(spec, &ca.name) {
                r.push(Problem::new(
                    "issuer-cycle",
                    ca.span,
                    format!("CA `{}` is its own ancestor", ca.name),
                ));
            }
        }
    }
    for cert in &spec.certs {
        if let Some(issuer) = &cert.issuer
            && spec.ca(issuer).is_none()
        {
            r.push(dangling(cert.span, "certificate", &cert.name, issuer, spec));
        }
    }
}

fn chain_loops(spec: &PkiSpec, start: &str) -> bool {
    let mut name = start;
    for _ in 0..=spec.cas.len() {
        match spec.ca(name).and_then(|c| c.issuer.as_deref()) {
            Some(parent) if parent == start => return true,
            Some(parent) => name = parent,
            None => return false,
        }
    }
    true
}

fn dangling(span: Span, what: &str, name: &str, issuer: &str, spec: &PkiSpec) -> Problem {
    let p = Problem::new(
        "dangling-reference",
        span,
        format!("{what} `{name}` names issuer `{issuer}`, which is not a CA in [pki.ca]"),
    );
    match crate::diag::closest(issuer, spec.cas.iter().map(|c| c.name.as_str())) {
        Some(c) => p.help(format!("did you mean `{c}`?")),
        None => p,
    }
}
