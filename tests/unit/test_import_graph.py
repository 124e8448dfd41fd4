"""The arrows of the package point down: no import cycle, and the domain needs nothing outside itself.

The graph is read from the source (``ast``), not from ``sys.modules``: every ``import`` counts, at module
level or inside a function (a lazy import is still an arrow). An import under ``if TYPE_CHECKING:`` is an
arrow for the layers (the domain may not even name a type of ``rules/``), but not for cycles: it never runs,
and two dataclasses naming each other's types (``Rules.rates`` and ``compute_claim(legal: Legal)``) are fine.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import relance

PACKAGE = Path(relance.__file__).parent
# What the domain may import besides itself and the standard library: small pure libraries, no I/O.
# babel: the CLDR conventions (amounts, dates) for foreign debtors; pure, its locale data read lazily.
DOMAIN_MAY_IMPORT = {"jinja2", "markupsafe", "holidays", "babel"}
# The package's folders and top-level modules, lowest first: a module imports from its own layer or below.
LAYERS = (
    {"domain"},
    {"rules", "imports", "inbound", "letters", "litigation", "report", "payments", "datafile", "ports", "settings",
     "strictjson"},
    {"adapters"},
    {"app"},
    {"handlers", "web", "cli", "cliargs", "local"},
)
# Arrows that point up today, each to be removed when its module moves (the test fails when one is gone).
KNOWN_UPWARD = {
    "relance.litigation.dossier → relance.app.deliver",  # the dossier's covering letter uses the channel's builder
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, *, type_checking: bool) -> Iterator[ast.AST]:
    """``ast.walk``, leaving out what ``if TYPE_CHECKING:`` holds unless ``type_checking``."""
    for child in ast.iter_child_nodes(node):
        if not type_checking and _is_type_checking(child):
            yield from (n for orelse in child.orelse for n in (orelse, *_walk(orelse, type_checking=False)))
            continue
        yield child
        yield from _walk(child, type_checking=type_checking)


def _imports(name: str, path: Path, known: set[str], *, type_checking: bool) -> set[str]:
    """Every module ``name`` imports: ``relance.…`` modules by their name, others by their top package."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _walk(ast.parse(path.read_text(encoding="utf-8"), str(path)), type_checking=type_checking):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name`` imports mod.
            subs = {f"{source}.{alias.name}" for alias in node.names} & known
            found.update(subs or {source})
    return {m if m in known else m.split(".")[0] for m in found}


def _graph(*, type_checking: bool = True) -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known, type_checking=type_checking) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_every_module_of_the_package():
    graph = _graph()

    assert "relance.domain.planner" in graph
    assert "relance.handlers.evaluator" in graph
    assert "relance.domain.model" in graph["relance.domain.planner"]  # a relative import, resolved


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert _cycles(graph) == [["a", "b", "c"]]


def test_an_import_for_type_checkers_only_is_no_arrow_at_run_time():
    graph = _graph(type_checking=False)

    assert "relance.domain.claim" in _graph()["relance.domain.policy"]
    assert "relance.domain.claim" not in graph["relance.domain.policy"]
    assert "relance.domain.calendar" in graph["relance.domain.policy"]


def test_no_module_of_the_package_imports_one_that_imports_it_back():
    assert _cycles(_graph(type_checking=False)) == []


def test_the_domain_imports_only_itself_the_standard_library_and_small_pure_libraries():
    outside = {
        f"{name} → {target}"
        for name, targets in _graph().items() if name.startswith("relance.domain")
        for target in targets
        if not target.startswith("relance.domain")
        and target.split(".")[0] not in sys.stdlib_module_names
        and target.split(".")[0] not in DOMAIN_MAY_IMPORT
    }

    assert sorted(outside) == []


def _layer(module: str) -> int | None:
    """The layer of a ``relance.…`` module; None outside the package or for a folder not placed in LAYERS yet."""
    top = module.split(".")[1] if module.count(".") else None
    return next((n for n, names in enumerate(LAYERS) if top in names), None)


def test_no_module_imports_from_a_layer_above_its_own():
    upward = set()
    for name, targets in _graph().items():
        for target in targets:
            here, there = _layer(name), _layer(target)
            if here is not None and there is not None and there > here:
                upward.add(f"{name} → {target}")

    assert upward == KNOWN_UPWARD
