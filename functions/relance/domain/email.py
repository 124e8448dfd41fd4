"""The e-mail a debtor receives: MIME with a text part, an HTML part and the invoice PDFs. Pure."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.utils import format_datetime

_BULLET = re.compile(r"^\s*[–\-•]\s+")


def text_to_html(text: str) -> str:
    """Paragraphs become <p>, lines starting with a dash become a list; everything else is escaped."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = paragraph.split("\n")
        if all(_BULLET.match(line) or line.startswith("  ") for line in lines) and _BULLET.match(lines[0]):
            items: list[str] = []
            for line in lines:
                if _BULLET.match(line):
                    items.append(html.escape(_BULLET.sub("", line)))
                else:
                    items[-1] += "<br>" + html.escape(line.strip())
            blocks.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
        else:
            blocks.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    body = "\n".join(blocks)
    return ("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"></head>"
            "<body style=\"font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#222\">"
            f"{body}</body></html>")


def mail_address(name: str, address: str) -> str:
    return str(MailAddress(display_name=name, addr_spec=address)) if name else address


def build_email(*, sender_name: str, sender: str, to: Sequence[str], subject: str, text: str,
                reply_to: str = "", attachments: Sequence[tuple[str, bytes]] = (), message_id: str = "",
                sent_at: datetime | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = mail_address(sender_name, sender)
    message["To"] = ", ".join(to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    if sent_at is not None:
        message["Date"] = format_datetime(sent_at)
    if message_id:
        # Stable per message: a receiving server that sees it twice knows it is the same e-mail.
        message["Message-ID"] = f"<{message_id}@relance.invalid>"
    message["Content-Language"] = "fr"
    message.set_content(text, charset="utf-8")
    message.add_alternative(text_to_html(text), subtype="html", charset="utf-8")
    for filename, data in attachments:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes()
