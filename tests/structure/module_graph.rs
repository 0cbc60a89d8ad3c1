//! The module graph of one crate, read from its source with `syn`, and the import cycles in it.
//!
//! A module depends on another when its code names that module or an item in it: a `use`, or a
//! path in code or in a macro call starting with `crate::`, `self::` or `super::`. Names are
//! followed through `use` bindings and re-exports to the module that defines the item, so
//! `crate::Error` counts as a use of `error`, not of the crate root.
//!
//! A parent and its own children own each other by definition (`mod child;` and `super::…`), so
//! an edge between a module and one of its ancestors is not a dependency. Any other edge is lifted
//! to the two siblings under the modules' nearest common ancestor: `engine::handout` using
//! `fields` makes `engine → fields`. A cycle is a strongly connected set of such siblings.
//!
//! Items under `#[cfg(test)]` are left out, as in the compiled crate (and as `cargo-modules`
//! does by default): tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// A module's path from the crate root, e.g. `["engine", "handout"]`; the root is `[]`.
pub(crate) type ModPath = Vec<String>;

/// One crate's modules and their dependencies.
#[derive(Debug, Default)]
pub(crate) struct ModuleGraph {
    modules: BTreeMap<ModPath, Module>,
}

#[derive(Debug, Default)]
struct Module {
    file: PathBuf,
    children: BTreeSet<String>,
    /// Items defined here (types, functions, consts, …).
    items: BTreeSet<String>,
    /// `use` bindings: name → the path it stands for, absolute from the crate root.
    bindings: BTreeMap<String, Vec<String>>,
    /// `use …::*` targets, absolute.
    globs: Vec<Vec<String>>,
    /// Every path this module names that is inside the crate, absolute.
    refs: Vec<Vec<String>>,
}

/// One dependency between two sibling modules, with the reference that made it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Edge {
    pub(crate) from: ModPath,
    pub(crate) to: ModPath,
    /// The module whose code holds the reference, its file and the path it names.
    pub(crate) evidence: String,
}

/// A set of sibling modules that depend on each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle {
    /// The siblings, as full paths from the crate root.
    pub(crate) modules: Vec<ModPath>,
    /// The edges among them.
    pub(crate) edges: Vec<Edge>,
}

impl Cycle {
    /// The cycle's modules as `a ↔ b ↔ c`, e.g. `connection ↔ fields`.
    pub(crate) fn names(&self) -> String {
        self.modules
            .iter()
            .map(|m| show(m))
            .collect::<Vec<_>>()
            .join(" ↔ ")
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.names())?;
        for e in &self.edges {
            writeln!(f, "    {} → {}: {}", show(&e.from), show(&e.to), e.evidence)?;
        }
        Ok(())
    }
}

/// A module path as written in Rust, `crate` for the root.
pub(crate) fn show(path: &[String]) -> String {
    if path.is_empty() {
        "crate".to_owned()
    } else {
        path.join("::")
    }
}

impl ModuleGraph {
    /// Reads the crate whose root file (`lib.rs`, `main.rs`, …) is `root`.
    pub(crate) fn read(root: &Path) -> Result<Self, String> {
        let mut graph = Self::default();
        graph.read_file(&[], root, true)?;
        Ok(graph)
    }

    /// Every module's path, root first.
    pub(crate) fn modules(&self) -> impl Iterator<Item = &ModPath> {
        self.modules.keys()
    }

    fn read_file(&mut self, path: &[String], file: &Path, owns_dir: bool) -> Result<(), String> {
        let text =
            fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let parsed =
            syn::parse_file(&text).map_err(|e| format!("cannot parse {}: {e}", file.display()))?;
        // Where `mod child;` files live: beside a crate root or mod.rs, else in a folder named
        // after the module.
        let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
        let child_dir = if owns_dir {
            dir
        } else {
            dir.join(file.file_stem().unwrap_or_default())
        };
        self.read_items(path, file, &child_dir, &parsed.items)
    }

    fn read_items(
        &mut self,
        path: &[String],
        file: &Path,
        child_dir: &Path,
        items: &[syn::Item],
    ) -> Result<(), String> {
        let mut module = Module {
            file: file.to_path_buf(),
            ..Module::default()
        };
        let mut nested = Vec::new();
        for item in items {
            if is_cfg_test(item_attrs(item)) {
                continue;
            }
            match item {
                syn::Item::Mod(m) => {
                    let name = m.ident.to_string();
                    module.children.insert(name.clone());
                    nested.push(m);
                }
                syn::Item::Use(u) => collect_use(path, &u.tree, Vec::new(), &mut module),
                other => {
                    if let Some(name) = item_name(other) {
                        module.items.insert(name);
                    }
                    let mut refs = RefCollector {
                        here: path,
                        refs: &mut module.refs,
                    };
                    refs.visit_item(other);
                }
            }
        }
        self.modules.insert(path.to_vec(), module);
        for m in nested {
            let mut child = path.to_vec();
            child.push(m.ident.to_string());
            let explicit = path_attr(&m.attrs);
            if let Some((_, inline)) = &m.content {
                let dir =
                    explicit.map_or_else(|| child_dir.join(m.ident.to_string()), PathBuf::from);
                self.read_items(&child, file, &dir, inline)?;
            } else {
                let (child_file, owns_dir) = match explicit {
                    Some(p) => (child_dir.join(p), true),
                    None => find_module_file(child_dir, &m.ident.to_string())?,
                };
                self.read_file(&child, &child_file, owns_dir)?;
            }
        }
        Ok(())
    }

    /// The module an absolute path lands in, following `use` bindings and re-exports.
    fn resolve(&self, path: &[String], depth: usize) -> Option<ModPath> {
        if depth > 16 {
            return None;
        }
        let mut here: ModPath = Vec::new();
        for (i, seg) in path.iter().enumerate() {
            let module = self.modules.get(&here)?;
            if module.children.contains(seg) {
                here.push(seg.clone());
                continue;
            }
            if module.items.contains(seg) {
                return Some(here);
            }
            if let Some(target) = module.bindings.get(seg) {
                let mut next = target.clone();
                next.extend_from_slice(&path[i + 1..]);
                return self.resolve(&next, depth + 1).or(Some(here));
            }
            for glob in &module.globs {
                let mut next = glob.clone();
                next.extend_from_slice(&path[i..]);
                if let Some(found) = self.resolve_defined(&next, depth + 1) {
                    return Some(found);
                }
            }
            return Some(here);
        }
        Some(here)
    }

    /// Like `resolve`, but only when the name is really found there.
    fn resolve_defined(&self, path: &[String], depth: usize) -> Option<ModPath> {
        let (last, parent) = path.split_last()?;
        let module_path = self.resolve(parent, depth)?;
        let module = self.modules.get(&module_path)?;
        let known = module.children.contains(last)
            || module.items.contains(last)
            || module.bindings.contains_key(last);
        if known {
            self.resolve(path, depth)
        } else {
            None
        }
    }

    /// The dependencies between sibling modules, one edge per distinct reference.
    pub(crate) fn edges(&self) -> Vec<Edge> {
        let mut edges = BTreeSet::new();
        for (from, module) in &self.modules {
            for r in &module.refs {
                let Some(to) = self.resolve(r, 0) else {
                    continue;
                };
                if to.starts_with(from) || from.starts_with(&to) {
                    continue;
                }
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                edges.insert(Edge {
                    from: from[..=common].to_vec(),
                    to: to[..=common].to_vec(),
                    evidence: format!(
                        "{} ({}) names crate::{}",
                        show(from),
                        module.file.display(),
                        r.join("::")
                    ),
                });
            }
        }
        edges.into_iter().collect()
    }

    /// The import cycles: each set of siblings that depend on each other.
    pub(crate) fn cycles(&self) -> Vec<Cycle> {
        let edges = self.edges();
        let mut adjacency: BTreeMap<&ModPath, BTreeSet<&ModPath>> = BTreeMap::new();
        for e in &edges {
            adjacency.entry(&e.from).or_default().insert(&e.to);
        }
        let reach = |start: &ModPath| -> BTreeSet<ModPath> {
            let mut seen = BTreeSet::new();
            let mut todo = vec![start.clone()];
            while let Some(m) = todo.pop() {
                for next in adjacency.get(&m).into_iter().flatten() {
                    if seen.insert((*next).clone()) {
                        todo.push((*next).clone());
                    }
                }
            }
            seen
        };
        let mut done = BTreeSet::new();
        let mut cycles = Vec::new();
        for node in adjacency.keys() {
            if done.contains(*node) {
                continue;
            }
            let forward = reach(node);
            if !forward.contains(*node) {
                continue;
            }
            let members: Vec<ModPath> = forward
                .into_iter()
                .filter(|m| reach(m).contains(*node))
                .collect();
            done.extend(members.iter().cloned());
            let set: BTreeSet<&ModPath> = members.iter().collect();
            let edges = edges
                .iter()
                .filter(|e| set.contains(&e.from) && set.contains(&e.to))
                .cloned()
                .collect();
            cycles.push(Cycle {
                modules: members,
                edges,
            });
        }
        cycles
    }
}

fn find_module_file(dir: &Path, name: &str) -> Result<(PathBuf, bool), String> {
    let flat = dir.join(format!("{name}.rs"));
    let nested = dir.join(name).join("mod.rs");
    if flat.is_file() {
        Ok((flat, false))
    } else if nested.is_file() {
        Ok((nested, true))
    } else {
        Err(format!(
            "module {name}: neither {} nor {} exists",
            flat.display(),
            nested.display()
        ))
    }
}

/// Flattens a `use` tree into bindings (and references) of `module`, absolute where possible.
fn collect_use(here: &[String], tree: &syn::UseTree, mut prefix: Vec<String>, module: &mut Module) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            collect_use(here, &p.tree, prefix, module);
        }
        syn::UseTree::Group(g) => {
            for t in &g.items {
                collect_use(here, t, prefix.clone(), module);
            }
        }
        syn::UseTree::Name(n) => bind(here, prefix, &n.ident.to_string(), None, module),
        syn::UseTree::Rename(r) => {
            bind(
                here,
                prefix,
                &r.ident.to_string(),
                Some(r.rename.to_string()),
                module,
            );
        }
        syn::UseTree::Glob(_) => {
            if let Some(abs) = absolute(here, &prefix, module) {
                module.refs.push(abs.clone());
                module.globs.push(abs);
            }
        }
    }
}

fn bind(
    here: &[String],
    mut prefix: Vec<String>,
    name: &str,
    rename: Option<String>,
    m: &mut Module,
) {
    let alias = rename.unwrap_or_else(|| name.to_owned());
    if name != "self" {
        prefix.push(name.to_owned());
    }
    if let Some(abs) = absolute(here, &prefix, m) {
        m.refs.push(abs.clone());
        if alias != "_" && alias != "self" {
            m.bindings.insert(alias, abs);
        } else if let (true, Some(last)) = (alias == "self", prefix.last()) {
            m.bindings.insert(last.clone(), abs);
        }
    }
}

/// The absolute form of a path written in module `here`, or `None` for another crate's path.
fn absolute(here: &[String], path: &[String], module: &Module) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => here.to_vec(),
        "super" => {
            let mut base = here.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
            base.extend_from_slice(rest);
            return Some(base);
        }
        name if module.children.contains(name) => {
            let mut abs = here.to_vec();
            abs.extend_from_slice(path);
            return Some(abs);
        }
        name => {
            let mut abs = module.bindings.get(name)?.clone();
            abs.extend_from_slice(&path[1..]);
            return Some(abs);
        }
    };
    base.extend_from_slice(&path[1..]);
    Some(base)
}

/// Collects the crate-internal paths an item names, in code and in macro calls.
struct RefCollector<'a> {
    here: &'a [String],
    refs: &'a mut Vec<Vec<String>>,
}

impl RefCollector<'_> {
    fn push(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        if !matches!(first.as_str(), "crate" | "self" | "super") || segments.len() < 2 {
            return;
        }
        let empty = Module::default();
        if let Some(abs) = absolute(self.here, segments, &empty) {
            self.refs.push(abs);
        }
    }

    fn scan_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => self.scan_tokens(g.stream()),
                TokenTree::Ident(id)
                    if matches!(id.to_string().as_str(), "crate" | "self" | "super") =>
                {
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    loop {
                        let colons = matches!(
                            (trees.get(j), trees.get(j + 1)),
                            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                                if a.as_char() == ':' && b.as_char() == ':'
                        );
                        match (colons, trees.get(j + 2)) {
                            (true, Some(TokenTree::Ident(next))) => {
                                segments.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    self.push(&segments);
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for RefCollector<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.push(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {}

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {}

    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !is_cfg_test(item_attrs(item)) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            syn::ImplItem::Type(t) => &t.attrs,
            _ => return syn::visit::visit_impl_item(self, item),
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_impl_item(self, item);
        }
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Const(i) => &i.ident,
        syn::Item::Enum(i) => &i.ident,
        syn::Item::Fn(i) => &i.sig.ident,
        syn::Item::Macro(i) => i.ident.as_ref()?,
        syn::Item::Static(i) => &i.ident,
        syn::Item::Struct(i) => &i.ident,
        syn::Item::Trait(i) => &i.ident,
        syn::Item::TraitAlias(i) => &i.ident,
        syn::Item::Type(i) => &i.ident,
        syn::Item::Union(i) => &i.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// `#[cfg(test)]`, alone (not `cfg(any(test, …))`, which also builds outside tests).
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|id| id == "test")
    })
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.path().is_ident("path"))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
}
