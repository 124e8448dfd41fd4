"""One moto server for the session, provisioned from template.yaml and reset before each test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relance.adapters.dynamo import DynamoStore
from relance.datafile import parse_book
from relance.local.runner import LocalFunctions
from relance.local.stack import LocalStack

from ..conftest import SAMPLE_RULES

SHARDS = 16


@pytest.fixture(scope="session")
def _stack():
    with LocalStack() as stack:
        yield stack


@pytest.fixture
def stack(_stack: LocalStack) -> LocalStack:
    _stack.reset()
    return _stack


@pytest.fixture
def store(stack: LocalStack) -> DynamoStore:
    return DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], SHARDS)


@pytest.fixture
def functions(stack: LocalStack) -> LocalFunctions:
    return LocalFunctions(stack, SAMPLE_RULES)


def book(customers: list[dict], invoices: list[dict]):
    return parse_book(json.dumps({"customers": customers, "invoices": invoices}))


def business(cid: str = "C1", **fields) -> dict:
    return {"id": cid, "name": f"Client {cid}", "kind": "business", "email": f"{cid.lower()}@client.example",
            **fields}


def invoice(iid: str, cid: str = "C1", due: str = "2026-10-15", amount: str = "1200.00", **fields) -> dict:
    return {"id": iid, "customer_id": cid, "issue_date": "2026-09-15", "due_date": due, "amount": amount, **fields}


def queued(stack: LocalStack, queue: str) -> list[dict]:
    from relance.local.runner import peek_all

    return peek_all(stack, queue)


def rules_path() -> Path:
    return SAMPLE_RULES
