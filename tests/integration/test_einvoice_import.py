"""E-invoices dropped in the imports bucket, and `relance import --einvoices`, on the local stack."""

from __future__ import annotations

import json
from pathlib import Path

from relance.cli import main
from relance.local.demo import s3_event

from .test_least_privilege import dynamodb_requests, recorded_calls, refused

SAMPLES = Path(__file__).parents[1] / "support" / "einvoices"


def drop(stack, functions, name: str, data: bytes) -> dict:
    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    s3.put_object(Bucket=bucket, Key=f"imports/{name}", Body=data)
    (result,) = functions.invoke("ImportFunction", s3_event(bucket, f"imports/{name}"))["imports"]
    return result


def documents(stack, prefix: str) -> dict[str, bytes]:
    s3, bucket = stack.client("s3"), stack.physical["DocumentsBucket"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def test_a_dropped_factur_x_pdf_is_imported_its_original_kept_within_the_role(stack, functions, store):
    pdf = (SAMPLES / "invoice_EN16931.pdf").read_bytes()

    with recorded_calls() as calls:
        result = drop(stack, functions, "F20260023.pdf", pdf)

    assert (result["status"], result["invoice"], result["created"], result["customer_outcome"]) == (
        "terminé", "F20260023", 1, "created")
    assert str(store.invoice("F20260023")[0].amount_due) == "104.90"
    assert documents(stack, "invoices/") == {"invoices/F20260023.pdf": pdf}
    assert list(documents(stack, "einvoices/F20260023/").values()) == [pdf]
    requests = dynamodb_requests(calls, stack.physical["DataTable"])
    # BatchGetItem (the customer read) is listed by its request, not its keys: its action is checked alone
    assert refused("ImportFunction", [r for r in requests if not r[0].startswith("dynamodb:Batch")]) == []
    assert {a for a, _ in requests if a.startswith("dynamodb:Batch")} <= {"dynamodb:BatchGetItem"}
    report = json.loads(stack.client("s3").get_object(Bucket=stack.physical["ImportsBucket"],
                                                      Key="imports/F20260023.pdf.rapport.json")["Body"].read())
    assert report["invoice"] == "F20260023"


def test_a_hostile_xml_is_refused_with_its_reason_in_the_report(stack, functions, store):
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'

    result = drop(stack, functions, "piege.xml", xxe)

    assert result["imported"] == 0 and "DOCTYPE" in result["unusable"]
    errors = stack.client("s3").get_object(Bucket=stack.physical["ImportsBucket"],
                                           Key="imports/piege.xml.erreurs.csv")["Body"].read().decode("utf-8-sig")
    assert "piégé" in errors


def test_cli_imports_e_invoices_and_says_which_were_refused(stack, tmp_path, capsys, monkeypatch):
    for key, value in stack.function_environment("ImportFunction").items():
        monkeypatch.setenv(key, value)
    bad = tmp_path / "vide.pdf"
    bad.write_bytes(b"%PDF-1.7\n")

    code = main(["import", "--einvoices", str(SAMPLES / "ubl-21-en16931.xml"), str(bad), "--format", "json"])

    out, err = capsys.readouterr()
    assert code == 1
    (imported,) = json.loads(out)["imports"]
    assert (imported["invoice"], imported["customer"], imported["created"]) == ("F124212", "787878784", 1)
    assert f"{bad} : facture électronique refusée : PDF illisible" in err
    assert str(store_invoice(stack, "F124212")) == "208.03"


def store_invoice(stack, invoice_id: str):
    from relance.adapters.dynamo import DynamoStore

    store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], 16)
    return store.invoice(invoice_id)[0].amount_due


def test_a_dropped_ubl_file_is_the_invoice_s_exhibit_and_the_reminder_e_mail_carries_it(stack, functions, store):
    from dataclasses import replace

    from .test_channels import DAY, enqueue, message, sent_emails

    ubl = (SAMPLES / "ubl-21-en16931.xml").read_bytes()
    with recorded_calls() as calls:
        result = drop(stack, functions, "F124212.xml", ubl)

    assert (result["status"], result["invoice"], result["exhibit"]) == ("terminé", "F124212", True)
    assert documents(stack, "invoices/") == {"invoices/F124212.xml": ubl}
    assert refused("ImportFunction", [r for r in dynamodb_requests(calls, stack.physical["DataTable"])
                                      if not r[0].startswith("dynamodb:Batch")]) == []
    customer = store.customers(["787878784"])["787878784"]
    store.upsert_customers([replace(customer, email="compta@boutique.example")])

    enqueue(stack, "EmailQueue", message("F124212", customer="787878784", key="ubl-1"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)

    mail = sent_emails(stack)[-1]
    attachments = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in mail.iter_attachments()]
    assert [(name, kind) for name, kind, _ in attachments] == [("Facture-F124212.xml", "application/xml")]
    assert attachments[0][2] in (ubl, ubl.decode("utf-8"))
