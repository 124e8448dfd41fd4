"""The channel functions on the local stack: what the debtor receives, and what is recorded."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from io import BytesIO

import pytest
from moto.ses.models import ses_backends
from pypdf import PdfReader

from relance.app.deliver import ChannelMessage, MessageAction
from relance.local.demo import http_post_event

from .conftest import book, business, invoice, queued

DAY = {"RELANCE_TODAY": "2026-11-02"}


def message(*invoices: str, customer: str = "C1", channel: str = "email", tone: str = "courtois",
            step: str = "relance_1", scenario: str = "standard", key: str = "k1") -> ChannelMessage:
    from datetime import date

    return ChannelMessage(key=key, run_date=date(2026, 11, 2), customer=customer, channel=channel, tone=tone,
                          actions=tuple(MessageAction(i, step, scenario, scenario) for i in invoices))


def enqueue(stack, queue: str, *messages: ChannelMessage) -> None:
    sqs = stack.client("sqs")
    for m in messages:
        sqs.send_message(QueueUrl=stack.physical[queue], MessageBody=m.body())


def sent_emails(stack) -> list:
    backend = ses_backends["123456789012"][stack.region]
    return [message_from_bytes(m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data,
                               policy=policy.default) for m in backend.sent_messages]


@pytest.fixture(autouse=True)
def _clear_ses(stack):
    ses_backends["123456789012"][stack.region].sent_messages.clear()


@pytest.fixture
def seeded(store):
    store.seed(book([business("C1", account_manager="julie@atelier.example",
                              address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"}),
                     business("C2", email="", address={"line1": "8 place Bellecour", "postal_code": "69002",
                                                        "city": "Lyon"}),
                     business("C3", email="", address={"line1": "", "postal_code": "", "city": ""})],
                    [invoice("F1", "C1", amount="1234.56"), invoice("F2", "C1", amount="300.00"),
                     invoice("F3", "C2"), invoice("F4", "C3"),
                     invoice("F5", "C1", history=[{"step": "mise_en_demeure", "date": "2026-11-02",
                                                   "channel": "registered_letter"}])]))
    return store


def history_kinds(store, invoice_id: str) -> list[str]:
    return [e["kind"] for e in store.history(invoice_id)]


def test_email_in_french_with_text_html_and_the_invoice_pdf(stack, functions, seeded):
    stack.client("s3").put_object(Bucket=stack.physical["DocumentsBucket"], Key="invoices/F1.pdf",
                                  Body=b"%PDF-1.4 facture F1")
    enqueue(stack, "EmailQueue", message("F1", "F2"))
    assert functions.drain("EmailQueue", "EmailFunction", **DAY) == {"delivered": 1, "failed": 0}
    (mail,) = sent_emails(stack)
    assert mail["From"] == "Atelier Bois & Fils <compta@atelier-bois-fils.example>"
    assert mail["To"] == "c1@client.example" and mail["Reply-To"] == "julie@atelier.example"
    assert "F1" in mail["Subject"] and "F2" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content().replace("\u202f", " ").replace("\u00a0", " ")
    assert "1 234,56 €" in text and "Montant total : 1 534,56 €" in text and "règlement" in text
    assert "<p>" in mail.get_body(("html",)).get_content()
    attachments = [(a.get_filename(), a.get_content()) for a in mail.iter_attachments()]
    assert attachments == [("Facture-F1.pdf", b"%PDF-1.4 facture F1")]
    assert history_kinds(seeded, "F1") == ["sent"] and history_kinds(seeded, "F2") == ["sent"]


def test_a_redelivered_message_is_sent_once(stack, functions, seeded):
    enqueue(stack, "EmailQueue", message("F1"), message("F1"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    assert len(sent_emails(stack)) == 1 and history_kinds(seeded, "F1") == ["sent"]


def test_an_invoice_paid_since_the_run_is_dropped_and_recorded(stack, functions, seeded):
    seeded.upsert_invoice(book([business("C1")], [invoice("F2", "C1", amount="300.00", amount_due="0")]).invoices[0])
    enqueue(stack, "EmailQueue", message("F1", "F2"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    (mail,) = sent_emails(stack)
    assert "F2" not in mail["Subject"]
    cancelled = [e for e in seeded.history("F2") if e["kind"] == "action_cancelled"]
    assert cancelled and cancelled[0]["reason"] == "paid"


def test_a_message_whose_invoices_were_all_paid_sends_nothing(stack, functions, seeded):
    seeded.upsert_invoice(book([business("C1")], [invoice("F1", "C1", amount="1234.56", amount_due="0")]).invoices[0])
    enqueue(stack, "EmailQueue", message("F1"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    assert sent_emails(stack) == [] and history_kinds(seeded, "F1") == ["action_cancelled"]


def test_no_email_address_falls_back_to_a_letter(stack, functions, seeded):
    enqueue(stack, "EmailQueue", message("F3", customer="C2"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    assert sent_emails(stack) == []
    functions.drain("LetterQueue", "LetterFunction", **DAY)
    assert history_kinds(seeded, "F3") == ["rerouted", "sent"]
    listed = stack.client("s3").list_objects_v2(Bucket=stack.physical["DocumentsBucket"], Prefix="letters/")
    (letter,) = [o["Key"] for o in listed["Contents"]]
    pdf = stack.client("s3").get_object(Bucket=stack.physical["DocumentsBucket"], Key=letter)["Body"].read()
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "8 place Bellecour" in text and "69002 LYON" in text and "F3" in text


def test_ses_refusing_the_sender_is_recorded_and_falls_back(stack, functions, seeded):
    stack.client("sesv2").delete_email_identity(EmailIdentity="compta@atelier-bois-fils.example")
    enqueue(stack, "EmailQueue", message("F1"))
    assert functions.drain("EmailQueue", "EmailFunction", **DAY) == {"delivered": 1, "failed": 0}
    kinds = history_kinds(seeded, "F1")
    assert kinds == ["action_failed", "rerouted"]
    assert [m["rerouted_from"] for m in queued(stack, "LetterQueue")] == ["email"]


def test_ses_throttling_is_retried_then_lands_in_the_dead_letter_queue(stack, functions, seeded, monkeypatch):
    import boto3
    from botocore.awsrequest import AWSResponse

    def throttled(**kwargs):
        return (AWSResponse("https://email", 500, {}, None),
                {"Error": {"Code": "InternalFailure", "Message": "try later"},
                 "ResponseMetadata": {"HTTPStatusCode": 500}})

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-call.sesv2.SendEmail", throttled)
    try:
        enqueue(stack, "EmailQueue", message("F1"))
        for _ in range(6):  # maxReceiveCount is 5; the backoff is lifted by making the message visible again
            functions.drain("EmailQueue", "EmailFunction", max_rounds=1, **DAY)
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-call.sesv2.SendEmail", throttled)
    assert sent_emails(stack) == [] and "sent" not in history_kinds(seeded, "F1")
    dead = queued(stack, "EmailDLQ")
    assert [m["key"] for m in dead] == ["k1"]


def test_a_registered_letter_records_its_tracking_number(stack, functions, seeded):
    enqueue(stack, "RegisteredLetterQueue", message("F1", channel="registered_letter", tone="formel",
                                                    step="mise_en_demeure"))
    functions.drain("RegisteredLetterQueue", "LetterFunction", **DAY)
    (sent,) = [e for e in seeded.history("F1") if e["kind"] == "sent"]
    assert sent["provider"] == "local" and sent["tracking_number"]
    pdf_key = sent["document"]
    pdf = stack.client("s3").get_object(Bucket=stack.physical["DocumentsBucket"], Key=pdf_key)["Body"].read()
    # Words as read, whatever the line breaks and the justified spacing of the layout (the tight 9 pt style).
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).replace("\u202f", " ").split())
    assert "Lettre recommandée avec accusé de réception" in text and "mettons en demeure" in text
    assert "40,00 €" in text and "L441-10" in text


def test_an_incomplete_postal_address_is_recorded_not_retried(stack, functions, seeded):
    enqueue(stack, "LetterQueue", message("F4", customer="C3", channel="letter", tone="ferme", step="relance_3"))
    assert functions.drain("LetterQueue", "LetterFunction", **DAY) == {"delivered": 1, "failed": 0}
    (failed,) = [e for e in seeded.history("F4") if e["kind"] == "action_failed"]
    assert "adresse postale incomplète" in failed["reason"]


def test_a_call_task_then_one_digest_per_account_manager(stack, functions, seeded):
    enqueue(stack, "PhoneQueue", message("F1", "F2", channel="phone", tone="factuel", step="relance_2"))
    functions.drain("PhoneQueue", "PhoneFunction", **DAY)
    assert history_kinds(seeded, "F1") == ["call_task"]
    functions.invoke("DigestFunction", {"run_date": "2026-11-02"}, **DAY)
    functions.invoke("DigestFunction", {"run_date": "2026-11-02"}, **DAY)  # a rerun sends nothing more
    (digest,) = sent_emails(stack)
    assert digest["To"] == "julie@atelier.example" and "Appels de relance" in digest["Subject"]
    text = digest.get_body(("plain",)).get_content()
    assert "Client C1" in text and "F1" in text and "relance invoice promise F1 F2" in text


def test_a_digest_retried_after_midnight_still_lists_the_calls_of_its_day(stack, functions, seeded):
    """EventBridge Scheduler retries for up to 24 hours: the digest meant for Monday 10:30 (09:30 UTC) arrives on
    Tuesday. It is Monday's digest, with Monday's call tasks, not an empty Tuesday one."""
    enqueue(stack, "PhoneQueue", message("F1", channel="phone", tone="factuel", step="relance_2"))
    functions.drain("PhoneQueue", "PhoneFunction", **DAY)

    answer = functions.invoke("DigestFunction", {"scheduled_time": "2026-11-02T09:30:00Z"},
                              RELANCE_TODAY="2026-11-03")

    assert answer == {"run_date": "2026-11-02", "digests": 1, "review_notice": False, "platform_notice": False}
    (digest,) = sent_emails(stack)
    assert "lundi 2 novembre 2026" in digest["Subject"]
    assert "F1" in digest.get_body(("plain",)).get_content()


def test_a_malformed_message_goes_to_the_dead_letter_queue(stack, functions):
    stack.client("sqs").send_message(QueueUrl=stack.physical["EmailQueue"], MessageBody='{"hello": 1}')
    for _ in range(6):
        functions.drain("EmailQueue", "EmailFunction", max_rounds=1, **DAY)
    assert queued(stack, "EmailDLQ") == [{"hello": 1}]


def test_a_bounce_marks_the_address_bad_and_sends_a_letter(stack, functions, seeded):
    enqueue(stack, "EmailQueue", message("F1"))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    (sent,) = [e for e in seeded.history("F1") if e["kind"] == "sent"]
    notice = {"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bounceSubType": "General"},
              "mail": {"messageId": sent["provider_id"]}}
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(notice), "MessageId": "1",
                                                             "Type": "Notification", "TopicArn": "arn:x"}}]}
    assert functions.invoke("SesEventsFunction", event) == {"outcomes": ["rerouted"]}
    assert seeded.customer("C1").email == ""
    assert [m["key"] for m in queued(stack, "LetterQueue")] == ["k1-letter"]


def http_event(body: bytes, headers: dict[str, str]) -> dict:
    return http_post_event("/postal/status", body, headers)


def test_postal_status_callback_records_the_signed_ar(stack, functions, seeded):
    from datetime import UTC, datetime

    from relance.adapters.postal_callback import sign_status_callback

    stack.client("ssm").put_parameter(Name="/relance/postal/callback-secret", Value="s3cret", Type="SecureString")
    enqueue(stack, "RegisteredLetterQueue", message("F5", channel="registered_letter", tone="formel",
                                                    step="mise_en_demeure"))
    functions.drain("RegisteredLetterQueue", "LetterFunction", **DAY)
    (sent,) = [e for e in seeded.history("F5") if e["kind"] == "sent"]
    body = json.dumps({"provider_id": sent["provider_id"], "status": "delivered", "event_date": "2026-11-05",
                       "delivered_on": "2026-11-05", "tracking_number": sent["tracking_number"]}).encode()
    signed = {"x-relance-signature": sign_status_callback(body, "s3cret", now=datetime.now(UTC))}

    forged = functions.invoke("PostalStatusFunction", http_event(body, {"x-relance-signature": "t=1,v1=" + "0" * 64}))
    assert forged["statusCode"] == 401
    first = functions.invoke("PostalStatusFunction", http_event(body, signed))
    again = functions.invoke("PostalStatusFunction", http_event(body, signed))
    assert (first["statusCode"], json.loads(first["body"])) == (200, {"outcomes": ["recorded"]})
    assert json.loads(again["body"]) == {"outcomes": ["duplicate"]}
    stored, _ = seeded.invoice("F5")
    assert history_kinds(seeded, "F5").count("delivered") == 1
    assert [(h.step, h.delivered_on.isoformat()) for h in stored.history] == [("mise_en_demeure", "2026-11-05")]


def test_a_status_for_a_letter_not_yet_recorded_is_applied_when_the_provider_retries(stack, functions, seeded):
    """A callback can overtake the record of its letter: it is answered « unknown » and not claimed, so the
    provider's retry, once the letter is recorded, is applied rather than taken for a duplicate."""
    from datetime import UTC, datetime

    from relance.adapters.postal_callback import sign_status_callback

    stack.client("ssm").put_parameter(Name="/relance/postal/callback-secret", Value="s3cret", Type="SecureString")
    letter = message("F5", channel="registered_letter", tone="formel", step="mise_en_demeure", key="k-early")
    body = json.dumps({"provider_id": "local-k-early", "status": "delivered", "event_date": "2026-11-05",
                       "delivered_on": "2026-11-05"}).encode()

    def post() -> list[str]:
        signed = {"x-relance-signature": sign_status_callback(body, "s3cret", now=datetime.now(UTC))}
        return json.loads(functions.invoke("PostalStatusFunction", http_event(body, signed))["body"])["outcomes"]

    assert post() == ["unknown"]
    enqueue(stack, "RegisteredLetterQueue", letter)
    functions.drain("RegisteredLetterQueue", "LetterFunction", **DAY)
    assert post() == ["recorded"]
    stored, _ = seeded.invoice("F5")
    assert [(h.step, h.delivered_on.isoformat()) for h in stored.history] == [("mise_en_demeure", "2026-11-05")]


def test_postal_status_with_a_malformed_body_is_a_400(stack, functions):
    from datetime import UTC, datetime

    from relance.adapters.postal_callback import sign_status_callback

    stack.client("ssm").put_parameter(Name="/relance/postal/callback-secret", Value="s3cret", Type="SecureString")
    body = b"not json"
    signed = {"x-relance-signature": sign_status_callback(body, "s3cret", now=datetime.now(UTC))}
    assert functions.invoke("PostalStatusFunction", http_event(body, signed))["statusCode"] == 400


# -- a template that cannot make the message, at send time (issue 12, items 6 and 7) ---------------------------
@pytest.fixture
def rules_copy(tmp_path):
    """The sample rules, copied so that a test can spoil one file."""
    import shutil

    from .conftest import rules_path

    directory = tmp_path / "rules"
    shutil.copytree(rules_path(), directory)
    return directory


@pytest.mark.parametrize(("queue", "function", "sent", "template"), [
    ("EmailQueue", "EmailFunction", message("F1"), "email/courtois.fr.j2"),
    ("LetterQueue", "LetterFunction", message("F1", channel="letter", tone="ferme", step="relance_3"),
     "letter/ferme.fr.j2"),
    ("PhoneQueue", "PhoneFunction", message("F1", channel="phone", tone="factuel", step="relance_2"),
     "phone/factuel.fr.j2"),
])
@pytest.mark.parametrize("body", [
    "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "{{ 'x' * 10**10 }}",
    "{% macro relance() %}{{ relance() }}{% endmacro %}{{ relance() }}",
    "{{ customer.nom }}",
])
def test_a_template_that_cannot_make_the_message_fails_it_for_good_with_the_reason(
        stack, seeded, rules_copy, queue, function, sent, template, body):
    from relance.local.runner import LocalFunctions

    (rules_copy / "templates" / template).write_text(f"Objet : Rappel\n\nBonjour,\n{body}\n", encoding="utf-8")
    enqueue(stack, queue, sent)
    assert LocalFunctions(stack, rules_copy).drain(queue, function, **DAY) == {"delivered": 1, "failed": 0}
    (failed,) = [e for e in seeded.history("F1") if e["kind"] == "action_failed"]
    assert failed["reason"].startswith(f"modèle {template}, ligne 4 : ")
    assert history_kinds(seeded, "F1") == ["action_failed"] and sent_emails(stack) == []
    assert queued(stack, queue) == [] and queued(stack, queue.replace("Queue", "DLQ")) == []


def test_a_folded_company_name_still_sends_every_email(stack, seeded, rules_copy):
    from relance.local.runner import LocalFunctions

    rules_file = rules_copy / "relance.yaml"
    text = rules_file.read_text(encoding="utf-8")
    rules_file.write_text(text.replace("  name: Atelier Bois & Fils\n", "  name: >\n    Atelier Bois\n    & Fils\n"),
                          encoding="utf-8")
    enqueue(stack, "EmailQueue", message("F1"))
    LocalFunctions(stack, rules_copy).drain("EmailQueue", "EmailFunction", **DAY)
    (mail,) = sent_emails(stack)
    assert mail["From"] == "Atelier Bois & Fils <compta@atelier-bois-fils.example>"
