//! No import cycles between the crate's modules (issue 11, Step 7).
//!
//! Reads every `harness/src/**/*.rs`, resolves the `crate::`, `super::` and `self::` paths it
//! names (in `use` declarations and in code), and builds one graph per module: between the
//! top-level modules of the crate, and between the submodules of each module. A path into a
//! module's own root (`super::Finding` from `rules/ha.rs`) is no edge, unless the root re-exports
//! the name from a submodule (`pub use catalogue::RuleId`), which is then the edge's target. A
//! strongly connected set of two or more modules is a cycle, and fails the test by name.
//!
//! Test code is left out (`#[cfg(test)]` items, and the files of `#[cfg(test)] mod x;`): a
//! test may build its fixtures with any module; what must not loop is the code that ships.
//!
//! The parser is a small hand one (comments, strings and char literals stripped, then paths
//! read off the tokens): a new dependency for this check would cost more than it saves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles that exist while other Step-7 work is in flight, as (module, members): a cycle
/// whose members are a subset of an entry is tolerated. The lead empties this list once
/// those branches have landed; an entry that matches no cycle any more fails the test, so
/// the list cannot go stale.
///
/// - `scenario`: load ↔ expect, load ↔ steps, and verdict ↔ connection: `scenario/` is being
///   split (judging moves to `check/`, `steps.rs` is rewritten).
/// - `report`: run ↔ junit, through `report/run.rs` re-exporting `junit::junit` for
///   `cli/run.rs` and `cli/artefacts.rs` (which can call `report::junit::junit` directly).
const ALLOWED: &[(&str, &[&str])] = &[
    ("scenario", &["expect", "load", "steps"]),
    ("scenario", &["connection", "verdict"]),
    ("report", &["junit", "run"]),
];

/// A module path below the crate root: `["pki", "generate"]`.
type ModPath = Vec<String>;

/// Edges between sibling modules, per parent module (`[]` is the crate root).
type Graphs = BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>>;

#[test]
fn the_crate_has_no_module_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graphs = graphs(&src);
    assert!(
        graphs.get(&Vec::new()).is_some_and(|g| g.len() > 5),
        "the crate root's graph was read: {graphs:?}"
    );
    let mut failures = Vec::new();
    let mut used = vec![false; ALLOWED.len()];
    for (parent, graph) in &graphs {
        for scc in cycles(graph) {
            let name = if parent.is_empty() {
                "crate".to_string()
            } else {
                parent.join("::")
            };
            let allowed = ALLOWED.iter().position(|(m, members)| {
                *m == name && scc.iter().all(|s| members.contains(&s.as_str()))
            });
            match allowed {
                Some(i) => used[i] = true,
                None => failures.push(format!(
                    "cycle in `{name}`: {} (members: {})",
                    describe(graph, &scc),
                    scc.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
            }
        }
    }
    for (i, (m, members)) in ALLOWED.iter().enumerate() {
        if !used[i] {
            failures.push(format!(
                "ALLOWED lists a cycle in `{m}` among {members:?} that no longer exists: remove it"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every module graph of the crate whose sources are under `src`.
fn graphs(src: &Path) -> Graphs {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let modules: Vec<(ModPath, PathBuf)> = files
        .iter()
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let known: BTreeSet<&ModPath> = modules.iter().map(|(m, _)| m).collect();
    let mut reexports: BTreeMap<ModPath, BTreeMap<String, String>> = BTreeMap::new();
    let mut paths: Vec<(ModPath, Vec<ModPath>)> = Vec::new();
    let mut test_modules: Vec<ModPath> = Vec::new();
    for (module, file) in &modules {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let parsed = parse(&strip(&text), module);
        reexports
            .entry(module.clone())
            .or_default()
            .extend(parsed.reexports);
        paths.push((module.clone(), parsed.paths));
        test_modules.extend(parsed.test_modules);
    }
    let mut graphs = Graphs::new();
    for (from, targets) in paths {
        if test_modules.iter().any(|t| from.starts_with(t)) {
            continue;
        }
        for target in targets {
            if let Some((parent, a, b)) = edge(&from, &target, &known, &reexports) {
                graphs
                    .entry(parent)
                    .or_default()
                    .entry(a)
                    .or_default()
                    .insert(b);
            }
        }
    }
    graphs
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/pki/generate.rs` and `src/pki/generate/mod.rs` are `["pki", "generate"]`;
/// `lib.rs` and `main.rs` are the root.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).expect("a file under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The edge `target` draws from `from`: (their common parent, `from`'s child of it, the
/// target's child of it), or none when one contains the other or the target is no module.
fn edge(
    from: &ModPath,
    target: &ModPath,
    known: &BTreeSet<&ModPath>,
    reexports: &BTreeMap<ModPath, BTreeMap<String, String>>,
) -> Option<(ModPath, String, String)> {
    let common = from.iter().zip(target).take_while(|(a, b)| a == b).count();
    // A module's use of its own descendants, or of items of an ancestor, is no cycle edge
    // unless the ancestor re-exports them from a sibling.
    let child_from = from.get(common)?.clone();
    let parent: ModPath = from[..common].to_vec();
    let name = target.get(common)?;
    let mut child_path = parent.clone();
    child_path.push(name.clone());
    let child_to = if known.contains(&child_path) {
        name.clone()
    } else {
        reexports.get(&parent)?.get(name)?.clone()
    };
    (child_to != child_from).then_some((parent, child_from, child_to))
}

/// What one file names.
struct Parsed {
    /// Absolute paths (below the crate root) named by `use` or in code.
    paths: Vec<ModPath>,
    /// For a module root: `pub use child::Name` as Name → child.
    reexports: BTreeMap<String, String>,
    /// Modules declared `#[cfg(test)] mod name;` here, whose files are test code.
    test_modules: Vec<ModPath>,
}

/// Blanks comments, string and char literals (keeping line structure irrelevant: only
/// tokens matter).
fn strip(text: &str) -> String {
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
fn tokens(text: &str) -> Vec<String> {
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
fn parse(text: &str, module: &ModPath) -> Parsed {
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
fn closing(toks: &[String], at: usize, open: &str, close: &str) -> usize {
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

fn is_ident(t: &str) -> bool {
    t.chars().all(|c| c.is_alphanumeric() || c == '_') && !t.is_empty()
}

/// One leaf of a use tree: the path it names, and the name it binds (its last element, or
/// the `as` alias).
type Leaf = (Vec<String>, String);

/// Expands a use tree (`crate::a::{b, c::{d, e as f}, self}`) into its leaves.
fn expand(toks: &[String], prefix: &[String], out: &mut Vec<Leaf>) {
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
fn absolute(path: &[String], module: &ModPath) -> Option<ModPath> {
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

/// The strongly connected sets of two or more nodes (Tarjan), each sorted.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                scc.insert(w.to_string());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// One cycle through the set, as `a -> b -> a` (a shortest one through its first member),
/// then every edge inside the set.
fn describe(graph: &BTreeMap<String, BTreeSet<String>>, scc: &BTreeSet<String>) -> String {
    let inside = |v: &str| -> Vec<&str> {
        graph
            .get(v)
            .into_iter()
            .flatten()
            .filter(|w| scc.contains(*w))
            .map(String::as_str)
            .collect()
    };
    let edges: Vec<String> = scc
        .iter()
        .flat_map(|v| inside(v).into_iter().map(move |w| format!("{v} -> {w}")))
        .collect();
    let Some(start) = scc.iter().next().map(String::as_str) else {
        return String::new();
    };
    // Breadth-first from `start` until an edge leads back to it.
    let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut cycle = Vec::new();
    'search: while let Some(v) = queue.pop_front() {
        for w in inside(v) {
            if w == start {
                let mut at = v;
                cycle.push(v);
                while let Some(p) = prev.get(at) {
                    cycle.push(p);
                    at = p;
                }
                break 'search;
            }
            if w != start && !prev.contains_key(w) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    // `cycle` runs from the last module back to the first (start is pushed by the walk, or
    // is `v` itself for a two-module cycle).
    if cycle.last() != Some(&start) {
        cycle.push(start);
    }
    cycle.reverse();
    cycle.push(start);
    format!("{} [edges: {}]", cycle.join(" -> "), edges.join(", "))
}

fn graph_of(edges: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in edges {
        g.entry(a.to_string()).or_default().insert(b.to_string());
    }
    g
}

#[test]
fn the_cycle_finder_finds_a_cycle_and_names_it() {
    let g = graph_of(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")]);
    let found = cycles(&g);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0],
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(
        describe(&g, &found[0]),
        "a -> b -> c -> a [edges: a -> b, b -> c, c -> a]"
    );
}

#[test]
fn the_cycle_finder_passes_a_dag_and_finds_two_separate_cycles() {
    let dag = graph_of(&[("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")]);
    assert!(cycles(&dag).is_empty());
    let two = graph_of(&[("a", "b"), ("b", "a"), ("c", "d"), ("d", "c"), ("b", "c")]);
    assert_eq!(cycles(&two).len(), 2);
}

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

#[test]
fn edges_go_between_siblings_and_follow_reexports() {
    let known_paths: Vec<ModPath> = [
        &["rules"][..],
        &["rules", "ha"],
        &["rules", "catalogue"],
        &["topology"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| s.to_string()).collect())
    .collect();
    let known: BTreeSet<&ModPath> = known_paths.iter().collect();
    let mut reexports = BTreeMap::new();
    reexports.insert(
        vec!["rules".to_string()],
        BTreeMap::from([("RuleId".to_string(), "catalogue".to_string())]),
    );
    let p = |s: &str| -> ModPath { s.split("::").map(str::to_string).collect() };
    let ha = p("rules::ha");
    // To a sibling through the parent's re-export.
    assert_eq!(
        edge(&ha, &p("rules::RuleId"), &known, &reexports),
        Some((p("rules"), "ha".into(), "catalogue".into()))
    );
    // To an item of the parent itself: none.
    assert_eq!(edge(&ha, &p("rules::Finding"), &known, &reexports), None);
    // Across the crate root.
    assert_eq!(
        edge(&ha, &p("topology::App"), &known, &reexports),
        Some((Vec::new(), "rules".into(), "topology".into()))
    );
    // A parent into its child: none.
    assert_eq!(
        edge(&p("rules"), &p("rules::ha::check"), &known, &reexports),
        None
    );
}
