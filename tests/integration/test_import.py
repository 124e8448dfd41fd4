"""Imports on the local stack: the S3-triggered function and `relance import`."""

from __future__ import annotations

import csv
import io
import json

import pytest

from relance.cli import main, sample_data_path
from relance.local.demo import s3_event

CUSTOMERS = ("Code client;Raison sociale;Type;E-mail\r\n"
             "C1;Menuiserie Martin SARL;Professionnel;compta@martin.example\r\n"
             "C2;Camille Durand;Particulier;camille@courriel.example\r\n").encode("cp1252")
INVOICES = ("N° facture;Code client;Date facture;Échéance;Montant TTC;Reste à payer\r\n"
            "F-1;C1;05/10/2026;04/11/2026;1 200,00 €;1 200,00\r\n"
            "F-2;C9;05/10/2026;04/11/2026;300,00;300,00\r\n"
            "F-3;C2;31/02/2026;04/11/2026;80,00;80,00\r\n").encode("cp1252")


def drop(stack, functions, name: str, data: bytes) -> dict:
    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    s3.put_object(Bucket=bucket, Key=f"imports/{name}", Body=data)
    (result,) = functions.invoke("ImportFunction", s3_event(bucket, f"imports/{name}"))["imports"]
    return result


def s3_text(stack, key: str) -> str:
    return stack.client("s3").get_object(Bucket=stack.physical["ImportsBucket"], Key=key)["Body"].read().decode(
        "utf-8-sig")


def test_dropped_exports_are_imported_and_bad_rows_reported_next_to_them(stack, functions, store):
    assert drop(stack, functions, "clients.csv", CUSTOMERS)["imported"] == 2
    result = drop(stack, functions, "factures.csv", INVOICES)
    assert result["imported"] == 1 and result["rejected_rows"] == 2
    rows = list(csv.reader(io.StringIO(s3_text(stack, "imports/factures.erreurs.csv")), delimiter=";"))
    assert rows[0] == ["ligne", "colonne", "motif"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("3", "Code client"), ("4", "Date facture")]
    assert "« C9 » inconnu" in rows[1][2]
    report = json.loads(s3_text(stack, "imports/factures.rapport.json"))
    assert report["imported"] == 1
    invoice, _ = store.invoice("F-1")
    assert invoice.amount_due == 1200 and invoice.due_date.isoformat() == "2026-11-04"


def test_reimporting_the_same_file_changes_nothing(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", INVOICES)
    before = store.client.scan(TableName=store.table)["Items"]
    again = drop(stack, functions, "factures.csv", INVOICES)
    assert again["unchanged"] == 1 and "updated" not in again and "created" not in again
    assert sorted(map(str, store.client.scan(TableName=store.table)["Items"])) == sorted(map(str, before))


def test_a_file_of_only_bad_rows_loses_nothing(stack, functions, store):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    drop(stack, functions, "factures.csv", INVOICES)
    bad = ("N° facture;Code client;Date facture;Échéance;Montant TTC\r\n"
           "F-1;C1;pas une date;04/11/2026;abc\r\n").encode("cp1252")
    result = drop(stack, functions, "factures-2.csv", bad)
    assert result["imported"] == 0 and result["rejected_rows"] == 1
    invoice, _ = store.invoice("F-1")
    assert invoice.amount == 1200


def test_an_unusable_file_gets_an_error_file_not_a_crash(stack, functions):
    result = drop(stack, functions, "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert result["imported"] == 0 and "unusable" in result
    assert "motif" in s3_text(stack, "imports/photo.erreurs.csv")


def test_cli_import_against_the_local_stack(stack, tmp_path, capsys, monkeypatch):
    for key, value in stack.function_environment("ImportFunction").items():
        monkeypatch.setenv(key, value)
    sample = sample_data_path()
    code = main(["import", "--customers", str(sample.with_name("clients.csv")),
                 "--invoices", str(sample.with_name("factures.csv")), "--format", "json"])
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert code == 1  # the export's « Total » line is refused, the rest is imported
    assert [p["imported"] for p in payload["imports"]] == [15, 35]
    assert "factures.csv:37: Code client: cellule vide" in err


def test_cli_import_without_a_table_says_which_setting(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    path = tmp_path / "clients.csv"
    path.write_bytes(CUSTOMERS)
    assert main(["import", "--customers", str(path)]) == 1
    err = capsys.readouterr().err
    # The operator's setting is named, and the finance assistant is told, in French, how to reach a table.
    assert "missing setting TABLE_NAME" in err and "relance local" in err and "export" in err


def test_cli_import_with_an_unreachable_endpoint(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "relance")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    path = tmp_path / "clients.csv"
    path.write_bytes(CUSTOMERS)
    assert main(["import", "--customers", str(path)]) == 1
    err = capsys.readouterr().err
    assert "impossible d’atteindre la table relance sur la pile locale http://127.0.0.1:9" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["import"]])
def test_cli_import_needs_a_file(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2


HEADER = "N° facture;Code client;Date facture;Échéance;Montant TTC;Note 1;Note 2;Note 3;Note 4"


@pytest.mark.parametrize("bad_row, reason", [
    ("F" * 2100 + ";C1;05/10/2026;04/11/2026;10,00;;;;", "trop long"),  # over DynamoDB's 2 KB key
    ("F-BIG;C1;05/10/2026;04/11/2026;10,00;" + ";".join(["z" * 110_000] * 4), "volumineuse"),  # over 400 KB
    ("F-CELL;C1;05/10/2026;04/11/2026;10,00;" + "c" * 140_000 + ";;;", "cellule trop longue"),  # over 128 KB
])
def test_a_row_the_store_cannot_hold_is_refused_and_later_rows_imported(stack, functions, store, bad_row, reason):
    drop(stack, functions, "clients.csv", CUSTOMERS)
    data = "\r\n".join([HEADER, "F-1;C1;05/10/2026;04/11/2026;10,00;;;;", bad_row,
                        "F-3;C1;05/10/2026;04/11/2026;30,00;;;;"]).encode() + b"\r\n"
    result = drop(stack, functions, "factures.csv", data)
    assert result["imported"] == 2 and result["rejected_rows"] == 1
    rows = list(csv.reader(io.StringIO(s3_text(stack, "imports/factures.erreurs.csv")), delimiter=";"))
    assert rows[1][0] == "3" and reason in rows[1][2]
    assert store.invoice("F-3")[0].amount == 30


def test_a_utf8_export_with_one_windows_1252_row_stores_no_mojibake(stack, functions, store):
    data = ("Code client;Raison sociale\r\nC1;Bâtir Ensemble\r\n".encode()
            + "C2;Société Générale\r\n".encode("cp1252"))
    assert drop(stack, functions, "clients.csv", data)["imported"] == 2
    assert store.customer("C1").name == "Bâtir Ensemble" and store.customer("C2").name == "Société Générale"
