"""Planner throughput and rule-loading time (`make bench`). Prints figures; nothing passes or fails.

Targets (issue 2): ≥ 100 000 invoices/s on one core with the sample rules; loading + checking the
sample rules < 200 ms.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from relance.domain.model import Address, Book, Customer, HistoryEntry, Invoice
from relance.domain.planner import Planner
from relance.rules.loader import load_rules, load_rules_or_raise

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
RUN_DATE = date(2026, 11, 23)  # a Monday
STEP_IDS = ("preventif", "relance_1", "relance_2", "relance_3", "mise_en_demeure")


def generate(n_invoices: int, seed: int = 7, per_customer: int = 5) -> Book:
    rng = random.Random(seed)
    n_customers = max(1, n_invoices // per_customer)
    customers = {}
    for i in range(n_customers):
        consumer = rng.random() < 0.25
        tags = ("grand_compte",) if rng.random() < 0.05 else (("procedure_collective",) if rng.random() < 0.01 else ())
        customers[f"C{i}"] = Customer(
            id=f"C{i}", name=f"Client {i}", kind="consumer" if consumer else "business", tags=tags,
            email=f"c{i}@client.example", since=date(2015 + i % 10, 1 + i % 12, 1),
            address=Address("1 rue du Test", "", "69001", "Lyon", "FR"))
    invoices = []
    for i in range(n_invoices):
        due = RUN_DATE + timedelta(days=rng.randint(-120, 40))
        amount = Decimal(rng.randint(5_000, 500_000)) / 100
        history = ()
        done = rng.randint(0, 3) if due < RUN_DATE else 0
        if done:
            history = tuple(HistoryEntry(STEP_IDS[k], due + timedelta(days=5 + 10 * k), "email")
                            for k in range(done) if due + timedelta(days=5 + 10 * k) < RUN_DATE)
        status = "disputed" if rng.random() < 0.01 else ("paid" if rng.random() < 0.1 else "open")
        invoices.append(Invoice(
            id=f"F{i:07d}", customer_id=f"C{rng.randrange(n_customers)}", issue_date=due - timedelta(days=30),
            due_date=due, amount=amount, amount_due=amount, status=status, history=history,
            extra=MappingProxyType({})))
    return Book(MappingProxyType(customers), tuple(invoices))


def best_of(runs: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure() -> tuple[float, float, float]:
    """(invoices/s, ms to load the sample rules, ms with their templates checked)."""
    rules = load_rules_or_raise(RULES)
    book = generate(100_000)
    planner = Planner(rules)
    planner.plan(book, RUN_DATE)
    seconds, _ = best_of(5, lambda: planner.plan(book, RUN_DATE))
    load_s, _ = best_of(5, lambda: load_rules(RULES))
    check_s, _ = best_of(5, lambda: load_rules(RULES, check_templates=True))
    return 100_000 / seconds, load_s * 1000, check_s * 1000


def measure_big_rules(size: int = 985_000) -> tuple[int, int, float, float]:
    """(bytes of YAML in the sample rules, in the generated file, ms to load + check it, ms with its templates
    rendered): a valid rule file just under the 1 MB a rule file may weigh (tests/support/rulegen.py), the size
    that used to take 12 s."""
    import tempfile

    from tests.support.rulegen import write_big_rules

    with tempfile.TemporaryDirectory() as tmp:
        directory = write_big_rules(Path(tmp) / "rules", size)
        result = load_rules(directory)
        assert not result.errors, "the generated rules must be valid"
        load_s, _ = best_of(3, lambda: load_rules(directory))
        check_s, _ = best_of(3, lambda: load_rules(directory, check_templates=True))
        big = sum(f.stat().st_size for f in directory.glob("*.yaml"))
    sample = sum(f.stat().st_size for f in RULES.glob("*.yaml"))
    return sample, big, load_s * 1000, check_s * 1000


def measure_contact(n: int = 100_000, runs: int = 3) -> tuple[float, float, int, int]:
    """Side by side on one book (3 invoices per customer): (invoices/s without a ``contact`` section, with the
    sample's, actions planned with it, actions deferred by it)."""
    rules = load_rules_or_raise(RULES)
    book = generate(n, per_customer=3)
    without, with_policy = Planner(replace(rules, contact=None)), Planner(rules)
    without.plan(book, RUN_DATE)
    with_policy.plan(book, RUN_DATE)
    plain_s, _ = best_of(runs, lambda: without.plan(book, RUN_DATE))
    policy_s, plan = best_of(runs, lambda: with_policy.plan(book, RUN_DATE))
    return n / plain_s, n / policy_s, len(plan.actions), len(plan.deferred)


def main() -> None:
    n = 100_000
    rules = load_rules_or_raise(RULES)
    book = generate(n)
    planner = Planner(rules)
    planner.plan(book, RUN_DATE)  # warm the holiday calendar
    seconds, plan = best_of(5, lambda: planner.plan(book, RUN_DATE))
    load_s, _ = best_of(5, lambda: load_rules(RULES))
    check_s, _ = best_of(5, lambda: load_rules(RULES, check_templates=True))
    rows = [
        ("planner, 100 000 invoices, one run", f"{seconds * 1000:.0f} ms", f"{n / seconds:,.0f} invoices/s",
         "≥ 100 000 invoices/s"),
        ("  actions / skipped planned", f"{len(plan.actions):,} / {len(plan.skipped):,}", "", ""),
        ("load + check sample rules (plan, simulate)", f"{load_s * 1000:.1f} ms", "", "< 200 ms"),
        ("load + check sample rules + templates (check)", f"{check_s * 1000:.1f} ms", "", "< 200 ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'time':>10}  {'throughput':>22}  target")
    for name, t, rate, target in rows:
        print(f"{name:<{width}}  {t:>10}  {rate:>22}  {target}")
    print("(best of 5 runs, one process on one core)")


if __name__ == "__main__":
    main()
