"""`relance demo`: the daily job on the embedded local AWS, with the sample rules and data.

Starts moto's server, creates the resources of template.yaml, loads the sample invoices, then runs the
real evaluator function day by day — the schedule's invocation, then the evaluation queue drained
through the same function — and collects what each day queued per channel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..adapters.dynamo import DynamoStore
from ..domain.model import Book
from .runner import LocalFunctions, peek_all, scheduled_event
from .stack import LocalStack

CHANNEL_QUEUES = {"email": "EmailQueue", "letter": "LetterQueue", "registered_letter": "RegisteredLetterQueue",
                  "phone": "PhoneQueue", "litigation": "LitigationQueue"}


@dataclass
class DayResult:
    day: date
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return sum(len(m["actions"]) for m in self.messages)


@dataclass
class DemoResult:
    days: list[DayResult]
    rerun: DayResult | None = None
    dead_letters: int = 0


def run_days(stack: LocalStack, functions: LocalFunctions, start: date, end: date,
             on_day: Callable[[DayResult], None] | None = None) -> list[DayResult]:
    days = []
    day = start
    while day <= end:
        days.append(run_day(stack, functions, day))
        if on_day is not None:
            on_day(days[-1])
        day += timedelta(days=1)
    return days


def run_day(stack: LocalStack, functions: LocalFunctions, day: date) -> DayResult:
    functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")
    result = DayResult(day)
    for channel, queue in CHANNEL_QUEUES.items():
        for message in peek_all(stack, queue):
            result.messages.append({**message, "channel": channel})
    result.messages.sort(key=lambda m: (m["channel"], m["customer"]))
    return result


def run_demo(*, book: Book, rules_dir: Path, start: date, end: date, rerun: date | None, out_dir: Path | None,
             on_day: Callable[[DayResult], None] | None = None) -> DemoResult:
    with LocalStack() as stack:
        store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"],
                            int(stack.resolver.parameters["Shards"]))
        store.seed(book)
        functions = LocalFunctions(stack, rules_dir)
        days = run_days(stack, functions, start, end, on_day)
        again = run_day(stack, functions, rerun) if rerun else None
        sqs = stack.client("sqs")
        dead = sum(int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                       ["Attributes"]["ApproximateNumberOfMessages"])
                   for logical, url in stack.physical.items() if logical.endswith("DLQ"))
    result = DemoResult(days, again, dead)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "queued.json").write_text(json.dumps(
            {d.day.isoformat(): d.messages for d in days if d.messages}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
    return result
