//! Names a scenario gives, resolved against its topology: an application named by a step or
//! an expectation (a located error for a host's name or a typo, with the closest name).

use crate::diag::{Problem, Sp, closest};
use crate::topology::Topology;
use crate::topology::reader::Reader;

/// The application `name` names, or a located problem (`wrong-kind`, `unknown-app`).
pub(super) fn app_ref(r: &mut Reader, t: &Topology, name: Sp<String>) -> Option<String> {
    if t.app(&name.value).is_some() {
        return Some(name.value);
    }
    if t.host(&name.value).is_some() {
        r.push(
            Problem::new(
                "wrong-kind",
                name.span,
                format!("`{}` is a host, not an application", name.value),
            )
            .help("this step or expectation names an application ([app.NAME])"),
        );
        return None;
    }
    let p = Problem::new(
        "unknown-app",
        name.span,
        format!("the topology has no application `{}`", name.value),
    );
    r.push(
        match closest(&name.value, t.apps.iter().map(|a| a.name.value.as_str())) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p,
        },
    );
    None
}
