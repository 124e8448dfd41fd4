"""Books written as the data file has them (SPEC §3): a few fields, the rest defaulted."""

from __future__ import annotations

import json

from relance.datafile import parse_book


def book(customers: list[dict], invoices: list[dict]):
    return parse_book(json.dumps({"customers": customers, "invoices": invoices}))


def business(cid: str = "C1", **fields) -> dict:
    return {"id": cid, "name": f"Client {cid}", "kind": "business", "email": f"{cid.lower()}@client.example",
            **fields}


def invoice(iid: str, cid: str = "C1", due: str = "2026-10-15", amount: str = "1200.00", **fields) -> dict:
    return {"id": iid, "customer_id": cid, "issue_date": "2026-09-15", "due_date": due, "amount": amount, **fields}
