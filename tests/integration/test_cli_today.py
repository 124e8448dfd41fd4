"""`relance invoice` without --on dates what it records on the company's day: the rules' calendar time zone,
as the functions do (it hard-coded Europe/Paris)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from relance.cli import main

from .conftest import book, business, invoice

ROOT = Path(__file__).resolve().parents[2]


def _zone_not_on_paris_day() -> str:
    """Kiritimati (UTC+14) or Pago Pago (UTC-11): at any hour one of them is not on Paris's day, so a Paris day
    where the rules' day was due cannot pass."""
    paris = datetime.now(ZoneInfo("Europe/Paris")).date()
    return next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago") if datetime.now(ZoneInfo(z)).date() != paris)


ZONE = _zone_not_on_paris_day()


@pytest.fixture
def cli_env(stack, store, monkeypatch):
    store.seed(book([business()], [invoice("F1")]))
    for key, value in stack.function_environment("EvaluatorFunction").items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("RELANCE_TODAY", raising=False)
    return store


@pytest.fixture
def far_rules(tmp_path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    main_file = rules / "relance.yaml"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace("timezone: Europe/Paris", f"timezone: {ZONE}"),
                         encoding="utf-8")
    return rules


def test_a_payment_recorded_without_a_day_is_dated_in_the_rules_time_zone(cli_env, far_rules):
    before = datetime.now(ZoneInfo(ZONE)).date()
    assert main(["invoice", "paid", "F1", "--rules", str(far_rules)]) == 0
    after = datetime.now(ZoneInfo(ZONE)).date()

    paid, _ = cli_env.invoice("F1")
    assert paid.status == "paid" and paid.paid_on in {before, after}


def test_rules_that_cannot_be_read_are_a_clear_error_and_nothing_is_recorded(cli_env, tmp_path, capsys):
    assert main(["invoice", "paid", "F1", "--rules", str(tmp_path / "nowhere")]) == 1

    err = capsys.readouterr().err
    assert "--on JJ/MM/AAAA" in err and "Traceback" not in err
    paid, _ = cli_env.invoice("F1")
    assert paid.status != "paid"
