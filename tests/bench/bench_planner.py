"""Planner throughput and rule-loading time (`make bench`). Prints figures; nothing passes or fails.

Targets (issue 2): ≥ 100 000 invoices/s on one core with the sample rules; loading + checking the
sample rules < 200 ms. Issue 14: the planner 1.5× as fast as that of commit e91c04a, measured side by side in
the same run (that commit checked out as a git worktree under the temporary directory), and linear up to
1 000 000 invoices; with the sample's ``contact`` section within 1.3× of the planner without it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from planner_rate import RUN_DATE, generate

from relance.domain.planner import Planner
from relance.rules.loader import load_rules, load_rules_or_raise

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


BASELINE = "e91c04a"  # the planner before issue 14's work on its speed
RATE_SCRIPT = Path(__file__).resolve().parent / "planner_rate.py"


def baseline_tree(commit: str = BASELINE) -> Path:
    """A checkout of ``commit`` to measure side by side: a git worktree under the temporary directory, made on
    first use and kept for later runs."""
    tree = Path(tempfile.gettempdir()) / f"relance-base-{commit}"
    if (tree / "functions" / "relance").is_dir():
        return tree
    subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=False, capture_output=True)
    done = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(tree), commit],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git worktree add {tree} {commit}: {done.stderr.strip()}")
    return tree


def planner_rate(root: Path, n: int, *, runs: int = 5, per_customer: int = 5, contact: bool = False) -> dict:
    """One size measured in a fresh interpreter on ``root``'s planner and sample rules (planner_rate.py): median
    CPU seconds of ``runs`` plans, invoices/s, and the process's peak resident memory, book included."""
    command = [sys.executable, str(RATE_SCRIPT), str(root), "--sizes", str(n), "--runs", str(runs),
               "--per-customer", str(per_customer)]
    if contact:
        command.append("--contact")
    done = subprocess.run(command, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.splitlines()[-1])


def measure_versions(sizes: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000),
                     baseline: str = BASELINE) -> list[tuple[int, dict, dict]]:
    """(invoices, the baseline's figures, this version's) per size, each size in fresh processes, the two
    versions one after the other on the same book (5 invoices per customer, the sample rules without their
    ``contact`` section: the planner itself)."""
    tree = baseline_tree(baseline)
    rows = []
    for n in sizes:
        runs = 3 if n >= 1_000_000 else 5
        base = planner_rate(tree, n, runs=runs)
        now = planner_rate(ROOT, n, runs=runs)
        rows.append((n, base, now))
    return rows


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


def measure_contact(n: int = 100_000, runs: int = 5) -> tuple[float, float, int, int]:
    """Side by side on one book (3 invoices per customer), the two planners taking turns: (invoices/s without a
    ``contact`` section, with the sample's — medians of CPU time —, actions planned with it, deferred by it)."""
    rules = load_rules_or_raise(RULES)
    book = generate(n, per_customer=3)
    without, with_policy = Planner(replace(rules, contact=None)), Planner(rules)
    without.plan(book, RUN_DATE)
    plan = with_policy.plan(book, RUN_DATE)
    plain, policy = [], []
    for _ in range(runs):
        for planner, times in ((without, plain), (with_policy, policy)):
            start = time.process_time()
            planner.plan(book, RUN_DATE)
            times.append(time.process_time() - start)
    return n / statistics.median(plain), n / statistics.median(policy), len(plan.actions), len(plan.deferred)


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
