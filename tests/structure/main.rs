//! The workspace's shape, checked: no module import cycles in any crate (issue 12, point 6).
//!
//! Every target of every workspace member (libraries, binaries, tests, benches) is read with
//! `syn` by `module_graph`; a cycle fails the test with the modules and the references that
//! close it, so the fix (move the shared piece down to the lower module) can start from there.
#![allow(missing_docs, clippy::missing_panics_doc)]

mod module_graph;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use module_graph::{ModuleGraph, show};

/// Cycles we know of and have not broken yet: `(package, "a ↔ b")`. The test fails on any other
/// cycle, and when one of these is gone (then delete its line). Do not add to it.
const KNOWN_CYCLES: &[(&str, &str)] = &[];

/// Every crate root in the workspace: (package/target name, root file).
fn crate_roots() -> Vec<(String, PathBuf)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(&workspace)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let mut roots = Vec::new();
    for package in meta["packages"].as_array().expect("packages") {
        for target in package["targets"].as_array().expect("targets") {
            let kinds: Vec<&str> = target["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str())
                .collect();
            if kinds.contains(&"custom-build") {
                continue;
            }
            let name = format!(
                "{} ({} {})",
                package["name"].as_str().unwrap_or("?"),
                kinds.join(","),
                target["name"].as_str().unwrap_or("?")
            );
            roots.push((
                name,
                PathBuf::from(target["src_path"].as_str().expect("src_path")),
            ));
        }
    }
    assert!(
        roots.len() >= 6,
        "expected the workspace's crates, found {roots:?}"
    );
    roots
}

#[test]
fn no_module_import_cycles_in_any_crate() {
    let mut found = Vec::new();
    let mut seen_known = BTreeSet::new();
    for (name, root) in crate_roots() {
        let graph = ModuleGraph::read(&root).unwrap_or_else(|e| panic!("{name}: {e}"));
        for cycle in graph.cycles() {
            let package = name.split(' ').next().unwrap_or_default();
            if KNOWN_CYCLES.contains(&(package, cycle.names().as_str())) {
                seen_known.insert((package.to_owned(), cycle.names()));
                continue;
            }
            // Paths relative to the workspace, as a person would look them up.
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap_or(Path::new(""));
            let text = format!("{name}: {cycle}").replace(&format!("{}/", workspace.display()), "");
            found.push(text);
        }
    }
    assert!(
        found.is_empty(),
        "module import cycles (move the shared piece down into the lower module):\n{}",
        found.join("\n")
    );
    for (package, names) in KNOWN_CYCLES {
        assert!(
            seen_known.contains(&((*package).to_owned(), (*names).to_owned())),
            "the known cycle {package}: {names} is gone: remove it from KNOWN_CYCLES"
        );
    }
}

/// Writes a small crate into a temp dir and reads its graph.
fn graph_of(files: &[(&str, &str)]) -> (tempfile::TempDir, ModuleGraph) {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (path, text) in files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("a folder");
        std::fs::write(file, text).expect("a file");
    }
    let graph = ModuleGraph::read(&dir.path().join("lib.rs")).expect("a readable crate");
    (dir, graph)
}

fn cycle_names(graph: &ModuleGraph) -> Vec<String> {
    graph
        .cycles()
        .iter()
        .map(module_graph::Cycle::names)
        .collect()
}

#[test]
fn a_use_each_way_between_siblings_is_a_cycle_named_by_its_modules() {
    let (_dir, graph) = graph_of(&[
        ("lib.rs", "mod a; mod b; mod c;"),
        ("a.rs", "use crate::b::B; pub struct A;"),
        ("b.rs", "pub struct B; fn f() -> crate::a::A { todo!() }"),
        ("c.rs", "use crate::a::A;"),
    ]);
    assert_eq!(cycle_names(&graph), ["a ↔ b"]);
    let text = graph.cycles()[0].to_string();
    assert!(
        text.contains("a → b") && text.contains("names crate::b::B"),
        "{text}"
    );
}

#[test]
fn a_one_way_use_is_no_cycle() {
    let (_dir, graph) = graph_of(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::B; pub struct A;"),
        ("b.rs", "pub struct B;"),
    ]);
    assert!(graph.cycles().is_empty());
}

#[test]
fn a_parent_and_its_children_are_ownership_not_a_cycle() {
    let (_dir, graph) = graph_of(&[
        ("lib.rs", "mod engine;"),
        (
            "engine/mod.rs",
            "mod handout; pub use handout::Handout; pub struct Engine;",
        ),
        (
            "engine/handout.rs",
            "use super::Engine; pub struct Handout;",
        ),
    ]);
    assert_eq!(
        graph.modules().map(|m| show(m)).collect::<Vec<_>>(),
        ["crate", "engine", "engine::handout"]
    );
    assert!(graph.cycles().is_empty());
}

#[test]
fn nested_modules_lift_to_the_siblings_under_their_common_parent() {
    let (_dir, graph) = graph_of(&[
        ("lib.rs", "mod engine; mod fields;"),
        ("engine.rs", "mod handout; mod lifecycle;"),
        (
            "engine/handout.rs",
            "pub fn hand() { super::lifecycle::live(); crate::fields::f(); }",
        ),
        (
            "engine/lifecycle.rs",
            "pub fn live() { super::handout::hand(); }",
        ),
        ("fields.rs", "pub fn f() {}"),
    ]);
    assert_eq!(cycle_names(&graph), ["engine::handout ↔ engine::lifecycle"]);
}

#[test]
fn re_exports_are_followed_to_the_defining_module() {
    let (_dir, graph) = graph_of(&[
        ("lib.rs", "mod error; mod fields; pub use error::Error;"),
        ("error.rs", "pub struct Error(crate::fields::Bad);"),
        (
            "fields.rs",
            "pub struct Bad; fn f() -> crate::Error { todo!() }",
        ),
    ]);
    assert_eq!(cycle_names(&graph), ["error ↔ fields"]);
}

#[test]
fn paths_inside_macro_calls_count() {
    let (_dir, graph) = graph_of(&[
        ("lib.rs", "mod a; mod b;"),
        (
            "a.rs",
            "pub fn f() { let _ = format!(\"{}\", crate::b::NAME); }",
        ),
        (
            "b.rs",
            "pub const NAME: &str = \"\"; fn g() { assert!(matches!(1, crate::a::X)); }",
        ),
    ]);
    assert_eq!(cycle_names(&graph), ["a ↔ b"]);
}

#[test]
fn test_only_code_does_not_count() {
    let (_dir, graph) = graph_of(&[
        ("lib.rs", "mod a; mod b;"),
        ("a.rs", "use crate::b::B; pub struct A;"),
        (
            "b.rs",
            "pub struct B;\n#[cfg(test)]\nmod tests { use crate::a::A; }\n#[cfg(test)]\nuse crate::a::A;",
        ),
    ]);
    assert!(graph.cycles().is_empty());
}
