"""Same plans before and after a change to the planner's speed: `python plan_identity.py REF_ROOT [ROOT]`.

Each checkout (a git worktree of the reference commit, and this one) plans the same generated books
(planner_rate.generate: 1, 3 and 5 invoices per customer) on several days (a Monday, a Saturday, a public
holiday, the day after one), with and without the sample's ``contact`` section, and simulates a month; the
plans, in full, are compared as JSON. Prints one line per case and exits 1 on the first difference.
Not a timed test: it says whether a faster planner still plans the same thing.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import asdict, is_dataclass, replace
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAYS = (date(2026, 11, 23), date(2026, 11, 28), date(2026, 11, 11), date(2026, 11, 12), date(2026, 12, 1))


def _plain(value):
    if is_dataclass(value):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def dump(root: Path, n: int) -> list[str]:
    """One line per case: its name and the digest of its plan as JSON (the plan itself with --verbose)."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(root / "functions"))
    from planner_rate import generate

    from relance.domain.planner import Planner
    from relance.rules.loader import load_rules_or_raise

    rules = load_rules_or_raise(root / "rules")
    lines = []
    for per_customer in (1, 3, 5):
        book = generate(n, per_customer=per_customer)
        for contact in (False, True):
            planner = Planner(rules if contact else replace(rules, contact=None))
            for day in DAYS:
                plan = planner.plan(book, day)
                text = json.dumps(_plain(plan), sort_keys=True)
                lines.append(f"plan per_customer={per_customer} contact={contact} {day} "
                             f"actions={len(plan.actions)} {hashlib.sha256(text.encode()).hexdigest()[:16]}")
            small = generate(n // 10, per_customer=per_customer, seed=11)
            run = planner.simulate_run(small, DAYS[0], DAYS[0] + timedelta(days=30))
            text = json.dumps(_plain(run), sort_keys=True)
            lines.append(f"simulate per_customer={per_customer} contact={contact} actions={len(run.actions)} "
                         f"{hashlib.sha256(text.encode()).hexdigest()[:16]}")
    return lines


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--dump":
        print("\n".join(dump(Path(argv[1]), int(argv[2]))))
        return 0
    ref = Path(argv[0]).resolve()
    root = Path(argv[1]).resolve() if len(argv) > 1 else HERE.parents[1]
    n = 3000
    outputs = []
    for tree in (ref, root):
        done = subprocess.run([sys.executable, __file__, "--dump", str(tree), str(n)], capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 2
        outputs.append(done.stdout.splitlines())
    same = True
    for a, b in zip(*outputs, strict=True):
        mark = "same" if a == b else "DIFFERENT"
        same &= a == b
        print(f"{mark:9}  {b}" if a == b else f"{mark:9}  ref: {a}\n           now: {b}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
