"""She previews the rules on her own accounting exports: `plan`, `simulate` and `report` read --customers and
--invoices as `relance import` would (same parser, same rows refused for the same reasons), writing nothing.

The exports are the sample's Windows-1252 CSVs (relance/sample), as the accounting software writes them.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from relance.app.importing import import_csv, preview_exports
from relance.cli import main
from tests.support.fake_store import FakeStore

SAMPLE = Path(str(resources.files("relance.sample")))
CUSTOMERS, INVOICES = SAMPLE / "clients.csv", SAMPLE / "factures.csv"
EXPORTS = ("--customers", str(CUSTOMERS), "--invoices", str(INVOICES))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_preview_keeps_exactly_what_the_import_keeps_and_refuses_the_same_rows():
    preview = preview_exports(CUSTOMERS.read_bytes(), INVOICES.read_bytes())
    store = FakeStore()
    people = import_csv(CUSTOMERS.read_bytes(), store, kind="customers")
    bills = import_csv(INVOICES.read_bytes(), store, kind="invoices")
    assert sorted(c.id for c in preview.customers) == sorted(store.customers({c.id for c in preview.customers}))
    assert len(preview.customers) == people.imported
    assert len(preview.invoices) == bills.imported > 0
    assert preview.reports["invoices"].errors == bills.errors != []


def test_plan_on_her_exports(capsys):
    code, out, err = run(capsys, "plan", *EXPORTS, "--on", "23/11/2026", "--format", "json")
    assert code == 0
    plan = json.loads(out)  # stdout stays SPEC §4's JSON; what the exports lost goes to stderr
    exported = {line.split(";")[0] for line in INVOICES.read_text(encoding="cp1252").splitlines()[1:]}
    assert plan["actions"] and {a["invoice"] for a in plan["actions"]} <= exported
    assert f"{INVOICES}:37: Code client : cellule vide" in err and "(ligne ignorée)" in err
    assert "1 ligne(s) refusée(s) comme à l’import" in err


def test_simulate_and_report_on_her_exports(capsys, tmp_path):
    code, out, _ = run(capsys, "simulate", *EXPORTS, "--from", "01/11/2026", "--to", "30/11/2026")
    assert code == 0 and "Simulation du 01/11/2026 au 30/11/2026" in out
    code, out, _ = run(capsys, "report", *EXPORTS, "--on", "30/11/2026", "--out", str(tmp_path))
    assert code == 0 and (tmp_path / "report.html").is_file() and (tmp_path / "report.csv").is_file()


def test_an_invoice_of_a_customer_missing_from_the_export_is_refused_as_the_import_refuses_it(capsys, tmp_path):
    text = INVOICES.read_text(encoding="cp1252").replace("F-2026-0377;C001;", "F-2026-0377;C999;")
    invoices = tmp_path / "factures.csv"
    invoices.write_text(text, encoding="cp1252")
    code, out, err = run(capsys, "plan", "--customers", str(CUSTOMERS), "--invoices", str(invoices),
                         "--on", "23/11/2026", "--format", "json")
    assert code == 0 and "client « C999 » inconnu" in err
    assert "F-2026-0377" not in {a["invoice"] for a in json.loads(out)["actions"]}


@pytest.mark.parametrize("broken", ["missing", "not a csv"])
def test_an_unusable_export_is_a_french_message_not_a_traceback(capsys, tmp_path, broken):
    path = tmp_path / "clients.csv"
    if broken == "not a csv":
        path.write_bytes(b"\x00\x01\x02 rien de lisible")
    code, _, err = run(capsys, "plan", "--customers", str(path), "--invoices", str(INVOICES), "--on", "23/11/2026")
    assert code == 1 and "Traceback" not in err and err.startswith(f"{path} : ")
