//! The hand parser of `tests/modules.rs`: strips comments and literals, reads the paths a
//! file names (`use` trees, `crate::`/`super::`/`self::` paths in code) as paths from the
//! crate root, and the names a module root re-exports from its children. Test code is skipped.

use std::collections::BTreeMap;

use super::ModPath;

/// What one file names.
pub(crate) struct Parsed {
    /// Absolute paths (below the crate root) named by `use` or in code.
    pub(crate) paths: Vec<ModPath>,
    /// For a module root: `pub use child::Name` as Name → child.
    pub(crate) reexports: BTreeMap<String, String>,
    /// Modules declared `#[cfg(test)] mod name;` here, whose files are test code.
    pub(crate) test_modules: Vec<ModPath>,
}

/// Blanks comments, string and char literals (keeping line structure irrelevant: only
/// tokens matter).
pub(crate) fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // Raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{..}') or a lifetime ('a): skip only the former.
            let close = if next == Some('\\') {
                (i + 2..b.len().min(i + 12)).find(|&k| b[k] == '\'')
            } else {
                (b.get(i + 2) == Some(&'\'')).then_some(i + 2)
            };
            match close {
                Some(k) => {
                    i = k + 1;
                    out.push_str("' '");
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Tokens: identifiers, `::`, and single punctuation characters.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(b[start..i].iter().collect());
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Reads the paths of one stripped file whose module is `module`.
pub(crate) fn parse(text: &str, module: &ModPath) -> Parsed {
    let toks = tokens(text);
    let mut parsed = Parsed {
        paths: Vec::new(),
        reexports: BTreeMap::new(),
        test_modules: Vec::new(),
    };
    let is = |k: usize, t: &str| toks.get(k).is_some_and(|x| x == t);
    // Set by `#[cfg(test)]` until the item it applies to has been skipped.
    let mut test_item = false;
    // Inline modules (`mod tests { ... }`) shift what `super` and `self` mean: a stack of
    // (name, brace depth at which it closes).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let here = || {
            let mut m = module.clone();
            m.extend(inline.iter().map(|(n, _)| n.clone()));
            m
        };
        let cfg_test = ["#", "[", "cfg", "(", "test", ")", "]"];
        if cfg_test.iter().enumerate().all(|(k, t)| is(i + k, t)) {
            test_item = true;
            i += cfg_test.len();
            continue;
        }
        if test_item {
            if is(i, "#") && is(i + 1, "[") {
                i = closing(&toks, i + 1, "[", "]") + 1;
                continue;
            }
            test_item = false;
            if is(i, "mod") && is(i + 2, ";") {
                let mut m = here();
                m.push(toks[i + 1].clone());
                parsed.test_modules.push(m);
                i += 3;
                continue;
            }
            // Any other item: up to its `;`, or through its first `{ ... }` block.
            let mut k = i;
            while k < toks.len() && toks[k] != ";" && (toks[k] != "{" || is(i, "use")) {
                k += 1;
            }
            i = if is(k, "{") {
                closing(&toks, k, "{", "}") + 1
            } else {
                k + 1
            };
            continue;
        }
        match toks[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if toks.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((toks[i + 1].clone(), depth));
                depth += 1;
                i += 3;
                continue;
            }
            "use" => {
                let public = i > 0 && toks[i - 1] == "pub"
                    || i > 3 && toks[i - 4] == "pub" && toks[i - 3] == "(";
                let end = (i..toks.len())
                    .find(|&k| toks[k] == ";")
                    .unwrap_or(toks.len());
                let mut leaves = Vec::new();
                expand(&toks[i + 1..end], &[], &mut leaves);
                let m = here();
                for (leaf, name) in leaves {
                    // `use child::Name` (no `crate`/`super`/`self`) is relative to this module
                    // (or an external crate, whose paths then lead nowhere in the graph).
                    let leaf = if matches!(leaf[0].as_str(), "crate" | "super" | "self") {
                        leaf
                    } else {
                        std::iter::once("self".to_string()).chain(leaf).collect()
                    };
                    let Some(abs) = absolute(&leaf, &m) else {
                        continue;
                    };
                    // `pub use child::Name` in a module root re-exports Name from child.
                    if public
                        && inline.is_empty()
                        && abs.len() > m.len() + 1
                        && abs[..m.len()] == m[..]
                    {
                        parsed.reexports.insert(name, abs[m.len()].clone());
                    }
                    parsed.paths.push(abs);
                }
                i = end + 1;
                continue;
            }
            "crate" | "super" | "self"
                if toks.get(i + 1).is_some_and(|t| t == "::")
                    && !(i > 0 && toks[i - 1] == "::") =>
            {
                let mut path = vec![toks[i].clone()];
                let mut k = i + 1;
                while toks.get(k).is_some_and(|t| t == "::")
                    && toks.get(k + 1).is_some_and(|t| is_ident(t))
                {
                    path.push(toks[k + 1].clone());
                    k += 2;
                }
                if let Some(abs) = absolute(&path, &here()) {
                    parsed.paths.push(abs);
                }
                i = k;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parsed
}

/// The index of the token closing the `open` at `at`.
pub(crate) fn closing(toks: &[String], at: usize, open: &str, close: &str) -> usize {
    let mut level = 0usize;
    for (k, t) in toks.iter().enumerate().skip(at) {
        if t == open {
            level += 1;
        } else if t == close {
            level = level.saturating_sub(1);
            if level == 0 {
                return k;
            }
        }
    }
    toks.len()
}

pub(crate) fn is_ident(t: &str) -> bool {
    t.chars().all(|c| c.is_alphanumeric() || c == '_') && !t.is_empty()
}

/// One leaf of a use tree: the path it names, and the name it binds (its last element, or
/// the `as` alias).
pub(crate) type Leaf = (Vec<String>, String);

/// Expands a use tree (`crate::a::{b, c::{d, e as f}, self}`) into its leaves.
pub(crate) fn expand(toks: &[String], prefix: &[String], out: &mut Vec<Leaf>) {
    let mut path = prefix.to_vec();
    let mut i = 0;
    while i < toks.len() {
        match toks[i].as_str() {
            "{" => {
                // Split the group's top-level items on commas.
                let mut level = 0;
                let mut start = i + 1;
                let mut k = i + 1;
                while k < toks.len() {
                    match toks[k].as_str() {
                        "{" => level += 1,
                        "}" if level == 0 => break,
                        "}" => level -= 1,
                        "," if level == 0 => {
                            expand(&toks[start..k], &path, out);
                            start = k + 1;
                        }
                        _ => {}
                    }
                    k += 1;
                }
                expand(&toks[start..k.min(toks.len())], &path, out);
                return;
            }
            "as" => {
                if let Some(alias) = toks.get(i + 1).filter(|t| is_ident(t)) {
                    if !path.is_empty() {
                        out.push((path, alias.clone()));
                    }
                }
                return;
            }
            "*" => {
                if !path.is_empty() {
                    out.push((path, "*".into()));
                }
                return;
            }
            // `a::{self}` names `a` itself.
            "self" if !path.is_empty() => {}
            t if is_ident(t) => path.push(t.to_string()),
            _ => {}
        }
        i += 1;
    }
    if !path.is_empty() && (path.len() > prefix.len() || toks.iter().any(|t| t == "self")) {
        let name = path.last().cloned().unwrap_or_default();
        out.push((path, name));
    }
}

/// `path` (starting with `crate`, `super` or `self`) as a path from the crate root, seen from
/// `module`; `None` for paths into other crates.
pub(crate) fn absolute(path: &[String], module: &ModPath) -> Option<ModPath> {
    let mut base: ModPath;
    let mut rest = path;
    match path.first()?.as_str() {
        "crate" => {
            base = Vec::new();
            rest = &path[1..];
        }
        "super" | "self" => {
            base = module.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        base.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn paths_are_read_from_use_trees_code_and_inline_modules() {
        let text = strip(
            "//! see crate::doc::only\n\
             use super::{Finding, ha::option_differences, self as me};\n\
             use crate::pki::{self, material::{Material as M, CaMaterial}};\n\
             pub use catalogue::{RULES, RuleId};\n\
             fn f() { let s = \"crate::in::string\"; crate::topology::load(x); }\n\
             mod tests { use super::*; use super::super::icon; }\n",
        );
        let module: ModPath = vec!["rules".into(), "cert".into()];
        let parsed = parse(&text, &module);
        let got: BTreeSet<String> = parsed.paths.iter().map(|p| p.join("::")).collect();
        let want: BTreeSet<String> = [
            "rules::Finding",
            "rules::ha::option_differences",
            "rules",
            "pki",
            "pki::material::Material",
            "pki::material::CaMaterial",
            "topology::load",
            "rules::cert",
            "rules::icon",
            "rules::cert::catalogue::RULES",
            "rules::cert::catalogue::RuleId",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(got, want);
        // `pub use child::Name` re-exports Name from child (here: a child of `rules::cert`).
        assert_eq!(
            parsed.reexports.get("RuleId").map(String::as_str),
            Some("catalogue")
        );
        assert!(!parsed.reexports.contains_key("Finding"));
    }

    #[test]
    fn test_code_is_left_out() {
        let text = strip(
            "use crate::a::x;\n\
             #[cfg(test)]\nmod testkit;\n\
             #[cfg(test)]\n#[allow(dead_code)]\nmod tests { use crate::b::y; fn f() { crate::c::z(); } }\n\
             #[cfg(test)]\nuse crate::d::{w, v};\n\
             fn g() { crate::e::u(); }\n",
        );
        let parsed = parse(&text, &vec!["m".to_string()]);
        let got: Vec<String> = parsed.paths.iter().map(|p| p.join("::")).collect();
        assert_eq!(got, ["a::x", "e::u"]);
        assert_eq!(
            parsed.test_modules,
            [vec!["m".to_string(), "testkit".to_string()]]
        );
    }
}
