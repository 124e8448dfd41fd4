"""One planner's throughput on generated books, run in a fresh interpreter: `python planner_rate.py ROOT ...`.

ROOT is a checkout of relance (this one, or the baseline's git worktree): its ``functions`` and its sample
``rules`` are the ones measured, so that two versions run side by side in one `make bench` (bench_planner.py).
Nothing here imports relance before ROOT is on the path; the book is generated with ROOT's own model, the same
way for every version (same seed, same invoices). Prints one JSON line per size.

    python planner_rate.py ROOT --sizes 1000,100000 [--per-customer 5] [--runs 5] [--contact]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

RUN_DATE = date(2026, 11, 23)  # a Monday
STEP_IDS = ("preventif", "relance_1", "relance_2", "relance_3", "mise_en_demeure")


def generate(n_invoices: int, seed: int = 7, per_customer: int = 5):  # ROOT's Book
    """A book of ``n_invoices`` (``per_customer`` on average per customer): a quarter consumers, some key
    accounts and insolvencies, due dates from 120 days ago to 40 days ahead, up to three reminders done."""
    from relance.domain.model import Address, Book, Customer, HistoryEntry, Invoice

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


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--per-customer", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contact", action="store_true", help="keep the sample's contact section (SPEC §2.8)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root.resolve() / "functions"))
    from dataclasses import replace

    import relance
    from relance.domain.planner import Planner
    from relance.rules.loader import load_rules_or_raise

    if not Path(relance.__file__).resolve().is_relative_to(args.root.resolve()):
        sys.exit(f"relance imported from {relance.__file__}, not from {args.root}")

    rules = load_rules_or_raise(args.root / "rules")
    if not args.contact and getattr(rules, "contact", None) is not None:
        rules = replace(rules, contact=None)  # the planner itself, as before the contact policy existed
    for n in (int(s) for s in args.sizes.split(",")):
        book = generate(n, per_customer=args.per_customer)
        planner = Planner(rules)
        plan = planner.plan(book, RUN_DATE)  # warm the holiday calendar and the step days
        cpu, wall = [], []
        for _ in range(args.runs):
            c, w = time.process_time(), time.perf_counter()
            planner.plan(book, RUN_DATE)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        print(json.dumps({
            "invoices": n, "cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
            "rate": n / statistics.median(cpu), "actions": len(plan.actions), "messages": len(plan.messages),
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
        del book, plan


if __name__ == "__main__":
    main(sys.argv[1:])
