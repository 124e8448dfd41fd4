"""AWS requests per daily run, counted on the local stack with botocore event hooks (`make bench`).

Targets (issue 3): ≤ 10 requests per 1 000 open invoices when nothing is due (Query pages, never a
GetItem per invoice); ≤ 2 DynamoDB writes and ≤ 0.1 SQS requests per action. Only the functions' own
calls are counted: SQS polling by the Lambda event source is AWS's, not the function's.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from relance.adapters.dynamo import DynamoStore
from relance.domain.model import Address, Book, Customer, Invoice
from relance.local.metering import RequestCounter
from relance.local.runner import LocalFunctions, scheduled_event
from relance.local.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
RUN = date(2026, 11, 23)  # a Monday
WRITES = ("TransactWriteItems", "BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem")


def book(n_invoices: int, per_customer: int, due: date) -> Book:
    customers = {f"C{i}": Customer(id=f"C{i}", name=f"Client {i}", kind="business", email=f"c{i}@x.example",
                                   address=Address("1 rue A", "", "69001", "Lyon"))
                 for i in range(max(1, n_invoices // per_customer))}
    invoices = tuple(Invoice(id=f"F{i:07d}", customer_id=f"C{i % len(customers)}", issue_date=due - timedelta(30),
                             due_date=due, amount=Decimal("480.00"), amount_due=Decimal("480.00"),
                             extra=MappingProxyType({})) for i in range(n_invoices))
    return Book(MappingProxyType(customers), invoices)


def measure(n_invoices: int, per_customer: int, due: date, shards: int) -> tuple[RequestCounter, float, int]:
    with LocalStack() as stack:
        DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], shards).seed(
            book(n_invoices, per_customer, due))
        functions = LocalFunctions(stack, ROOT / "rules")
        counter = RequestCounter().attach_default_session()
        start = time.perf_counter()
        try:
            functions.invoke("EvaluatorFunction", scheduled_event(RUN.isoformat()), SHARDS=str(shards))
            functions.drain("EvaluationQueue", "EvaluatorFunction", SHARDS=str(shards))
        finally:
            counter.detach_default_session()
        seconds = time.perf_counter() - start
        sqs = stack.client("sqs")
        queued = 0
        while batch := sqs.receive_message(QueueUrl=stack.physical["EmailQueue"], MaxNumberOfMessages=10).get(
                "Messages", []):
            queued += len(batch)
            for m in batch:
                sqs.delete_message(QueueUrl=stack.physical["EmailQueue"], ReceiptHandle=m["ReceiptHandle"])
    return counter, seconds, queued


def measure_rows() -> list[tuple[str, str, str]]:
    quiet, _, _ = measure(10_000, 4, RUN + timedelta(days=60), shards=4)
    rows = [("AWS requests, nothing due (10 000 open invoices, 4 shards)",
             f"{quiet.total() / 10:.2f} per 1 000 invoices ({quiet.total()} in all)", "≤ 10")]
    for per_customer in (1, 3):
        busy, _, _ = measure(300, per_customer, RUN - timedelta(days=7), shards=1)
        actions = busy.total("dynamodb", ("TransactWriteItems",))
        rows += [(f"DynamoDB writes per action ({per_customer} invoice(s) per customer)",
                  f"{busy.total('dynamodb', WRITES) / actions:.3f}", "≤ 2"),
                 (f"SQS requests per action ({per_customer} invoice(s) per customer)",
                  f"{busy.total('sqs') / actions:.3f}", "≤ 0.1")]
    return rows


def main() -> None:
    quiet, q_seconds, _ = measure(10_000, 4, RUN + timedelta(days=60), shards=4)
    rows = [
        ("nothing due: 10 000 open invoices, 4 shards", f"{quiet.total()} requests",
         f"{quiet.total() / 10:.2f} per 1 000 invoices", "≤ 10", f"{q_seconds:.1f} s"),
        ("  of which", ", ".join(f"{op} {n}" for (_, op), n in sorted(quiet.calls.items())), "", "", ""),
    ]
    # moto copies the whole table on every transaction, so the busy runs stay small; the ratios are per action.
    for per_customer in (1, 3):
        busy, b_seconds, messages = measure(300, per_customer, RUN - timedelta(days=7), shards=1)
        actions = busy.total("dynamodb", ("TransactWriteItems",))
        rows += [
            (f"300 invoices due, {per_customer} per customer, 1 shard", f"{actions} actions, {messages} messages",
             "", "", f"{b_seconds:.1f} s"),
            ("  DynamoDB writes per action", f"{busy.total('dynamodb', WRITES) / actions:.3f}", "", "≤ 2", ""),
            ("  SQS requests per action", f"{busy.total('sqs') / actions:.3f}", "", "≤ 0.1", ""),
            ("  of which", ", ".join(f"{op} {n}" for (_, op), n in sorted(busy.calls.items())), "", "", ""),
        ]
    width = max(len(r[0]) for r in rows)
    for name, a, b, target, t in rows:
        print(f"{name:<{width}}  {a:<24} {b:<26} {target:<6} {t}")
    print("(moto server on 127.0.0.1; times are moto's, not AWS's — the counts are what AWS would bill)")


if __name__ == "__main__":
    main()
