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
    imports: list[dict[str, Any]] = field(default_factory=list)


def drop_exports(stack: LocalStack, functions: LocalFunctions, exports: list[Path],
                 out_dir: Path | None) -> list[dict[str, Any]]:
    """Drop CSV exports in the imports bucket, as the accounting software would, and run the import function
    on the S3 notification; bring any error file back under ``out_dir``."""
    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    results = []
    for path in exports:
        key = f"imports/{path.name}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        results.extend(functions.invoke("ImportFunction", s3_event(bucket, key))["imports"])
        errors_key = key[: -len(".csv")] + ".erreurs.csv"
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=errors_key).get("Contents", [])
        if out_dir is not None and listed:
            target = out_dir / "imports" / Path(errors_key).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=errors_key)["Body"].read())
    return results


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-3",
                         "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                                "object": {"key": key, "size": 1}}}]}


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
             exports: list[Path] = (), on_day: Callable[[DayResult], None] | None = None,
             on_imports: Callable[[list[dict[str, Any]]], None] | None = None) -> DemoResult:
    with LocalStack() as stack:
        store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"],
                            int(stack.resolver.parameters["Shards"]))
        store.seed(book)
        functions = LocalFunctions(stack, rules_dir)
        imports = drop_exports(stack, functions, list(exports), out_dir)
        if on_imports is not None:
            on_imports(imports)
        days = run_days(stack, functions, start, end, on_day)
        again = run_day(stack, functions, rerun) if rerun else None
        sqs = stack.client("sqs")
        dead = sum(int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                       ["Attributes"]["ApproximateNumberOfMessages"])
                   for logical, url in stack.physical.items() if logical.endswith("DLQ"))
    result = DemoResult(days, again, dead, imports)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "queued.json").write_text(json.dumps(
            {d.day.isoformat(): d.messages for d in days if d.messages}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
    return result
