"""A debtor's reply, end to end on the in-memory store: matched to what it answers, recorded, pausing the customer,
told to the account manager, and applied only by a person.

The messages are real ones (tests/events/inbound/README.md): only the header that addresses them to us is
rewritten (To, In-Reply-To), as a debtor's client writes it when they hit « Reply » on a reminder.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from relance.app import replies
from relance.app.replies import NotApplicable, apply_suggestion, receive_reply, reply_address, review_reply
from relance.domain.planner import Planner
from relance.rules.loader import load_rules_or_raise

from ..conftest import SAMPLE_RULES
from ..support.books import book, business, invoice
from ..support.fake_store import FakeDocuments, FakeSender, FakeStore

SAMPLES = Path(__file__).parents[1] / "events" / "inbound"
DOMAIN = "replies.atelier.example"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
TODAY = NOW.date()


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def addressed(raw: bytes, **headers: str) -> bytes:
    """The real message with the named headers (To, In_Reply_To, From…) replaced or added, the rest untouched."""
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    sep = b"\r\n\r\n" if crlf != -1 and (lf == -1 or crlf < lf) else b"\n\n"
    head, _, body = raw.partition(sep)
    eol = b"\r\n" if sep == b"\r\n\r\n" else b"\n"
    lines = head.split(eol)
    for name, value in headers.items():
        field = name.replace("_", "-").encode()
        kept, skipping = [], False
        for line in lines:
            if line[:1] in (b" ", b"\t") and skipping:
                continue
            skipping = line.lower().startswith(field.lower() + b":")
            if not skipping:
                kept.append(line)
        lines = [*kept, field + b": " + value.encode("utf-8")]
    return eol.join(lines) + sep + body


@pytest.fixture
def rules():
    return load_rules_or_raise(SAMPLE_RULES)


@pytest.fixture
def store():
    store = FakeStore()
    store.seed(book(
        [business("C1", email="compta@martin.example", account_manager="julie@atelier.example"),
         business("C2", email="shared@groupe.example"), business("C3", email="shared@groupe.example")],
        [invoice("F1", "C1", due="2026-10-15"), invoice("F2", "C1", due="2026-10-30", amount="300.00"),
         invoice("F3", "C2"), invoice("F4", "C3")]))
    return store


def token_for(store: FakeStore, invoices=("F1",), key: str = "k" * 40) -> str:
    return reply_address(store, message_key=key, customer="C1", invoices=list(invoices), domain=DOMAIN,
                         today=TODAY, now=NOW).token


def receive(store, rules, raw: bytes, key: str = "inbound/msg-1", sender: FakeSender | None = None):
    documents = FakeDocuments()
    documents.put(key, raw, "message/rfc822")
    return receive_reply(key, store=store, documents=documents, sender=sender or FakeSender(), rules=rules,
                         reply_domain=DOMAIN, today=TODAY, now=NOW)


def french_reply(text: str, **headers: str) -> bytes:
    """A Gmail reply (talon's sample) whose text part says ``text``: what a French debtor types above the quote."""
    message = message_from_bytes(sample("talon-gmail.eml"), policy=default)
    plain = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    plain.set_content(text + "\n\nLe lun. 16 nov. 2026 à 09:00, Atelier Bois & Fils <compta@atelier.example> a "
                      "écrit :\n> Si vous avez déjà réglé cette facture, merci de ne pas tenir compte de ce message.\n")
    return addressed(message.as_bytes(), **headers)


# -- the address each e-mail carries ------------------------------------------------------------------------


def test_a_message_keeps_one_reply_address_across_its_sending_attempts(store):
    first = reply_address(store, message_key="m1", customer="C1", invoices=["F1"], domain=DOMAIN, today=TODAY, now=NOW)
    again = reply_address(store, message_key="m1", customer="C1", invoices=["F1"], domain=DOMAIN, today=TODAY, now=NOW)
    other = reply_address(store, message_key="m2", customer="C1", invoices=["F1"], domain=DOMAIN, today=TODAY, now=NOW)

    assert first == again
    assert other.token != first.token
    assert re.fullmatch(rf"r\+[a-z2-7]{{20}}@{re.escape(DOMAIN)}", first.reply_to)
    assert first.message_id == f"m1.{first.token}@{DOMAIN}"
    assert "C1" not in first.reply_to and "F1" not in first.reply_to  # no personal data, nothing to guess


# -- matching -----------------------------------------------------------------------------------------------


def test_a_reply_to_the_reply_address_is_recorded_on_the_message_s_invoices(store, rules):
    token = token_for(store, ["F1"])
    outcome = receive(store, rules, addressed(sample("talon-apple_mail.eml"), To=f"bob <r+{token}@{DOMAIN}>"))

    assert (outcome.outcome, outcome.matched_by, outcome.customer, outcome.invoices) == \
        ("matched", "reply_address", "C1", ["F1"])
    event = store.history("F1")[-1]
    assert event["kind"] == "reply_received"
    assert event["sender"] == "xxx@gmail.com" and event["subject"] == "Re: Test"
    assert event["raw_key"] == "inbound/msg-1"
    assert event["first_lines"] == "Hello"  # the quoted reminder is not the debtor's text


def test_a_reply_is_matched_by_in_reply_to_when_the_client_dropped_the_reply_address(store, rules):
    token = token_for(store, ["F2"])
    raw = addressed(sample("talon-gmail.eml"), To="compta@atelier.example",
                    In_Reply_To=f"<{'k' * 40}.{token}@{DOMAIN}>")

    outcome = receive(store, rules, raw)

    assert (outcome.matched_by, outcome.invoices) == ("in_reply_to", ["F2"])


def test_a_reply_to_the_message_id_ses_gave_the_reminder_is_matched_through_the_sending_record(store, rules):
    from relance.app.messages import ChannelMessage, MessageAction

    message = ChannelMessage("m" * 40, date(2026, 11, 16), "C1", "email", "courtois",
                             (MessageAction("F2", "relance_1", "tous", "standard"),))
    store.keep_email("0100018f-aaaa-bbbb", message.body())
    raw = addressed(sample("talon-outlook.eml"), To="compta@atelier.example",
                    References="<older@example.com> <0100018f-aaaa-bbbb@eu-west-3.amazonses.com>")

    outcome = receive(store, rules, raw)

    assert (outcome.matched_by, outcome.customer, outcome.invoices) == ("ses_message_id", "C1", ["F2"])


def test_a_reply_without_reference_is_matched_by_its_sender_when_one_customer_has_that_address(store, rules):
    raw = addressed(sample("talon-thunderbird.eml"), From="Jeanne <Compta@Martin.example>",
                    To="compta@atelier.example")

    outcome = receive(store, rules, raw)

    assert (outcome.outcome, outcome.matched_by, outcome.customer) == ("matched", "sender", "C1")
    assert sorted(outcome.invoices) == ["F1", "F2"]  # no message named: the customer's open invoices


def test_a_sender_shared_by_two_customers_is_kept_for_review_and_the_company_told(store, rules):
    sender = FakeSender()
    raw = addressed(sample("talon-iphone.eml"), From="shared@groupe.example", To="compta@atelier.example")

    outcome = receive(store, rules, raw, sender=sender)

    assert outcome.outcome == "unmatched"
    assert [e["kind"] for e in store.history("F3")] == [] and [e["kind"] for e in store.history("F4")] == []
    assert store.reply(outcome.reply_id)["status"] == "unmatched"
    notice = message_from_bytes(sender.sent[0]["raw"], policy=default)
    assert sender.sent[0]["to"] == [rules.company.email]
    assert notice["Subject"] == "Réponse à classer : Re: Test"
    body = notice.get_body(("plain",)).get_content()
    assert "shared@groupe.example" in body and "inbound/msg-1" in body
    assert "aucune relance suspendue" in body


def test_a_forged_token_matches_nothing(store, rules):
    token_for(store, ["F1"])
    raw = addressed(sample("talon-gmail.eml"), From="someone@else.example", To=f"r+{'a' * 20}@{DOMAIN}")

    assert receive(store, rules, raw).outcome == "unmatched"


# -- what a reply changes -----------------------------------------------------------------------------------


def test_a_person_s_reply_pauses_all_the_customer_s_reminders_for_pause_days(store, rules):
    token = token_for(store, ["F1"])
    outcome = receive(store, rules, addressed(sample("talon-gmail.eml"), To=f"r+{token}@{DOMAIN}"))

    until = TODAY + timedelta(days=rules.replies.pause_days)
    assert outcome.paused_until == until
    f1, f2 = store.invoice("F1")[0], store.invoice("F2")[0]
    assert f1.reply_paused_until == until and f2.reply_paused_until == until
    assert f1.reply_pending == outcome.reply_id and f2.reply_pending == ""  # only the message's wait for review
    skipped = dict(Planner(rules).plan(store.whole_book(), TODAY + timedelta(days=3)).skipped)
    assert skipped["F1"] == skipped["F2"] == "paused: reply"
    assert "F3" not in skipped


def test_the_pause_ends_after_pause_days(store, rules):
    token = token_for(store, ["F1"])
    receive(store, rules, addressed(sample("talon-gmail.eml"), To=f"r+{token}@{DOMAIN}"))

    later = TODAY + timedelta(days=rules.replies.pause_days + 1)
    skipped = dict(Planner(rules).plan(store.whole_book(), later).skipped)
    assert skipped.get("F1") != "paused: reply"


@pytest.mark.parametrize("name", ["rfc3834-01.eml", "rfc3834-02.eml", "rfc3834-03.eml", "rfc3834-04.eml",
                                  "rfc3834-06.eml"])
def test_an_automatic_reply_is_recorded_but_pauses_nothing_and_bothers_nobody(store, rules, name):
    token = token_for(store, ["F1"])
    sender = FakeSender()
    outcome = receive(store, rules, addressed(sample(name), To=f"r+{token}@{DOMAIN}"), sender=sender)

    assert outcome.outcome == "automatic"
    assert store.history("F1")[-1]["kind"] == "reply_received"
    assert store.history("F1")[-1]["automatic"] == "yes"
    assert store.invoice("F1")[0].reply_paused_until is None
    assert store.invoice("F1")[0].reply_pending == ""
    assert sender.sent == []


def test_the_same_stored_message_notified_twice_is_recorded_once(store, rules):
    token = token_for(store, ["F1"])
    raw = addressed(sample("talon-gmail.eml"), To=f"r+{token}@{DOMAIN}")
    sender = FakeSender()
    receive(store, rules, raw, sender=sender)

    assert receive(store, rules, raw, sender=sender).outcome == "duplicate"
    assert [e["kind"] for e in store.history("F1")].count("reply_received") == 1
    assert len(sender.sent) == 1


def test_the_account_manager_receives_the_reply_with_the_customer_s_context(store, rules):
    token = token_for(store, ["F1"])
    sender = FakeSender()
    raw = french_reply("Bonjour,\nLe virement a été effectué le 18/11/2026.\nCordialement,\nJeanne Martin",
                       To=f"r+{token}@{DOMAIN}", From="Jeanne Martin <compta@martin.example>")

    outcome = receive(store, rules, raw, sender=sender)

    assert [s["kind"] for s in outcome.suggestions] == ["transfer_sent"]
    mail = sender.sent[0]
    assert mail["to"] == ["julie@atelier.example"] and mail["reply_to"] == "compta@martin.example"
    body = message_from_bytes(mail["raw"], policy=default).get_body(("plain",)).get_content()
    assert "> Le virement a été effectué le 18/11/2026." in body
    assert "Si vous avez déjà réglé" not in body  # our own quoted reminder is left out
    assert "– F1 : 1\u202f200,00\u202f€, échue le 15/10/2026 (36 jours de retard)" in body
    assert "– F2 : 300,00\u202f€" in body
    assert "le client dit avoir fait un virement (date lue : 18 novembre 2026)" in body
    assert "rien n’est appliqué sans vous" in body
    assert "suspendues jusqu’au 27 novembre 2026" in body


@pytest.mark.parametrize(("name", "size"), [("huge", replies.MAX_RAW_BYTES + 1)])
def test_a_huge_message_is_kept_for_a_person_without_being_read(store, rules, name, size):
    sender = FakeSender()
    raw = sample("talon-gmail.eml") + b"x" * size

    outcome = receive(store, rules, raw, sender=sender)

    assert outcome.outcome == "refused"
    assert "trop gros" in store.reply(outcome.reply_id)["why"]
    assert len(sender.sent) == 1


def test_a_message_with_no_sender_and_a_broken_charset_is_kept_for_review_without_a_traceback(store, rules):
    outcome = receive(store, rules, sample("mail-bad_encoded_subject.eml"))

    assert outcome.outcome == "unmatched"
    assert "sans expéditeur" in store.reply(outcome.reply_id)["why"]


def test_an_html_only_reply_with_attachments_is_read_as_text(store, rules):
    token = token_for(store, ["F1"])
    for name in ("mail-content_transfer_encoding_text-html.eml", "mail-attachment_pdf.eml"):
        outcome = receive(store, rules, addressed(sample(name), To=f"r+{token}@{DOMAIN}"), key=f"inbound/{name}")
        assert outcome.outcome == "matched"
    firsts = [e["first_lines"] for e in store.history("F1") if e["kind"] == "reply_received"]
    assert firsts[0].startswith("Hello,\nYou have qualified for the lowest rate in years.")
    assert firsts[1].startswith("Just attaching another PDF, here")


def test_a_missing_stored_object_changes_nothing(store, rules):
    outcome = receive_reply("inbound/gone", store=store, documents=FakeDocuments(), sender=FakeSender(), rules=rules,
                            reply_domain=DOMAIN, today=TODAY, now=NOW)
    assert outcome.outcome == "missing"


# -- what a person decides ----------------------------------------------------------------------------------


def _pending(store, rules, text: str, invoices=("F1",)) -> str:
    token = token_for(store, list(invoices))
    return receive(store, rules, french_reply(text, To=f"r+{token}@{DOMAIN}")).reply_id


def test_applying_a_transfer_promises_until_its_day_plus_the_transfer_s_days_and_says_who(store, rules):
    reply_id = _pending(store, rules, "Le virement a été effectué le 18/11/2026.")

    changed = apply_suggestion(store, reply_id, "transfer_sent", by="julie@atelier.example", now=NOW)

    assert changed == ["F1"]
    invoice_f1 = store.invoice("F1")[0]
    assert invoice_f1.promise_to_pay_until == TODAY + timedelta(days=5)
    assert invoice_f1.reply_pending == ""
    kinds = [e["kind"] for e in store.history("F1")]
    assert kinds[-2:] == ["promise", "reply_reviewed"]
    reviewed = store.history("F1")[-1]
    assert reviewed["by"] == "julie@atelier.example" and reviewed["at"] == "2026-11-20T09:30:00+00:00"
    assert reviewed["decision"] == "transfer_sent"
    assert store.reply(reply_id)["status"] == "reviewed"


def test_applying_a_dispute_disputes_the_invoices_with_the_debtor_s_words(store, rules):
    reply_id = _pending(store, rules, "Nous contestons cette facture : les travaux ne sont pas terminés.")

    apply_suggestion(store, reply_id, "dispute", by="julie@atelier.example", now=NOW)

    assert store.invoice("F1")[0].status == "disputed"
    dispute = next(e for e in store.history("F1") if e["kind"] == "dispute")
    assert "les travaux ne sont pas terminés" in dispute["reason"] and dispute["by"] == "julie@atelier.example"


def test_a_promise_is_applied_until_the_date_read(store, rules):
    reply_id = _pending(store, rules, "Je vous réglerai la facture le 15 décembre.")

    apply_suggestion(store, reply_id, "promise", by="julie@atelier.example", now=NOW)

    assert store.invoice("F1")[0].promise_to_pay_until == date(2026, 12, 15)


def test_a_promise_without_a_date_is_not_applicable(store, rules):
    reply_id = _pending(store, rules, "Bonjour, je regarde cela.")

    with pytest.raises(NotApplicable):
        apply_suggestion(store, reply_id, "promise", by="julie@atelier.example", now=NOW)
    assert store.invoice("F1")[0].promise_to_pay_until is None


def test_nothing_is_applied_by_receiving_alone(store, rules):
    _pending(store, rules, "Nous contestons cette facture. Le virement a été effectué le 18/11/2026.")

    invoice_f1 = store.invoice("F1")[0]
    assert invoice_f1.status == "open" and invoice_f1.promise_to_pay_until is None


def test_dismissing_a_reply_reviews_it_once(store, rules):
    reply_id = _pending(store, rules, "Merci.")

    assert review_reply(store, reply_id, by="julie@atelier.example", now=NOW) == ["F1"]
    assert review_reply(store, reply_id, by="julie@atelier.example", now=NOW) == []
    assert store.invoice("F1")[0].reply_pending == ""


# -- the dossier --------------------------------------------------------------------------------------------


def test_the_dossier_s_chronology_shows_the_reply_with_its_sender_and_first_lines_and_not_its_review():
    from relance.litigation.documents import render_chronologie

    from .test_dossier_pdf import CHRONOLOGY, text_of
    from .test_dossier_pdf import business as facts

    received = {"date": "2025-04-24", "kind": "reply_received", "channel": "people", "reply": "r1",
                "sender": "compta@martin.example", "first_lines": "Bonjour,\nNous contestons le montant.",
                "raw_key": "inbound/abc", "matched_by": "reply_address", "suggestions": "dispute"}
    reviewed = {"date": "2025-04-25", "kind": "reply_reviewed", "channel": "people", "reply": "r1",
                "by": "julie@atelier.example", "decision": "dismissed"}
    text = " ".join(text_of(render_chronologie(facts(chronology=(*CHRONOLOGY, received, reviewed)))).split())

    assert "24/04/2025 Réponse reçue du débiteur Message de compta@martin.example : « Bonjour, / Nous contestons " \
           "le montant. »" in text
    assert "examinée" not in text and "julie@" not in text and "inbound/abc" not in text


def test_no_dossier_is_built_while_a_reply_waits_for_review(store, rules):
    from relance.domain.claim import eligibility, rates_of

    reply_id = _pending(store, rules, "Je regarde avec mon comptable.")
    invoice_f1 = store.invoice("F1")[0]
    customer = store.customer("C1")

    verdict = eligibility(invoice_f1, customer, rules.legal, [], TODAY, rates_of(rules))
    assert "reply_pending" in verdict.reasons
    review_reply(store, reply_id, by="julie@atelier.example", now=NOW)
    verdict = eligibility(store.invoice("F1")[0], customer, rules.legal, [], TODAY, rates_of(rules))
    assert "reply_pending" not in verdict.reasons
