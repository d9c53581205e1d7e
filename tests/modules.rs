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

#[path = "modules/parse.rs"]
mod parse;

use parse::{parse, strip};

/// Cycles tolerated, as (module, members): a cycle whose members are a subset of an entry
/// is allowed. Empty: the crate has no module cycle. An entry that matches no cycle fails the
/// test, so the list cannot go stale if one is ever added.
const ALLOWED: &[(&str, &[&str])] = &[];

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
