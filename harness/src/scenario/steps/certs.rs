//! Decoding the certificate steps: `rotate` (re-issue one certificate, by its own CA or
//! another, optionally with a fault profile) and `trust` (change the trusted CAs of an
//! application or host at run time). Every name is checked against the topology's `[pki]`,
//! with a did-you-mean like the rest of the loader.

use toml::de::DeValue;

use super::super::names::app_ref;
use super::host_ref;
use crate::diag::{Problem, Sp, Span, closest};
use crate::fault::{AppRef, Fault, Scope};
use crate::topology::Topology;
use crate::topology::pki::Profile;
use crate::topology::reader::{Reader, Table, Value};

/// A `[pki.ca]` name, checked.
fn ca_ref(r: &mut Reader, t: &Topology, name: Sp<String>) -> Option<String> {
    if t.pki.ca(&name.value).is_some() {
        return Some(name.value);
    }
    let p = Problem::new(
        "unknown-ca",
        name.span,
        format!("the topology has no CA `{}`", name.value),
    );
    r.push(
        match closest(&name.value, t.pki.cas.iter().map(|c| c.name.as_str())) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p.help("declare it under [pki.ca.NAME] (in the topology or the scenario)"),
        },
    );
    None
}

/// `rotate = { cert = "ts-b", issuer = "new-ca", profile = "expired" }`.
pub(super) fn rotate(r: &mut Reader, v: &Value<'_>, t: &Topology) -> Option<Fault> {
    let inner = r.table(v, "rotate")?;
    r.keys(inner, &["cert", "issuer", "profile"], "`rotate`");
    let cert = r.required_string(inner, "cert", v.span().into(), "`rotate`")?;
    let Some(spec) = t.pki.cert(&cert.value) else {
        let p = Problem::new(
            "unknown-cert",
            cert.span,
            format!("the topology has no certificate `{}`", cert.value),
        );
        r.push(
            match closest(&cert.value, t.pki.certs.iter().map(|c| c.name.as_str())) {
                Some(c) => p.help(format!("did you mean `{c}`?")),
                None => p.help("rotate names a certificate of [pki.cert]"),
            },
        );
        return None;
    };
    let profile = r.choice(inner, "profile", &Profile::ALL);
    let issuer = match r.string(inner, "issuer") {
        Some(name) => Some(ca_ref(r, t, name)?),
        None => None,
    };
    if let (Some(p), Some(_)) = (&profile, &issuer)
        && matches!(p.value, Profile::SelfSigned | Profile::OtherCa)
    {
        r.push(Problem::new(
            "conflict",
            p.span,
            "this profile chooses its own signer: leave `issuer` out",
        ));
        return None;
    }
    let signer = issuer.as_ref().or(spec.issuer.as_ref());
    let own_signer = matches!(
        profile.as_ref().map(|p| p.value),
        Some(Profile::SelfSigned | Profile::OtherCa)
    );
    if signer.is_none() && !own_signer {
        r.push(
            Problem::new(
                "missing-key",
                cert.span,
                format!("`{}` has no issuer to re-issue it with", cert.value),
            )
            .help("name one: issuer = \"CA\""),
        );
        return None;
    }
    Some(Fault::Rotate {
        cert: cert.value,
        issuer,
        profile: profile.map(|p| p.value),
    })
}

/// `trust = { app = "ts_primary", trusted-ca = ["lab-ca", "new-ca"] }` (or `host = "ts-a"`).
pub(super) fn trust(r: &mut Reader, v: &Value<'_>, t: &Topology) -> Option<Fault> {
    let inner: &Table<'_> = r.table(v, "trust")?;
    r.keys(inner, &["app", "host", "trusted-ca"], "`trust`");
    let scope = match (r.string(inner, "app"), r.string(inner, "host")) {
        (Some(app), None) => Scope::App(AppRef::new(app_ref(r, t, app)?)),
        (None, Some(host)) => Scope::Host(host_ref(r, t, host)?),
        (Some(app), Some(_)) => {
            r.push(Problem::new(
                "conflict",
                app.span,
                "`trust` changes one application or one host: use `app` or `host`",
            ));
            return None;
        }
        (None, None) => {
            r.push(
                Problem::new(
                    "missing-key",
                    Span::from(v.span()),
                    "`trust` names no `app` or `host`",
                )
                .help(
                    "e.g. trust = { app = \"ts_primary\", trusted-ca = [\"lab-ca\", \"new-ca\"] }",
                ),
            );
            return None;
        }
    };
    let Some(list) = inner.get("trusted-ca") else {
        r.push(
            Problem::new(
                "missing-key",
                Span::from(v.span()),
                "`trust` has no `trusted-ca`",
            )
            .help("the CAs trusted from now on, e.g. trusted-ca = [\"lab-ca\", \"new-ca\"]"),
        );
        return None;
    };
    let is_list = matches!(list.get_ref(), DeValue::Array(_) | DeValue::String(_));
    let names = r.strings(inner, "trusted-ca");
    if !is_list {
        return None;
    }
    let mut cas = Vec::new();
    for name in names {
        if cas.contains(&name.value) {
            r.push(Problem::new(
                "duplicate",
                name.span,
                format!("`{}` is listed twice", name.value),
            ));
            continue;
        }
        cas.push(ca_ref(r, t, name)?);
    }
    Some(Fault::Trust { scope, cas })
}
