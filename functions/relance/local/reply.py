"""The demo's debtor who writes back: one reply, as Apple Mail would send it, to the last reminder e-mail the
customer received (its Reply-To, In-Reply-To its Message-ID, the reminder quoted below), dropped where SES's receipt
rule stores replies (``inbound/`` in the documents bucket) and handed to the real InboundFunction.

A customer who received no e-mail in the period writes a fresh message from their own address: it is matched by
sender. The text is the demo's, in French: « le virement a été effectué le … » — a suggestion the account manager
sees, which nothing applies alone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.fmt import shortdate
from ..domain.model import Customer
from .runner import LocalFunctions
from .stack import LocalStack

DEMO_REPLY_DOMAIN = "reponses.atelier-bois-fils.example"
PARIS = ZoneInfo("Europe/Paris")


def last_reminder(stack: LocalStack, address: str) -> Any:
    """The last e-mail moto's SES sent to ``address`` with a reply address of its own, or ``None``."""
    from moto.ses.models import ses_backends

    for sent in reversed(ses_backends["123456789012"][stack.region].sent_messages):
        data = sent.raw_data.encode() if isinstance(sent.raw_data, str) else sent.raw_data
        mail = message_from_bytes(data, policy=policy.default)
        to, reply_to = str(mail.get("To", "")).strip().lower(), str(mail.get("Reply-To", ""))
        if to == address.lower() and reply_to.startswith("r+"):
            return mail
    return None


def reply_message(customer: Customer, reminder: Any, day: date, company_email: str) -> bytes:
    """The customer's answer, written on ``day`` at 9:12 in Paris, quoting the reminder as Apple Mail does."""
    sent_at = datetime.combine(day, time(9, 12), PARIS)
    transfer_day = day - timedelta(days=1)
    contact = str(customer.extra.get("contact", "") or "").split(",")[0].strip()
    signature = f"{contact}\n{customer.name}" if contact else customer.name
    text = (f"Bonjour,\n\nNous avons bien reçu votre relance. Le virement a été effectué le "
            f"{shortdate(transfer_day)}, vous devriez le recevoir dans les prochains jours.\n\n"
            f"Bien cordialement,\n{signature}\n")
    mail = EmailMessage()
    mail["From"] = f"{contact or customer.name} <{customer.email}>"
    mail["Date"] = format_datetime(sent_at)
    mail["Message-ID"] = make_msgid(domain=customer.email.rpartition("@")[2])
    mail["X-Mailer"] = "Apple Mail (2.3774.600.62)"
    mail["MIME-Version"] = "1.0"
    if reminder is not None:
        mail["To"] = str(reminder["Reply-To"])
        mail["Subject"] = "Re: " + str(reminder["Subject"])
        mail["In-Reply-To"] = str(reminder["Message-ID"])
        mail["References"] = str(reminder["Message-ID"])
        quoted = reminder.get_body(("plain",)).get_content()
        when = format_datetime(sent_at)  # Apple Mail's attribution line, then the reminder quoted
        text += f"\n> Le {when}, {reminder['From']} a écrit :\n>\n" + "\n".join(
            f"> {line}".rstrip() for line in quoted.splitlines()) + "\n"
    else:
        mail["To"] = company_email
        mail["Subject"] = "Votre relance"
    mail.set_content(text)
    return mail.as_bytes()


def send_demo_reply(stack: LocalStack, functions: LocalFunctions, customer: Customer, day: date,
                    company_email: str) -> dict[str, Any]:
    """Drop the reply under inbound/ and run InboundFunction on it, as SES's receipt rule does; its outcome."""
    reminder = last_reminder(stack, customer.email)
    raw = reply_message(customer, reminder, day, company_email)
    key = f"inbound/demo-{customer.id}-{day.isoformat()}"
    bucket = stack.physical["DocumentsBucket"]
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
    event = {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0",
                          "ses": {"mail": {"messageId": key.removeprefix("inbound/"), "source": customer.email}}}]}
    answer = functions.invoke("InboundFunction", event, RELANCE_TODAY=day.isoformat())
    (outcome,) = answer["replies"]
    return {**outcome, "date": day.isoformat(), "key": key, "answered": str(reminder["Subject"]) if reminder else ""}
