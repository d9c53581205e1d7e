//! Checks of a `[pki]` entry that generation would otherwise find late and without a place:
//! a subject that is no distinguished name, a host that cannot be a subject alternative name,
//! a validity that ends before it starts, a CA of the user's own files without a key.

use super::TimeSpec;
use crate::diag::{Problem, Sp, Span};
use crate::topology::names::bad_host_name;
use crate::topology::reader::Reader;

/// A subject hapair can encode (`CN=…,O=…`), else a located problem.
pub(super) fn subject(r: &mut Reader, owner: &str, subject: &Sp<String>) {
    if let Err(reason) = super::subject::parse(&subject.value) {
        r.push(
            Problem::new(
                "bad-subject",
                subject.span,
                format!("subject `{}` of `{owner}`: {reason}", subject.value),
            )
            .help("write KEY=value pairs separated by commas, e.g. \"CN=ts-a.lab.example,O=Lab\""),
        );
    }
}

/// Every SAN of a certificate: a DNS name (a leading `*.` allowed) or an IP address.
pub(super) fn hosts(r: &mut Reader, owner: &str, hosts: &[Sp<String>]) {
    for h in hosts {
        if let Some(why) = bad_host_name(&h.value, true) {
            r.push(
                Problem::new(
                    "bad-host-name",
                    h.span,
                    format!(
                        "`{}` of certificate `{owner}` is not a DNS name or IP address: {why}",
                        h.value
                    ),
                )
                .help("list the names clients dial, e.g. hosts = [\"ts-a.lab.example\", \"10.0.0.5\"]"),
            );
        }
    }
}

/// A validity whose end is not after its start, when both are written the same way.
pub(super) fn validity(r: &mut Reader, owner: &str, from: TimeSpec, to: TimeSpec, at: Span) {
    let backwards = match (from, to) {
        (TimeSpec::At(a), TimeSpec::At(b)) => b <= a,
        (TimeSpec::Offset(a), TimeSpec::Offset(b)) => b <= a,
        _ => false,
    };
    if backwards {
        r.push(
            Problem::new(
                "bad-validity",
                at,
                format!("the validity of `{owner}` ends before it starts (`not-after` is not after `not-before`)"),
            )
            .help("swap them, or move `not-after` later"),
        );
    }
}
