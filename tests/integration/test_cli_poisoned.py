"""`relance invoice paid|dispute|promise|resume` on an invoice whose table item is poisoned (issue 12 item 3):
a due date of 31/12/9999 or an amount of 1e999999 written straight into DynamoDB, or a value that cannot be read
at all. The command names the invoice and the field in French, records nothing on it, goes on with the others,
and prints no traceback."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from relance.cli import main

from .conftest import book, business, invoice

POISONS = {
    "due_date": ("due_date", {"S": "9999-12-31"}),
    "amount": ("amount", {"S": "1e999999"}),
    "amount_due": ("amount_due", {"S": "beaucoup"}),
    "paid_on": ("paid_on", {"S": "0001-01-01"}),
}
VERBS = {
    "paid": ["--amount", "100"],
    "dispute": ["--reason", "conteste"],
    "promise": ["--until", "2026-12-15"],
    "resume": [],
}


@pytest.fixture
def cli_env(stack, store, monkeypatch):
    store.seed(book([business()], [invoice("F1"), invoice("F2", status="disputed"), invoice("FBAD")]))
    for key, value in stack.function_environment("EvaluatorFunction").items():
        monkeypatch.setenv(key, value)
    return store


def poison(store, field: str, value: dict) -> None:
    store.client.update_item(TableName=store.table, Key={"pk": {"S": "INV#FBAD"}, "sk": {"S": "STATE"}},
                             UpdateExpression="SET #f = :v", ExpressionAttributeNames={"#f": field},
                             ExpressionAttributeValues={":v": value})


@pytest.mark.parametrize("verb", sorted(VERBS))
@pytest.mark.parametrize("poisoned", sorted(POISONS))
def test_a_poisoned_invoice_is_named_with_its_field_and_left_alone(cli_env, capsys, verb, poisoned):
    field, value = POISONS[poisoned]
    poison(cli_env, field, value)
    before = cli_env.history("FBAD")
    good = "F2" if verb == "resume" else "F1"
    capsys.readouterr()

    code = main(["invoice", verb, "FBAD", good, *VERBS[verb], "--on", "2026-11-20"])

    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    assert "FBAD" in err and field in err and "rien n’a été enregistré" in err
    assert cli_env.history("FBAD") == before
    assert f"{good} : " in out and "FBAD : données inutilisables : champ " + field in out
    assert [e["kind"] for e in cli_env.history(good)] == [{"paid": "payment"}.get(verb, verb)]


def test_the_json_output_names_the_field_too(cli_env, capsys):
    poison(cli_env, "due_date", {"S": "9999-12-31"})
    capsys.readouterr()
    assert main(["invoice", "paid", "FBAD", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["results"] == {"FBAD": "invalid data: due_date"}


def test_a_sound_invoice_is_still_paid_as_before(cli_env):
    assert main(["invoice", "paid", "F1", "--on", "2026-11-20"]) == 0
    paid, _ = cli_env.invoice("F1")
    assert paid.status == "paid" and paid.paid_on == date(2026, 11, 20) and paid.amount_due == Decimal("0")
