"""`relance reconcile --fec`: the books (a FEC) against relance (the bundled sample), disagreements in a French CSV.

The FEC is built here to the official layout (art. A47 A-1 LPF: 18 columns, header, « | », dates AAAAMMJJ,
decimal comma) in the shape Odoo's l10n_fr_fec exports it: one opening line (journal OUV, PieceRef « - »)
per customer for what earlier years left open, then the year's sales, bank and OD entries with their lettrage.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from relance.app.fec import (
    AMOUNTS_DIFFER,
    DOUBTFUL,
    MISSING_FROM_FEC,
    OPEN_IN_BOOKS,
    OPENING,
    SETTLED_IN_BOOKS,
    UNKNOWN_TO_RELANCE,
    UNLETTERED_PAYMENT,
    reconcile,
)
from relance.cli import main, sample_data_path
from relance.datafile import load_book
from relance.imports.fec import COLUMNS, read_fec
from relance.imports.parsed import ImportFileError


def line(journal: str, num: str, day: str, account: str, aux: str, aux_name: str, piece: str, label: str,
         debit: str = "0,00", credit: str = "0,00", letter: str = "", journal_label: str = "") -> list[str]:
    account_label = {"411": "Clients", "416": "Clients douteux ou litigieux", "706": "Prestations de services",
                     "445": "TVA collectée", "512": "Banque"}[account[:3]]
    return [journal, journal_label or {"OUV": "Balance initiale", "VE": "Ventes", "BNK1": "Banque",
                                       "OD": "Opérations diverses"}[journal], num, day, account, account_label,
            aux, aux_name, piece, day, label, debit, credit, letter, "20261130" if letter else "", day, "", ""]


ROWS = [
    # à-nouveau: C013's 2024 invoice carried as one opening line (Odoo: one per partner, PieceRef « - »)
    line("OUV", "OUVERTURE/2026", "20260101", "41100000", "C013", "Mme Martine Girard", "-", "/", debit="760,00"),
    # F-2026-0377 (C001): open, same amount as relance → nothing to say
    line("VE", "VE/2026/0377", "20260814", "41100000", "C001", "Bâtir Rhône Construction SAS", "F-2026-0377",
         "F-2026-0377", debit="5400,00"),
    line("VE", "VE/2026/0377", "20260814", "70600000", "", "", "F-2026-0377", "F-2026-0377", credit="4500,00"),
    line("VE", "VE/2026/0377", "20260814", "44571000", "", "", "F-2026-0377", "F-2026-0377", credit="900,00"),
    # F-2026-0398 (C001): paid at the bank and lettered → settled in the books, open in relance
    line("VE", "VE/2026/0398", "20260831", "41100000", "C001", "Bâtir Rhône Construction SAS", "F-2026-0398",
         "F-2026-0398", debit="8640,00", letter="AB"),
    line("BNK1", "BNK1/2026/0451", "20261020", "41100000", "C001", "Bâtir Rhône Construction SAS",
         "BNK1/2026/0451", "VIR BATIR RHONE F-2026-0398", credit="8640,00", letter="AB"),
    # F-2026-0399 (C001): 1 000,00 paid, lettered partially → 2 216,00 left in the books
    line("VE", "VE/2026/0399", "20260831", "41100000", "C001", "Bâtir Rhône Construction SAS", "F-2026-0399",
         "F-2026-0399", debit="3216,00", letter="ac"),
    line("BNK1", "BNK1/2026/0460", "20261025", "41100000", "C001", "Bâtir Rhône Construction SAS",
         "BNK1/2026/0460", "VIR ACOMPTE F-2026-0399", credit="1000,00", letter="ac"),
    # F-2026-0305 (C002): moved to 416 (doubtful), still owed
    line("VE", "VE/2026/0305", "20260701", "41100000", "C002", "Groupe hôtelier Saône & Rhône SA", "F-2026-0305",
         "F-2026-0305", debit="12480,00", letter="AD"),
    line("OD", "OD/2026/0044", "20261031", "41100000", "C002", "Groupe hôtelier Saône & Rhône SA", "F-2026-0305",
         "Transfert en créance douteuse", credit="12480,00", letter="AD"),
    line("OD", "OD/2026/0044", "20261031", "41600000", "C002", "Groupe hôtelier Saône & Rhône SA", "F-2026-0305",
         "Transfert en créance douteuse", debit="12480,00"),
    # F-2026-0290 (C001): relance recorded it paid; the books still show it open
    line("VE", "VE/2026/0290", "20260630", "41100000", "C001", "Bâtir Rhône Construction SAS", "F-2026-0290",
         "F-2026-0290", debit="6120,00"),
    # an invoice relance never imported
    line("VE", "VE/2026/0501", "20261120", "41100000", "C005", "Le Comptoir des Canuts SARL", "F-2026-0501",
         "F-2026-0501", debit="500,00"),
    # a payment not lettered yet
    line("BNK1", "BNK1/2026/0470", "20261115", "41100000", "C005", "Le Comptoir des Canuts SARL",
         "BNK1/2026/0470", "VIR COMPTOIR CANUTS", credit="300,00"),
    line("BNK1", "BNK1/2026/0470", "20261115", "51200000", "", "", "BNK1/2026/0470", "VIR COMPTOIR CANUTS",
         debit="300,00"),
]


def fec_bytes(rows=ROWS, *, delimiter: str = "|", encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(delimiter.join(r) for r in [list(COLUMNS), *rows]) + "\r\n"
    return text.encode(encoding)


@pytest.fixture(scope="module")
def book():
    return load_book(sample_data_path())


def findings_by_invoice(fec: bytes, book) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in reconcile(read_fec(fec), book):
        out.setdefault(f.invoice, []).append(f.finding)
    return out


def test_each_disagreement_is_named(book):
    found = findings_by_invoice(fec_bytes(), book)

    assert "F-2026-0377" not in found
    assert found["F-2026-0398"] == [SETTLED_IN_BOOKS]
    assert found["F-2026-0399"] == [AMOUNTS_DIFFER]
    assert found["F-2026-0305"] == [DOUBTFUL]  # left 411 without being paid: still owed, no disagreement on amount
    assert found["F-2026-0290"] == [OPEN_IN_BOOKS]
    assert found["F-2026-0501"] == [UNKNOWN_TO_RELANCE]
    assert found["BNK1/2026/0470"] == [UNLETTERED_PAYMENT]
    assert found["-"] == [OPENING]
    assert found["F-2026-0420"] == [MISSING_FROM_FEC]  # issued this year, open in relance, not in the books
    assert "F-2024-0187" not in found  # from 2024: in the opening balance, not a missing invoice


def test_iso_8859_15_and_tabs_read_the_same(book):
    latin = fec_bytes(delimiter="\t", encoding="iso-8859-15")

    fec = read_fec(latin)

    assert (fec.delimiter, fec.encoding) == ("\t", "iso-8859-15")
    assert findings_by_invoice(latin, book) == findings_by_invoice(fec_bytes(), book)
    assert any(e.customer_name == "Groupe hôtelier Saône & Rhône SA" for e in fec.entries)


def test_only_customer_accounts_are_kept_and_amounts_read_with_a_comma():
    fec = read_fec(fec_bytes())

    assert {e.account[:3] for e in fec.entries} == {"411", "416"}
    assert fec.lines == len(ROWS)
    assert sum(e.amount for e in fec.entries if e.piece == "F-2026-0399") == 3216


@pytest.mark.parametrize(("data", "reason"), [
    (b"Journal;Compte;Montant\r\nVE;411;12\r\n", "ce n’est pas un FEC"),
    (fec_bytes([line("VE", "1", "2026-13-45", "41100000", "C1", "X", "F1", "F1", debit="1,00")]),
     "ligne 2 : date d’écriture illisible"),
    (fec_bytes([line("VE", "1", "20260101", "41100000", "C1", "X", "F1", "F1", debit="douze")]),
     "ligne 2 : montant illisible « douze » (Debit)"),
    (fec_bytes() + b"VE|short\r\n", "colonnes au lieu de 18")])
def test_a_file_that_is_not_a_fec_is_refused_in_french(data, reason):
    with pytest.raises(ImportFileError) as caught:
        read_fec(data)
    assert reason in str(caught.value)


def test_the_command_writes_the_french_csv_report(tmp_path, capsys):
    path = tmp_path / "FEC841273659FEC20261231.txt"
    path.write_bytes(fec_bytes())

    assert main(["reconcile", "--fec", str(path), "--data", "sample", "--format", "json"]) == 0

    payload = json.loads(capsys.readouterr().out)
    report = tmp_path / "FEC841273659FEC20261231.rapprochement.csv"
    assert payload["report"] == str(report)
    text = report.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["facture", "client", "solde comptable", "reste dû relance", "statut relance", "constat"]
    assert ["F-2026-0399", "C001", "2216,00", "3216,00", "open", AMOUNTS_DIFFER] in rows
    assert ["F-2026-0398", "C001", "0,00", "8640,00", "open", SETTLED_IN_BOOKS] in rows


def test_a_cell_that_would_be_a_formula_is_neutralised(tmp_path, book):
    from relance.app.fec import findings_csv

    hostile = [line("VE", "1", "20261120", "41100000", "=HYPERLINK(\"x\")", "X", "=1+1", "F", debit="10,00")]
    text = findings_csv(reconcile(read_fec(fec_bytes(hostile)), book)).decode("utf-8-sig")

    assert "\r\n'=1+1;\"'=HYPERLINK(" in text
