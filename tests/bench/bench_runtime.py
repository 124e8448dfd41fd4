"""Cold-start import time of each handler, the Lambda package size, and the local pipeline end to end."""

from __future__ import annotations

import compileall
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ("evaluator", "webhooks", "importer", "email", "letter", "phone", "digest", "litigation", "report",
            "postal_status", "ses_events")


def import_ms(module: str, runs: int = 3) -> float:
    """Best of a few fresh interpreters: the import of the handler module, as Lambda's init does it."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                     .stdout) for _ in range(runs)) * 1000


def fpdf_loaded_at_import(module: str) -> bool:
    code = f"import sys, {module}; print('fpdf' in sys.modules)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "True"


def package_size() -> tuple[float, list[tuple[str, float]]]:
    """What `sam build` puts in every function: functions/requirements.txt + the relance package, compiled (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "package"
        _pip_install(target, ROOT / "functions" / "requirements.txt")
        shutil.copytree(ROOT / "functions" / "relance", target / "relance",
                        ignore=shutil.ignore_patterns("__pycache__", "sample"))
        # with its bytecode, as functions/Makefile ships it (pip compiled the libraries' already)
        compileall.compile_dir(target / "relance", quiet=1,
                               invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
        return _sizes(target)


def pdf_layer_size() -> tuple[float, list[tuple[str, float]]]:
    """The PDF layer of the letter and litigation functions, as the Makefile builds it (without Pillow; this
    machine's wheels, not arm64's) (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "python"
        _pip_install(target, ROOT / "layers" / "pdf" / "requirements.txt", "--no-deps")
        return _sizes(target)


def render_layer_size() -> tuple[float, list[tuple[str, float]]]:
    """The render layer of the functions that write messages: Babel, pruned as the Makefile prunes it (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "python"
        _pip_install(target, ROOT / "layers" / "render" / "requirements.txt", "--no-deps")
        subprocess.run([sys.executable, str(ROOT / "layers" / "render" / "prune.py"), tmp,
                        str(ROOT / "rules" / "templates")], check=True, capture_output=True)
        return _sizes(target)


def _pip_install(target: Path, requirements: Path, *options: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *options,
                    "--target", str(target), "-r", str(requirements)], check=True, capture_output=True)


def _sizes(target: Path) -> tuple[float, list[tuple[str, float]]]:
    sizes = {}
    for entry in target.iterdir():
        files = [entry] if entry.is_file() else list(entry.rglob("*"))
        sizes[entry.name] = sum(f.stat().st_size for f in files if f.is_file()) / 1e6
    total = sum(sizes.values())
    biggest = sorted(((k, v) for k, v in sizes.items() if not k.endswith(".dist-info")), key=lambda kv: -kv[1])
    return total, biggest[:5]


def pipeline(n_invoices: int, due_every: int = 50) -> tuple[float, int, int]:
    """Seed n invoices on the local stack and run one day end to end: evaluation, then every channel."""
    from decimal import Decimal
    from types import MappingProxyType

    from relance.adapters.dynamo import DynamoStore
    from relance.domain.model import Address, Book, Customer, Invoice
    from relance.local.demo import Outputs, run_day
    from relance.local.runner import LocalFunctions
    from relance.local.stack import LocalStack

    run = date(2026, 11, 23)
    customers = {f"C{i}": Customer(id=f"C{i}", name=f"Client {i}", kind="business", email=f"c{i}@x.example",
                                   address=Address("1 rue A", "", "69001", "Lyon"))
                 for i in range(n_invoices // 4)}
    # One invoice in ``due_every`` falls due on the run day (relance_1 at J+5, a Monday).
    invoices = tuple(Invoice(id=f"F{i:06d}", customer_id=f"C{i % len(customers)}",
                             issue_date=run - timedelta(days=60),
                             due_date=(run - timedelta(days=7) if i % due_every == 0
                                       else run + timedelta(days=20 + i % 40)),
                             amount=Decimal("480.00"), amount_due=Decimal("480.00"), extra=MappingProxyType({}))
                     for i in range(n_invoices))
    with LocalStack() as stack:
        DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], 16).seed(
            Book(MappingProxyType(customers), invoices))
        functions = LocalFunctions(stack, ROOT / "rules")
        start = time.perf_counter()
        day = run_day(stack, functions, run, Outputs(stack, None))
        seconds = time.perf_counter() - start
    return seconds, len(day.messages), sum(len(m["actions"]) for m in day.messages)
