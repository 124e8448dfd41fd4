"""Handlers are thin: each parses its event, calls ONE use case of ``app/``, answers (and counts, and logs).

Read from the source (``ast``): in every function of a handler module, the calls to functions of
``relance.app`` are counted — at most one use case, besides the functions that only read an event
(``PARSERS``). Business rules that creep back into a handler show up as a second use case called beside the
first (apply a payment, then report it), or as boto3 called directly.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import relance.handlers

HANDLERS = Path(relance.handlers.__file__).parent
# app functions that read an event or a message, nothing more: a handler may call one beside its use case.
PARSERS = {"relance.app.schedule.scheduled_day", "relance.app.messages.read_shard_job"}
# The runtime's stores: a handler hands them to its use case, never calls them itself.
STORES = {"store", "single_item_store"}


def _app_functions_imported(tree: ast.AST, package: str) -> dict[str, str]:
    """Local name → qualified name of every function imported from ``relance.app`` (at any depth)."""
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            source = ".".join([*base, node.module] if node.module else base)
        else:
            source = node.module or ""
        if not source.startswith("relance.app"):
            continue
        module = importlib.import_module(source)
        for alias in node.names:
            if inspect.isfunction(getattr(module, alias.name, None)):
                found[alias.asname or alias.name] = f"{source}.{alias.name}"
    return found


def use_cases_called(source: str, package: str = "relance.handlers") -> dict[str, list[str]]:
    """Each function of ``source`` (a handler module) → the app functions it calls, itself or through the
    module's other functions, parsers left out; a store method called directly counts as ``store.<method>``."""
    tree = ast.parse(source)
    imported = _app_functions_imported(tree, package)
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    direct: dict[str, list[str]] = {}
    local: dict[str, set[str]] = {}
    for name, node in functions.items():
        calls = [c.func for c in ast.walk(node) if isinstance(c, ast.Call)]
        direct[name] = [imported[f.id] for f in calls if isinstance(f, ast.Name) and f.id in imported]
        direct[name] += [f"store.{f.attr}" for f in calls if isinstance(f, ast.Attribute)
                         and isinstance(f.value, ast.Attribute) and f.value.attr in STORES]
        local[name] = {f.id for f in calls if isinstance(f, ast.Name) and f.id in functions and f.id != name}

    def reached(name: str, seen: set[str]) -> list[str]:
        out = list(direct[name])
        for callee in sorted(local[name] - seen):
            seen.add(callee)
            out += reached(callee, seen)
        return out

    return {name: [c for c in reached(name, {name}) if c not in PARSERS] for name in functions}


def _handler_modules() -> list[Path]:
    return sorted(p for p in HANDLERS.glob("*.py") if p.name != "__init__.py")


def test_the_check_sees_a_handler_that_applies_a_payment_and_then_reports_it_itself():
    source = ("from ..app.einvoicing import report_payment\nfrom ..app.schedule import scheduled_day\n"
              "def route(rt, notice, event):\n    day = scheduled_day(event, 'Europe/Paris', rt.now)\n"
              "    outcome = rt.single_item_store.apply_payment(notice)\n    _report(notice, outcome)\n"
              "def _report(notice, outcome):\n    report_payment(None, provider=notice.provider)\n")

    assert use_cases_called(source) == {"route": ["store.apply_payment", "relance.app.einvoicing.report_payment"],
                                        "_report": ["relance.app.einvoicing.report_payment"]}


def test_every_function_of_every_handler_calls_at_most_one_use_case():
    fat = {f"{path.stem}.{name}": calls for path in _handler_modules()
           for name, calls in use_cases_called(path.read_text(encoding="utf-8")).items() if len(calls) > 1}

    assert fat == {}


def test_the_payment_webhook_hands_the_payment_to_one_use_case():
    called = use_cases_called((HANDLERS / "webhooks.py").read_text(encoding="utf-8"))

    assert called["apply"] == ["relance.app.payments.receive_payment"]
    assert called["einvoicing_status"] == ["relance.app.einvoicing.apply_status"]


def test_no_handler_calls_boto3_itself():
    importing_boto = []
    for path in _handler_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            importing_boto += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("boto3", "botocore")]

    assert importing_boto == []
