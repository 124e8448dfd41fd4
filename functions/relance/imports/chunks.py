"""A big export is imported in chunks of checked rows: how a chunk is written and read back. Pure.

The S3-triggered import parses and checks the whole file once, then stores the good rows as JSON chunks of
``CHUNK_ROWS`` rows; each chunk is one message of the import queue and one invocation of the worker.
Each row keeps its spreadsheet row number, so errors and disagreements still name the row the assistant
opens in Excel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ..domain.model import Address, Customer, Invoice

CHUNK_ROWS = 2000  # ~2 000 guarded writes per invocation: a few seconds with 16 in flight, far below 300 s

Row = tuple[int, Customer | Invoice]


def split(rows: Sequence[Row], size: int = CHUNK_ROWS) -> list[Sequence[Row]]:
    return [rows[start:start + size] for start in range(0, len(rows), size)]


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _from_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _invoice(invoice: Invoice) -> dict[str, Any]:
    return {"id": invoice.id, "customer_id": invoice.customer_id, "issue_date": _day(invoice.issue_date),
            "due_date": _day(invoice.due_date), "amount": str(invoice.amount), "amount_due": str(invoice.amount_due),
            "currency": invoice.currency, "status": invoice.status, "paid_on": _day(invoice.paid_on),
            "promise_to_pay_until": _day(invoice.promise_to_pay_until), "completed_on": _day(invoice.completed_on),
            "extra": dict(invoice.extra)}


def _customer(customer: Customer) -> dict[str, Any]:
    a = customer.address
    return {"id": customer.id, "name": customer.name, "kind": customer.kind, "email": customer.email,
            "phone": customer.phone, "tags": list(customer.tags), "language": customer.language,
            "siren": customer.siren, "since": _day(customer.since),
            "address": {"line1": a.line1, "line2": a.line2, "postal_code": a.postal_code, "city": a.city,
                        "country": a.country},
            "account_manager": customer.account_manager, "extra": dict(customer.extra)}


def encode(kind: str, rows: Sequence[Row]) -> bytes:
    """``{"kind", "rows": [[row number, record], …]}`` as UTF-8 JSON."""
    to_json = _invoice if kind == "invoices" else _customer
    return json.dumps({"kind": kind, "rows": [[n, to_json(r)] for n, r in rows]},  # type: ignore[arg-type]
                      ensure_ascii=False).encode()


def decode(data: bytes) -> tuple[str, list[Row]]:
    body = json.loads(data)
    kind = body["kind"]
    rows: list[Row] = []
    for number, record in body["rows"]:
        extra = MappingProxyType(record.pop("extra"))
        if kind == "invoices":
            rows.append((number, Invoice(
                **{**record, "issue_date": _from_day(record["issue_date"]), "due_date": _from_day(record["due_date"]),
                   "amount": Decimal(record["amount"]), "amount_due": Decimal(record["amount_due"]),
                   "paid_on": _from_day(record["paid_on"]),
                   "promise_to_pay_until": _from_day(record["promise_to_pay_until"]),
                   "completed_on": _from_day(record["completed_on"])}, extra=extra)))
        else:
            rows.append((number, Customer(**{**record, "tags": tuple(record["tags"]),
                                             "since": _from_day(record["since"]),
                                             "address": Address(**record["address"])}, extra=extra)))
    return kind, rows
