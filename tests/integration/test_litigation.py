"""The litigation function on the local stack, and `relance dossier` offline."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

from moto.ses.models import ses_backends
from pypdf import PdfReader

from relance.app.deliver import ChannelMessage, MessageAction
from relance.cli import main, sample_data_path

from ..conftest import SAMPLE_RULES
from .conftest import book, business, invoice

TODAY = {"RELANCE_TODAY": "2026-11-30"}


def litigation_message(invoice_id: str, customer: str = "C1") -> ChannelMessage:
    return ChannelMessage(f"lit-{invoice_id}", date(2026, 11, 30), customer, "litigation", "formel",
                          (MessageAction(invoice_id, "injonction", "standard", "standard"),))


def seed(store):
    address = {"line1": "31 cours Charlemagne", "postal_code": "69002", "city": "Lyon"}
    store.seed(book([business("C1", siren="839451200", address=address)], [
        invoice("F1", due="2026-08-26", amount="2890.00", issue_date="2026-07-27",
                history=[{"step": "relance_1", "date": "2026-08-31", "channel": "email"},
                         {"step": "mise_en_demeure", "date": "2026-09-25", "channel": "registered_letter",
                          "delivered_on": "2026-09-28"}]),
        invoice("F2", due="2026-08-26", amount="900.00", issue_date="2026-07-27")]))


def test_an_eligible_case_gets_a_dossier_a_link_and_no_more_reminders(stack, functions, store):
    seed(store)
    ses_backends["123456789012"][stack.region].sent_messages.clear()
    stack.client("sqs").send_message(QueueUrl=stack.physical["LitigationQueue"],
                                     MessageBody=litigation_message("F1").body())
    functions.drain("LitigationQueue", "LitigationFunction", **TODAY)
    assert store.invoice("F1")[0].status == "litigation"
    (event,) = [e for e in store.history("F1") if e["kind"] == "litigation"]
    s3 = stack.client("s3")
    archive = s3.get_object(Bucket=stack.physical["DocumentsBucket"], Key=event["document"])["Body"].read()
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert any(n.endswith("01-requete-injonction-de-payer.pdf") for n in names)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read(next(n for n in names
                                                                         if n.endswith("manifest.json"))))
    assert manifest["claim"]["principal"] == "2890.00" and all(len(p["sha256"]) == 64 for p in manifest["pieces"])
    (mail,) = [message_from_bytes(m.raw_data.encode(), policy=policy.default)
               for m in ses_backends["123456789012"][stack.region].sent_messages]
    assert mail["To"] == "compta@atelier-bois-fils.example" and "injonction de payer" in mail["Subject"].lower()
    assert "X-Amz-Signature" in mail.get_body(("plain",)).get_content()
    # Still owed, so still in the daily run — where the planner skips it: no more reminders.
    from relance.domain.planner import Planner
    from relance.domain.sharding import shard_of
    from relance.rules.loader import load_rules_or_raise

    plan = Planner(load_rules_or_raise(SAMPLE_RULES)).plan(store.open_invoices(shard_of("C1", 16)).book,
                                                             date(2026, 12, 1))
    assert [(s.invoice, s.reason) for s in plan.skipped] == [("F1", "in litigation")]

def test_a_case_without_formal_notice_is_refused_with_its_reason(stack, functions, store):
    seed(store)
    stack.client("sqs").send_message(QueueUrl=stack.physical["LitigationQueue"],
                                     MessageBody=litigation_message("F2").body())
    functions.drain("LitigationQueue", "LitigationFunction", **TODAY)
    (refused,) = [e for e in store.history("F2") if e["kind"] == "litigation_refused"]
    assert refused["reason"] == "no_formal_notice" and store.invoice("F2")[0].status == "open"


def test_a_case_whose_amount_went_out_of_bounds_is_refused_with_its_field_not_retried(stack, functions, store):
    # Given an eligible case whose amount due an edit of the table made absurd after the run planned it
    seed(store)
    stack.client("dynamodb").update_item(TableName=stack.physical["DataTable"],
                                         Key={"pk": {"S": "INV#F1"}, "sk": {"S": "STATE"}},
                                         UpdateExpression="SET amount_due = :huge",
                                         ExpressionAttributeValues={":huge": {"S": "1e999999999"}})
    stack.client("sqs").send_message(QueueUrl=stack.physical["LitigationQueue"],
                                     MessageBody=litigation_message("F1").body())
    assert functions.drain("LitigationQueue", "LitigationFunction", **TODAY) == {"delivered": 1, "failed": 0}
    (refused,) = [e for e in store.history("F1") if e["kind"] == "litigation_refused"]
    assert refused["reason"] == "invalid data: amount_due" and store.invoice("F1")[0].status == "open"


def test_a_case_whose_notice_deadline_runs_is_parked_then_built_by_the_daily_run_on_its_day(stack, functions,
                                                                                            store):
    """A late import catches up its steps spaced by min_gap_days: the injonction step comes three days after the
    formal notice, before the eight days it gave the debtor. The case waits, and the company is told when; the
    daily run of the day the deadline ends brings it back and the dossier is built then, once."""
    from relance.local.runner import scheduled_event

    address = {"line1": "31 cours Charlemagne", "postal_code": "69002", "city": "Lyon"}
    store.seed(book([business("C1", siren="839451200", address=address)], [
        invoice("F3", due="2026-08-26", amount="2890.00", issue_date="2026-07-27",
                history=[{"step": "relance_1", "date": "2026-11-18", "channel": "email"},
                         {"step": "mise_en_demeure", "date": "2026-11-24", "channel": "registered_letter",
                          "delivered_on": "2026-11-25"}])]))
    ses = ses_backends["123456789012"][stack.region].sent_messages
    ses.clear()
    stack.client("sqs").send_message(QueueUrl=stack.physical["LitigationQueue"],
                                     MessageBody=litigation_message("F3").body())
    functions.drain("LitigationQueue", "LitigationFunction", RELANCE_TODAY="2026-11-27")

    (parked,) = [e for e in store.history("F3") if e["kind"] == "litigation_parked"]
    # Delivered Wed 25/11 + 8 days = Thu 3/12, the last day (CPC 640-642, SPEC §5): ready on 4/12.
    assert parked["until"] == "2026-12-04" and store.invoice("F3")[0].status == "open"
    (notice,) = [message_from_bytes(m.raw_data.encode(), policy=policy.default) for m in ses]
    assert "programmée" in notice["Subject"] and "4 décembre 2026" in notice["Subject"]
    body = notice.get_body(("plain",)).get_content()
    assert "court jusqu’au 3 décembre 2026" in body and "préparé automatiquement le 4 décembre 2026" in body

    for day in ("2026-12-02", "2026-12-03"):  # not yet
        assert functions.invoke("EvaluatorFunction", scheduled_event(day))["litigation_released"] == 0
    assert functions.invoke("EvaluatorFunction", scheduled_event("2026-12-04"))["litigation_released"] == 1
    assert functions.invoke("EvaluatorFunction", scheduled_event("2026-12-05"))["litigation_released"] == 0
    functions.drain("LitigationQueue", "LitigationFunction", RELANCE_TODAY="2026-12-04")

    assert store.invoice("F3")[0].status == "litigation"
    assert [e["kind"] for e in store.history("F3") if e["kind"].startswith("litigation")] == [
        "litigation_parked", "litigation"]
    ready = [message_from_bytes(m.raw_data.encode(), policy=policy.default) for m in ses]
    (built,) = [m for m in ready if m["Subject"].startswith("Dossier d’injonction de payer prêt")]
    body = built.get_body(("plain",)).get_content()
    # December 2026 is past the shipped rates' verified_until: told to the company, not written for the court.
    assert "Tribunal compétent : tribunal des activités économiques de Lyon" in body
    assert "Attention : taux BCE non vérifié après le 30/06/2026" in body


def test_a_parked_case_paid_meanwhile_is_not_built(stack, functions, store):
    from relance.local.runner import scheduled_event

    address = {"line1": "31 cours Charlemagne", "postal_code": "69002", "city": "Lyon"}
    store.seed(book([business("C1", siren="839451200", address=address)], [
        invoice("F3", due="2026-08-26", amount="2890.00", issue_date="2026-07-27",
                history=[{"step": "mise_en_demeure", "date": "2026-11-24", "channel": "registered_letter"}])]))
    stack.client("sqs").send_message(QueueUrl=stack.physical["LitigationQueue"],
                                     MessageBody=litigation_message("F3").body())
    functions.drain("LitigationQueue", "LitigationFunction", RELANCE_TODAY="2026-11-27")
    # Posted Tue 24/11, no AR: received Fri 27/11, + 8 = Sat 5/12 → Mon 7/12, the last day: ready on 8/12.
    assert [fields["ready_on"] for _, fields in store.parked_until(date.max)] == ["2026-12-08"]
    store.apply_payment(provider="stripe", event_id="evt_f3", invoice_id="F3", amount=Decimal("2890.00"),
                        currency="EUR", on=date(2026, 11, 30))

    functions.invoke("EvaluatorFunction", scheduled_event("2026-12-08"))
    functions.drain("LitigationQueue", "LitigationFunction", RELANCE_TODAY="2026-12-08")

    assert store.parked_until(date.max) == []
    (refused,) = [e for e in store.history("F3") if e["kind"] == "litigation_refused"]
    assert refused["reason"].startswith("closed") and store.invoice("F3")[0].status == "paid"


def test_rebuilding_the_same_case_gives_the_same_archive(tmp_path, capsys):
    argv = ["dossier", "--rules", str(SAMPLE_RULES), "--data", str(sample_data_path()), "--invoice", "F-2026-0260",
            "--on", "2026-11-30", "--format", "json"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    second = json.loads(capsys.readouterr().out)
    # SPEC §5 now: the exact name of the court, Lyon's tribunal des activités économiques since 2025.
    assert first["eligible"] and first["court"] == {"type": "tribunal_de_commerce", "city": "Lyon",
                                                    "name": "tribunal des activités économiques de Lyon"}
    a, b = (Path(p).read_bytes() for p in (first["path"], second["path"]))
    assert a == b
    archive = zipfile.ZipFile(io.BytesIO(a))
    requete = next(n for n in archive.namelist() if n.endswith("01-requete-injonction-de-payer.pdf"))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read(requete))).pages)
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "REQUÊTE EN INJONCTION DE PAYER" in text and "3 022,35 €" in text and "L441-10" in text


def test_the_dossier_opens_with_what_the_person_filing_it_does(tmp_path, capsys):
    argv = ["dossier", "--rules", str(SAMPLE_RULES), "--data", str(sample_data_path()), "--invoice", "F-2026-0260",
            "--on", "2026-11-30", "--format", "json", "--out", str(tmp_path)]
    assert main(argv) == 0
    archive = zipfile.ZipFile(json.loads(capsys.readouterr().out)["path"])
    first, *_ = archive.namelist()
    guide = archive.read(first).decode("utf-8").replace("\u202f", " ")

    assert first.endswith("/00-LISEZ-MOI.txt")
    assert "Somme réclamée : 3 022,35 €" in guide  # the same figure as the requête
    assert "tribunal des activités économiques de Lyon" in guide and "article 1406" in guide  # SPEC §5 now
    assert "tribunal-digital.fr" in guide
    assert "petites créances" in guide  # 3 022,35 € ≤ 5 000 €
    assert "six mois" in guide and "relance invoice paid F-2026-0260" in guide
    manifest = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith("manifest.json"))))
    assert any(p["file"] == "00-LISEZ-MOI.txt" for p in manifest["pieces"])


def test_a_consumer_dossier_goes_to_the_tribunal_judiciaire_without_the_commercial_court_notes(tmp_path, capsys):
    data = json.loads(sample_data_path().read_text(encoding="utf-8"))
    (roche,) = [i for i in data["invoices"] if i["id"] == "F-2026-0433"]  # Camille et Julien Roche, consumers
    roche["history"] = [{"step": "mise_en_demeure", "date": "2026-11-18", "channel": "registered_letter",
                         "delivered_on": "2026-11-20"}]
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    assert main(["dossier", "--rules", str(SAMPLE_RULES), "--data", str(tmp_path / "data.json"), "--invoice",
                 "F-2026-0433", "--on", "2026-12-15", "--format", "json", "--out", str(tmp_path)]) == 0
    archive = zipfile.ZipFile(json.loads(capsys.readouterr().out)["path"])
    guide = archive.read(archive.namelist()[0]).decode("utf-8").replace("\u202f", " ")

    assert "tribunal judiciaire de Lyon" in guide and "greffe du tribunal judiciaire" in guide
    assert "activités économiques" not in guide and "tribunal-digital" not in guide
    assert "petites créances" not in guide  # 5 960 € and more: above the 5 000 € ceiling


def test_dossier_refuses_with_the_reason(capsys):
    assert main(["dossier", "--rules", str(SAMPLE_RULES), "--data", str(sample_data_path()), "--invoice",
                 "F-2026-0388", "--on", "2026-11-30", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["eligible"] is False and "disputed" in payload["reasons"] and payload["path"] is None


def test_one_debtor_gets_one_dossier_with_every_eligible_invoice(tmp_path, capsys):
    """SPEC §5: C009's two invoices covered by one mise en demeure go in one requête, one ZIP; `eligible` and
    `reasons` describe the invoice asked for, `invoices` the dossier's, and the total is the dossier's."""
    data = json.loads(sample_data_path().read_text(encoding="utf-8"))
    notice = [{"step": "mise_en_demeure", "date": "2026-10-26", "channel": "registered_letter",
               "delivered_on": "2026-10-28"}]
    for item in data["invoices"]:
        if item["id"] in ("F-2026-0288", "F-2026-0301"):
            item["history"] = notice
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    assert main(["dossier", "--rules", str(SAMPLE_RULES), "--data", str(tmp_path / "data.json"), "--invoice",
                 "F-2026-0301", "--on", "2026-11-30", "--format", "json", "--out", str(tmp_path / "out")]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["eligible"] and payload["invoices"] == ["F-2026-0301", "F-2026-0288"]  # A first
    assert len(list((tmp_path / "out").glob("*.zip"))) == 1
    # 3 780 + 1 260 of principal: the dossier's total is above 5 000 €, so no small-claims route.
    assert Decimal(payload["claim"]["principal"]) == Decimal("5040.00") and not payload["small_claims_eligible"]
    archive = zipfile.ZipFile(payload["path"])
    requete = next(n for n in archive.namelist() if n.endswith("01-requete-injonction-de-payer.pdf"))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read(requete))).pages)
    assert "F-2026-0288" in text and "F-2026-0301" in text


def test_the_litigation_function_builds_one_dossier_per_debtor_from_the_imported_history(stack, functions, store):
    """Two invoices of one debtor under one mise en demeure (imported history, as the data file gives it): one ZIP,
    whose requête and chronology state the formal notice and its AR."""
    address = {"line1": "31 cours Charlemagne", "postal_code": "69002", "city": "Lyon"}
    notice = [{"step": "relance_1", "date": "2026-08-31", "channel": "email"},
              {"step": "mise_en_demeure", "date": "2026-09-25", "channel": "registered_letter",
               "delivered_on": "2026-09-28"}]
    store.seed(book([business("C1", siren="839451200", address=address)], [
        invoice("F1", due="2026-08-26", amount="2890.00", issue_date="2026-07-27", history=notice),
        invoice("F4", due="2026-08-26", amount="900.00", issue_date="2026-07-27", history=notice)]))
    message = ChannelMessage("lit-C1", date(2026, 11, 30), "C1", "litigation", "formel",
                             (MessageAction("F1", "injonction", "standard", "standard"),
                              MessageAction("F4", "injonction", "standard", "standard")))
    stack.client("sqs").send_message(QueueUrl=stack.physical["LitigationQueue"], MessageBody=message.body())
    functions.drain("LitigationQueue", "LitigationFunction", **TODAY)
    documents = {e["document"] for i in ("F1", "F4") for e in store.history(i) if e["kind"] == "litigation"}
    assert len(documents) == 1
    archive = zipfile.ZipFile(io.BytesIO(stack.client("s3").get_object(
        Bucket=stack.physical["DocumentsBucket"], Key=documents.pop())["Body"].read()))

    def text(suffix: str) -> str:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read(name))).pages).split())

    requete, chronology = text("01-requete-injonction-de-payer.pdf"), text("03-chronologie.pdf")
    assert "F1" in requete and "F4" in requete and "25 septembre 2026" in requete and "28 septembre 2026" in requete
    assert "25/09/2026" in chronology and "28/09/2026" in chronology and "31/08/2026" in chronology
