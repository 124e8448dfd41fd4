"""`relance local` starts the embedded AWS and prints the environment with which `relance import` and
`relance invoice`, run as she would in another terminal, reach it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from relance import cli

SAMPLE = Path(str(resources.files("relance.sample")))


def test_import_and_invoice_work_against_the_stack_relance_local_prints(capsys, monkeypatch):
    seen: dict[str, object] = {}

    def another_terminal() -> None:
        printed = capsys.readouterr().out
        exports = dict(line[len("export "):].split("=", 1) for line in printed.splitlines()
                       if line.startswith("export "))
        for name, value in exports.items():  # she copies the lines into her shell
            monkeypatch.setenv(name, value)
        seen["exports"] = exports
        seen["import"] = cli.main(["import", "--customers", str(SAMPLE / "clients.csv"), "--format", "json"])
        seen["imported"] = json.loads(capsys.readouterr().out)["imports"][0]["imported"]
        seen["unknown"] = cli.main(["invoice", "paid", "F-2026-0377", "--on", "23/11/2026"])
        seen["said"] = capsys.readouterr().out
        cli.main(["import", "--invoices", str(SAMPLE / "factures.csv")])  # one row refused: exit 1, the rest in
        capsys.readouterr()
        seen["paid"] = cli.main(["invoice", "paid", "F-2026-0377", "--on", "23/11/2026"])
        seen["recorded"] = capsys.readouterr().out
        raise KeyboardInterrupt  # Ctrl-C

    monkeypatch.setattr(cli, "_wait_for_interrupt", another_terminal)
    assert cli.main(["local"]) == 0
    assert set(seen["exports"]) >= {"TABLE_NAME", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID"}
    assert str(seen["exports"]["AWS_ENDPOINT_URL"]).startswith("http://127.0.0.1:")
    assert seen["import"] == 0 and seen["imported"] == 15
    # No invoice imported yet: the table answers, in French, that it does not know this one.
    assert seen["unknown"] == 1 and "F-2026-0377 : facture inconnue dans la table" in str(seen["said"])
    assert seen["paid"] == 0 and "F-2026-0377 : paiement enregistré — facture soldée" in str(seen["recorded"])
    assert "Pile locale arrêtée." in capsys.readouterr().out


def test_relance_local_with_the_sample_data_answers_for_the_demo_s_invoices(capsys, monkeypatch):
    seen: dict[str, object] = {}

    def another_terminal() -> None:
        printed = capsys.readouterr().out
        for line in printed.splitlines():
            if line.startswith("export "):
                monkeypatch.setenv(*line[len("export "):].split("=", 1))
        seen["loaded"] = printed
        seen["code"] = cli.main(["invoice", "promise", "F-2026-0402", "--until", "30/11/2026", "--on", "23/11/2026"])
        seen["said"] = capsys.readouterr().out
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_wait_for_interrupt", another_terminal)
    assert cli.main(["local", "--data", "sample"]) == 0
    assert "facture(s) de sample chargés, historique compris." in str(seen["loaded"])
    assert seen["code"] == 0 and "F-2026-0402 : enregistré" in str(seen["said"])
