"""Payment terms beyond L441-10's ceiling are flagged at import (issue 15 item 5): the row is imported as usual
(the debt is owed all the same), and the report lists the invoice with the reason — business debtors only."""

from __future__ import annotations

import json

from relance.cli import main

from .test_import import CUSTOMERS, drop, s3_text

TERMS = ("N° facture;Code client;Date facture;Échéance;Montant TTC;Reste à payer\r\n"
         "F-LONG;C1;01/07/2026;15/10/2026;1 200,00;1 200,00\r\n"
         "F-OK;C1;02/03/2026;15/05/2026;300,00;300,00\r\n"
         "F-PART;C2;01/07/2026;15/10/2026;80,00;80,00\r\n").encode("cp1252")


def test_terms_too_long_are_imported_and_listed_in_the_report(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)

    result = drop(stack, functions, "factures.csv", TERMS)

    assert result["imported"] == 3 and result["rejected_rows"] == 0
    report = json.loads(s3_text(stack, "imports/factures.rapport.json"))
    assert report["warnings"] == 1
    (flagged,) = report["warning_details"]
    assert (flagged["row"], flagged["invoice"]) == (2, "F-LONG")
    assert "délai de paiement de 106 jours" in flagged["reason"] and "L441-10" in flagged["reason"]


def test_relance_import_prints_them(stack, tmp_path, capsys, monkeypatch):
    for key, value in stack.function_environment("EvaluatorFunction").items():
        monkeypatch.setenv(key, value)
    (tmp_path / "clients.csv").write_bytes(CUSTOMERS)
    (tmp_path / "factures.csv").write_bytes(TERMS)
    assert main(["import", "--customers", str(tmp_path / "clients.csv")]) == 0
    capsys.readouterr()
    assert main(["import", "--invoices", str(tmp_path / "factures.csv")]) == 0
    out = capsys.readouterr().out
    assert "ligne 2, facture F-LONG : délai de paiement de 106 jours" in out
    assert "F-PART" not in out and "F-OK :" not in out
