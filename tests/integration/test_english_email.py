"""The sample's English customer (C010, ``language: en``) through the real e-mail function: English subject,
body, amounts, signature mentions and attachment name (issue 19 items 5 and 6)."""

from __future__ import annotations

import json
import re
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

from moto.ses.models import ses_backends

from relance.app.deliver import ChannelMessage, MessageAction

from .conftest import book

SAMPLE = Path(__file__).resolve().parents[2] / "functions" / "relance" / "sample" / "data.json"


def test_the_sample_english_consumer_receives_her_reminder_in_english(stack, functions, store):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    (c010,) = [c for c in data["customers"] if c["id"] == "C010"]
    invoices = [i for i in data["invoices"] if i["customer_id"] == "C010"]
    assert c010["language"] == "en" and c010["kind"] == "consumer"
    store.seed(book([c010], invoices))
    stack.client("s3").put_object(Bucket=stack.physical["DocumentsBucket"], Key=f"invoices/{invoices[0]['id']}.pdf",
                                  Body=b"%PDF-1.4 invoice")
    ses = ses_backends["123456789012"][stack.region]
    ses.sent_messages.clear()
    message = ChannelMessage(key="en1", run_date=date(2026, 11, 3), customer="C010", channel="email", tone="courtois",
                             actions=(MessageAction(invoices[0]["id"], "relance_1", "particuliers", "particuliers"),))
    stack.client("sqs").send_message(QueueUrl=stack.physical["EmailQueue"], MessageBody=message.body())
    assert functions.drain("EmailQueue", "EmailFunction", RELANCE_TODAY="2026-11-03") == {"delivered": 1, "failed": 0}
    (raw,) = ses.sent_messages
    mail = message_from_bytes(raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data,
                              policy=policy.default)
    assert mail["Subject"] == f"Reminder – invoice {invoices[0]['id']} awaiting payment"
    assert mail["Content-Language"] == "en"
    text = mail.get_body(("plain",)).get_content()
    assert "Unless we are mistaken, we have not yet received payment" in text and "€2,150.00" in text
    assert "SAS with a share capital of €50,000 – RCS Lyon 841 273 659 – VAT No. FR08841273659" in text
    assert "Bonjour" not in text and "Facture" not in text
    assert not re.search(r"€40\b|fixed indemnity|D441-5", text), "no recovery indemnity for a consumer"
    assert [a.get_filename() for a in mail.iter_attachments()] == [f"Invoice-{invoices[0]['id']}.pdf"]
