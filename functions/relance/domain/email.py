"""The e-mail a debtor receives: MIME with a text part, an HTML part and the invoice PDFs. Pure."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.utils import format_datetime

_BULLET = re.compile(r"^\s*[–\-•]\s+")


class HeaderError(ValueError):
    """A value no e-mail header can carry (a line break in a name, an address that is not one)."""


def header_problem(text: str) -> str | None:
    """Why ``text`` cannot go into an e-mail header (a name, a subject), in French, or ``None``.

    Python's e-mail package refuses every line boundary ``str.splitlines`` knows (CR, LF, but also VT, FF,
    NEL, U+2028…); the other control characters have no place in a name either.
    """
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            what = "un retour à la ligne" if char in "\r\n" else f"un caractère de contrôle (U+{ord(char):04X})"
            return f"contient {what}"
    return None


def address_problem(address: str) -> str | None:
    """Why ``address`` is not an e-mail address an e-mail header can carry, in French, or ``None``."""
    if problem := header_problem(address):
        return problem
    try:
        MailAddress(addr_spec=address)
    except (ValueError, IndexError, MessageError):
        return "n’est pas une adresse e-mail (nom@domaine.fr)"
    return None


def text_to_html(text: str, language: str = "fr") -> str:
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
    lang = html.escape(language or "fr", quote=True)
    return (f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"></head>"
            "<body style=\"font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#222\">"
            f"{body}</body></html>")


def mail_address(name: str, address: str) -> str:
    return str(MailAddress(display_name=name, addr_spec=address)) if name else address


def build_email(*, sender_name: str, sender: str, to: Sequence[str], subject: str, text: str,
                reply_to: str = "", attachments: Sequence[tuple[str, bytes]] = (), message_id: str = "",
                sent_at: datetime | None = None, language: str = "fr") -> bytes:
    """The MIME bytes; :class:`HeaderError` (French) when a name or an address cannot be put in a header."""
    for what, value in (("le nom de l’expéditeur", sender_name), ("l’objet", subject),
                        ("l’adresse de réponse", reply_to), *(("l’adresse du destinataire", a) for a in to)):
        if problem := header_problem(value):
            raise HeaderError(f"{what} {problem} : un en-tête d’e-mail n’en accepte pas")
    if problem := address_problem(sender):
        raise HeaderError(f"l’adresse de l’expéditeur « {sender} » {problem}")
    message = EmailMessage()
    message["From"] = mail_address(sender_name, sender)
    message["To"] = ", ".join(to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    if sent_at is not None:
        message["Date"] = format_datetime(sent_at)
    if message_id:
        # ``id@domain`` as given (a reply address's token on the reply domain), else on relance.invalid.
        # Stable per message: a receiving server that sees it twice knows it is the same e-mail.
        message["Message-ID"] = f"<{message_id}>" if "@" in message_id else f"<{message_id}@relance.invalid>"
    language = language if re.fullmatch(r"[a-z]{2,3}", language or "") else "fr"
    message.set_content(text, charset="utf-8")
    message.add_alternative(text_to_html(text, language), subtype="html", charset="utf-8")
    for filename, data in attachments:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    # Last: set_content and add_attachment move or drop the Content-* headers written before them.
    message["Content-Language"] = language
    return message.as_bytes()
