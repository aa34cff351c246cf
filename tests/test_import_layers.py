"""Imports point down the layers of ``nlp_rnn``, and no module reaches itself through others.

Every ``.py`` file of ``nlp_rnn/`` is parsed with :mod:`ast` (nothing is imported) and each of its
imports of ``nlp_rnn`` is read: absolute (``import nlp_rnn.x``, ``from nlp_rnn.x import y``) and
relative (``from ..x import y``, ``from . import y``), at the top of the file or inside a function
or method. Imports under ``if TYPE_CHECKING:`` are left out (they never run; they name a type for
the type checker only). ``from pkg import name`` counts as an import of the module ``pkg.name``
when that module exists, else of ``pkg``. Imports by name at run time (``importlib``) are not read;
the package uses them only inside its own subpackage (``data.convert``, ``pipeline.factories``).

The layers, from the top (written once, here; the order agrees with ``../shared/DESIGN.md``'s, which
names fewer parts: checked below)::

    cli (with nlp_rnn/__main__.py), api (nlp_rnn/api.py)
    serving, annotate, export, tuning, explain
    pipeline
    evaluation, generation, pretrain
    architectures
    nn, oos, onnx_runtime, data, training, tokenizers
    root: the small shared modules directly in nlp_rnn/ (and nlp_rnn/__init__.py)

A module may import any module of a lower layer, and a module of its own layer (its own package
or a sibling of that layer) as long as that makes no cycle; it may never import a module of a
higher layer. No import cycle at all, between any two modules: a cycle counts the package
``__init__`` that Python runs when a module imports into another package (a module outside
``data`` that imports ``data.records`` runs ``data/__init__.py`` first, which imports
``data.convert``: had ``data.convert`` imported that module back, it would be a cycle).

Where each part sits, and why:

- ``cli`` (and ``__main__``, which runs it): the typer commands; the front of everything. ``api``:
  the public Python names scripts import (loaded lazily by name, so its imports are not read here).
- ``serving`` (FastAPI around a loaded pipeline), ``annotate`` (batch annotation of corpora),
  ``export`` (ONNX export and the exported ``*_onnx`` components), ``tuning`` (``nlp-rnn tune``),
  ``explain`` (occlusion explanations of ``predict --explain``): applications of trained
  pipelines and pipes; they use the pipes and what is below, never each other's insides in a loop.
- ``pipeline``: the torch component of every head (``rnn_pipe``) and the heads' tasks (``task``: the
  contract; ``intent_task``, ``joint_task``, ``translator_task``, ``lm_task``: what the torch and the
  exported pipes share, torch-free; ``intent``, ``joint``, ``translator``, ``lm``: each head's torch
  half and factories), the torch half of out-of-scope fitting, the LM corpus reader.
  ``pipeline.factories`` is the entry points' target.
- ``evaluation`` (metrics and evaluators over Docs), ``generation`` (sampling from a character LM
  module, given the pipe's vocabulary and module: it does not import the pipe), ``pretrain``
  (encoder pretraining and starting a task model from it): below the pipes that use them.
- ``architectures``: registered thinc builders wrapping the ``nn`` modules (thinc glue).
- ``nn`` (plain torch modules), ``oos`` (the numpy out-of-scope runtime), ``onnx_runtime``
  (onnxruntime sessions and the numpy CRF behind every exported head), ``data`` (readers and
  converters of data sets, including ``--oos-label`` records), ``training`` (spaCy's loop, override
  checks, the cached corpus), ``tokenizers`` (jieba): the foundations, torch or numpy or spaCy.
- root, torch-free except where noted: ``records`` (Doc → record), ``prediction`` (records of
  ``predict``), ``span_edges``, ``tag_schemes`` (BIO/BILUO), ``slot_tags`` (slot labels ↔ BILUO
  tag ids and spans), ``length_buckets`` (length-sorted sub-batches), ``featurizer`` (Doc → id
  arrays) and ``softword`` (jieba word-boundary features), ``extensions`` (the one installer of
  ``Doc._`` / ``Span._`` attributes), ``exported`` (telling an exported pipeline from a torch one),
  ``language`` (blank pipelines), ``loading`` (``spacy.load`` with one clear error),
  ``torch_requirement`` (is torch there), ``threads`` (thread settings); and what the torch
  translator / LM and their exported (ONNX) twins share without torch: ``target_vocab`` and
  ``char_vocab`` (units ↔ ids), ``translation_settings`` (decoding defaults and length bound),
  ``translation_output`` (predictions → ``doc._.translation``), ``array_search`` (greedy and beam
  search in numpy, checked against ``nn.search``).

Two more rules, read from the same trees: components register through entry points only (no
``import nlp_rnn.x`` kept for its side effect of registering factories), and
``nlp_rnn/extensions.py`` is the only module that calls ``set_extension``. The entry points in
``pyproject.toml`` must name a module and a top-level name that exist.
"""

import ast
import re
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import pytest

PACKAGE = "nlp_rnn"
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / PACKAGE
ROOT_LAYER = "<root>"

#: Layers from the top: subpackages by name (``__main__`` is part of ``cli``); :data:`ROOT_LAYER` is the root's modules.
LAYERS: Tuple[Tuple[str, ...], ...] = (
    ("cli", "api"),
    ("serving", "annotate", "export", "tuning", "explain"),
    ("pipeline",),
    ("evaluation", "generation", "pretrain"),
    ("architectures",),
    ("nn", "oos", "onnx_runtime", "data", "training", "tokenizers"),
    (ROOT_LAYER,),
)
#: The modules directly in ``nlp_rnn/`` (besides ``__main__``); a new one must be placed here.
ROOT_MODULES = {
    "records", "prediction", "span_edges", "tag_schemes", "slot_tags", "length_buckets", "featurizer", "softword",
    "extensions", "exported", "language", "loading", "torch_requirement", "threads",
    "target_vocab", "char_vocab", "translation_settings", "translation_output", "array_search",
}
EXTENSION_INSTALLER = f"{PACKAGE}.extensions"


class Import:
    """One import of an nlp_rnn module: who imports what, where."""

    def __init__(self, source: str, target: str, line: int, statement: ast.stmt):
        self.source, self.target, self.line, self.statement = source, target, line, statement

    def __repr__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def module_files() -> Dict[str, Path]:
    """Dotted module name → file, for every ``.py`` under ``nlp_rnn/`` (``pkg/__init__.py`` is ``pkg``)."""
    modules = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = module_files()
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in MODULES.items()}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield child
                yield from statements(child)
            continue
        yield node
        yield from statements(node)


def _existing(name: str) -> Optional[str]:
    """``name`` or its nearest enclosing module that exists in nlp_rnn."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(source: str) -> List[Import]:
    """The nlp_rnn modules ``source`` imports (see the module docstring)."""
    package = source if is_package(source) else source.rpartition(".")[0]
    found = []
    for node in statements(TREES[source]):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module for alias in node.names]
        else:
            continue
        for target in dict.fromkeys(_existing(name) for name in names if name == PACKAGE or name.startswith(PACKAGE + ".")):
            if target is not None and target != source:
                found.append(Import(source, target, node.lineno, node))
    return found


IMPORTS = {name: imports_of(name) for name in MODULES}


def part_of(module: str) -> str:
    """The subpackage a module belongs to (``cli`` for ``__main__``); :data:`ROOT_LAYER` for the
    root's modules and the package itself."""
    parts = module.split(".")
    if module == f"{PACKAGE}.__main__":
        return "cli"
    if module == f"{PACKAGE}.api":
        return "api"
    if len(parts) == 1 or (len(parts) == 2 and not is_package(module)):
        return ROOT_LAYER
    return parts[1]


def layer_of(module: str) -> Optional[int]:
    """Index of the module's layer in :data:`LAYERS` (0 = top), or None when it is not placed."""
    part = part_of(module)
    if part == ROOT_LAYER and len(module.split(".")) == 2 and module.split(".")[1] not in ROOT_MODULES:
        return None
    for index, parts in enumerate(LAYERS):
        if part in parts:
            return index
    return None


def run_edges() -> Dict[str, Set[str]]:
    """Module → modules that importing it runs: its imports, plus, for an import into another
    package, that package's ``__init__`` (and those of the packages around it, up to the one
    both share)."""
    edges: Dict[str, Set[str]] = {name: set() for name in MODULES}
    for source, found in IMPORTS.items():
        own = source if is_package(source) else source.rpartition(".")[0]
        for imp in found:
            edges[source].add(imp.target)
            package = imp.target if is_package(imp.target) else imp.target.rpartition(".")[0]
            while package and package != own and not own.startswith(package + "."):
                if package != source:
                    edges[source].add(package)
                package = package.rpartition(".")[0]
    return edges


def strongly_connected(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """Tarjan's algorithm (iterative): the components of more than one module."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    on_stack: Set[str] = set()
    stack: List[str] = []
    found = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def a_cycle(component: List[str], edges: Dict[str, Set[str]]) -> List[str]:
    """One cycle through the first module of a strongly connected component (breadth first)."""
    members = set(component)
    start = component[0]
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(edges[node] & members):
            if child == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return component


def test_the_reader_sees_every_form_of_import():
    """A guard for the tests below: relative, absolute, inside a function, ``from . import
    module``, and not under ``TYPE_CHECKING``."""
    targets = {name: {imp.target for imp in found} for name, found in IMPORTS.items()}
    assert f"{PACKAGE}.slot_tags" in targets[f"{PACKAGE}.pipeline.joint_task"]  # from ..slot_tags import
    assert f"{PACKAGE}.cli" in targets[f"{PACKAGE}.__main__"]  # from nlp_rnn.cli import main
    assert f"{PACKAGE}.training.overrides" in targets[f"{PACKAGE}.cli.train"]  # inside a function
    assert f"{PACKAGE}.cli.annotate" in targets[f"{PACKAGE}.cli"]  # from . import annotate
    assert f"{PACKAGE}.annotate.inputs" not in targets[f"{PACKAGE}.annotate.input_reader"]  # TYPE_CHECKING only


def design_layer_groups(text: str) -> List[List[str]]:
    """The layer paragraph of DESIGN.md ("Layers, from the top: `a` → `b`, `c` (notes) → ...")
    as groups of backticked package names, top first."""
    flat = " ".join(text.split())
    start = flat.index("Layers, from the top:")
    paragraph = flat[start:flat.index(".", flat.index("small shared modules", start))]
    return [re.findall(r"`([a-z_]+)`", group) for group in paragraph.split("→")]


def test_the_layer_order_agrees_with_design_md():
    """Every package DESIGN.md places sits in our LAYERS in the same order (ours may add packages
    DESIGN.md does not name, such as ``explain`` and ``tokenizers``)."""
    design = ROOT.parent / "shared" / "DESIGN.md"
    if not design.is_file():
        pytest.skip("../shared/DESIGN.md is not there")
    groups = [group for group in design_layer_groups(design.read_text(encoding="utf-8")) if group]
    assert len(groups) >= 4, f"could not read the layer paragraph of {design}: {groups}"
    ours = {part: index for index, parts in enumerate(LAYERS) for part in parts}
    for upper, lower in zip(groups, groups[1:]):
        for name in upper + lower:
            assert name in ours, f"DESIGN.md names layer {name!r}; place it in LAYERS"
        assert max(ours[name] for name in upper) < min(ours[name] for name in lower), (
            f"DESIGN.md puts {upper} above {lower}; LAYERS should too"
        )
    for group in groups:
        assert len({ours[name] for name in group}) == 1, f"DESIGN.md puts {group} in one layer; LAYERS should too"


def test_design_layer_paragraph_reader():
    text = "- Layers, from the top: `cli` → `serving`, `export` → `pipeline` (pipes,\n  tasks) → `nn` (torch), `data` → small shared modules (records). An import points down."
    assert design_layer_groups(text) == [["cli"], ["serving", "export"], ["pipeline"], ["nn", "data"], []]


def test_every_module_has_a_layer():
    unplaced = sorted(name for name in MODULES if layer_of(name) is None)
    assert not unplaced, f"place these in LAYERS / ROOT_MODULES of {Path(__file__).name} (and say why in its docstring): {unplaced}"
    missing = sorted(ROOT_MODULES - {name.split(".")[1] for name in MODULES if part_of(name) == ROOT_LAYER and "." in name})
    assert not missing, f"ROOT_MODULES names modules that do not exist: {missing}"


def test_no_import_points_up():
    upward = [
        f"{MODULES[imp.source].relative_to(ROOT)}:{imp.line}: {imp.source} imports {imp.target}"
        for found in IMPORTS.values()
        for imp in found
        if None not in (layer_of(imp.source), layer_of(imp.target)) and layer_of(imp.target) < layer_of(imp.source)
    ]
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_no_import_cycles():
    edges = run_edges()
    cycles = [" -> ".join(a_cycle(component, edges)) for component in strongly_connected(edges)]
    assert not cycles, "import cycles (a loop between files: a third concept wants its own file):\n" + "\n".join(cycles)


def test_components_register_through_entry_points_not_side_effect_imports():
    """``import nlp_rnn.x`` binds only ``nlp_rnn``: in this package it is only ever written to
    run a module for its side effects (registering factories), which the entry points do."""
    found = [
        f"{MODULES[imp.source].relative_to(ROOT)}:{imp.line}: import {imp.target}"
        for found in IMPORTS.values()
        for imp in found
        if isinstance(imp.statement, ast.Import)
    ]
    assert not found, "side-effect imports (components register through pyproject's entry points):\n" + "\n".join(found)


def test_one_installer_of_extension_attributes():
    calls = [
        f"{MODULES[name].relative_to(ROOT)}:{node.lineno}"
        for name, tree in TREES.items()
        if name != EXTENSION_INSTALLER
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set_extension"
    ]
    assert not calls, f"set_extension outside {EXTENSION_INSTALLER} (add the attribute to install_extensions):\n" + "\n".join(calls)


def _top_level_names(tree: ast.Module) -> Set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def test_entry_points_name_existing_modules_and_functions():
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"].get("entry-points", {})
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"].get("scripts", {})
    targets = [(f"{group}:{name}", value) for group, points in groups.items() for name, value in points.items()]
    targets += [(f"scripts:{name}", value) for name, value in scripts.items()]
    broken = []
    for label, value in targets:
        module, _, attribute = value.partition(":")
        if module not in MODULES:
            broken.append(f"{label} = {value}: no module {module}")
        elif attribute and attribute not in _top_level_names(TREES[module]):
            broken.append(f"{label} = {value}: {module} has no top-level {attribute}")
    assert not broken, "\n".join(broken)
