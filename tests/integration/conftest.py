"""One moto server for the session, provisioned from template.yaml and reset before each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.adapters.dynamo import DynamoStore
from relance.local.runner import LocalFunctions
from relance.local.stack import LocalStack

from ..conftest import SAMPLE_RULES
from ..support.books import book, business, invoice  # noqa: F401  (the tests' own helpers)

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


def queued(stack: LocalStack, queue: str) -> list[dict]:
    from relance.local.runner import peek_all

    return peek_all(stack, queue)


def rules_path() -> Path:
    return SAMPLE_RULES
