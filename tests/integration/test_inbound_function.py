"""A debtor answers a reminder: the e-mail function gives it a reply address, SES stores the answer under inbound/,
and InboundFunction — the real handler, on the local stack — records it, pauses the customer and tells the account
manager, asking of DynamoDB and S3 no more than its role grants.

The answer is a real Gmail reply (tests/events/inbound/talon-gmail.eml) addressed as a mail client does when the
debtor hits « Reply » on the reminder: To the Reply-To, In-Reply-To the Message-ID.
"""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from moto.ses.models import ses_backends

from ..conftest import REPO
from .conftest import book, business, invoice
from .test_channels import enqueue, message, sent_emails
from .test_least_privilege import allowed, dynamodb_requests, recorded_calls, refused

DOMAIN = "replies.atelier.example"
DAY = {"RELANCE_TODAY": "2026-11-02", "REPLY_DOMAIN": DOMAIN}
SAMPLE = REPO / "tests" / "events" / "inbound" / "talon-gmail.eml"


@pytest.fixture(autouse=True)
def _clear_ses(stack):
    ses_backends["123456789012"][stack.region].sent_messages.clear()


@pytest.fixture
def seeded(store):
    store.seed(book([business("C1", email="compta@martin.example", account_manager="julie@atelier.example"),
                     business("C2")],
                    [invoice("F1", "C1", due="2026-10-15"), invoice("F2", "C1", due="2026-10-20", amount="300.00"),
                     invoice("F3", "C2")]))
    return store


def reply_to(reminder, raw: bytes) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    kept = [line for line in head.split(b"\n") if not line.lower().startswith((b"to:", b"in-reply-to:"))]
    kept += [b"To: " + reminder["Reply-To"].encode(), b"In-Reply-To: " + reminder["Message-ID"].encode()]
    return b"\n".join(kept) + sep + body


def drop(stack, key: str, raw: bytes) -> None:
    stack.client("s3").put_object(Bucket=stack.physical["DocumentsBucket"], Key=key, Body=raw)


def ses_event(message_id: str) -> dict:
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0",
                         "ses": {"mail": {"messageId": message_id, "source": "compta@martin.example"},
                                 "receipt": {"recipients": [f"r+x@{DOMAIN}"]}}}]}


def s3_event(bucket: str, key: str) -> dict:
    return {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}


def test_a_reminder_carries_a_reply_address_on_the_reply_domain(stack, functions, seeded):
    enqueue(stack, "EmailQueue", message("F1", key="k" * 40))
    functions.drain("EmailQueue", "EmailFunction", **DAY)

    (mail,) = sent_emails(stack)
    assert mail["Reply-To"].startswith("r+") and mail["Reply-To"].endswith("@" + DOMAIN)
    token = mail["Reply-To"][2:].split("@")[0]
    assert mail["Message-ID"] == f"<{'k' * 40}.{token}@{DOMAIN}>"


def test_a_reply_through_the_real_handler_pauses_the_customer_and_reaches_the_account_manager(stack, functions,
                                                                                             seeded):
    enqueue(stack, "EmailQueue", message("F1", key="k" * 40))
    functions.drain("EmailQueue", "EmailFunction", **DAY)
    (reminder,) = sent_emails(stack)
    drop(stack, "inbound/0100018fses1", reply_to(reminder, SAMPLE.read_bytes()))

    with recorded_calls() as calls:
        answer = functions.invoke("InboundFunction", ses_event("0100018fses1"), **DAY)

    (outcome,) = answer["replies"]
    assert (outcome["outcome"], outcome["customer"], outcome["invoices"], outcome["matched_by"]) == \
        ("matched", "C1", ["F1"], "reply_address")
    assert outcome["paused_until"] == (date(2026, 11, 2) + timedelta(days=7)).isoformat()
    received = [e for e in seeded.history("F1") if e["kind"] == "reply_received"]
    assert received and received[0]["raw_key"] == "inbound/0100018fses1" and received[0]["first_lines"] == "Hello"
    assert seeded.invoice("F2")[0].reply_paused_until == date(2026, 11, 9)
    assert seeded.invoice("F3")[0].reply_paused_until is None
    notice = [m for m in sent_emails(stack) if m["To"] == "julie@atelier.example"]
    assert notice and notice[0]["Subject"] == "Réponse de Client C1 : Re: Test"
    # Least privilege: each DynamoDB request, S3 and SES call is one the role grants.
    requests = dynamodb_requests(calls, stack.physical["DataTable"])
    assert refused("InboundFunction", requests) == []
    s3_calls = [(op, params.get("Key", "")) for service, op, params in calls if service == "s3"]
    assert s3_calls == [("GetObject", "inbound/0100018fses1")]
    assert allowed("InboundFunction", "s3:GetObject", "")


def test_an_s3_notification_of_the_stored_reply_is_handled_the_same(stack, functions, seeded):
    drop(stack, "inbound/by-s3", message_from_bytes(SAMPLE.read_bytes(), policy=policy.compat32).as_bytes()
         .replace(b"From: Megan One <xxx@gmail.com>", b"From: Jeanne <compta@martin.example>"))

    answer = functions.invoke("InboundFunction", s3_event(stack.physical["DocumentsBucket"], "inbound/by-s3"), **DAY)

    assert [r["matched_by"] for r in answer["replies"]] == ["sender"]


def test_an_object_elsewhere_in_the_bucket_is_ignored(stack, functions, seeded):
    drop(stack, "letters/2026-11-02/x.pdf", b"%PDF-1.4")
    event = s3_event(stack.physical["DocumentsBucket"], "letters/2026-11-02/x.pdf")

    answer = functions.invoke("InboundFunction", event, **DAY)

    assert answer == {"replies": []}
