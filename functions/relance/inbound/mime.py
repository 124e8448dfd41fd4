"""A raw RFC 5322 message → the few fields relance needs from a reply, with the standard library only.

Never raises on content: a message is written by anyone, often badly. A missing or unreadable header reads
as empty, a body in an unknown charset is decoded with replacement characters, and an HTML-only message is
read as its text. Message identifiers are kept without their angle brackets (``id-left@id-right``), as SES
reports the Message-ID of what it sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses
from html.parser import HTMLParser

_MSG_ID = re.compile(r"<([^<>\s]+)>")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True, slots=True)
class InboundMessage:
    sender: str  # the From address, "" when there is none
    sender_name: str  # its display name, RFC 2047 words decoded
    to: tuple[str, ...]
    subject: str
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]  # oldest first, as written
    auto_submitted: str  # RFC 3834: "no" when absent, else "auto-replied", "auto-generated"…
    text: str  # the message's own text (not an attached message's), line ends as "\n"
    # Cc, Delivered-To and X-Original-To: where else the reply address may be (a reply-all, a forwarding server)
    cc: tuple[str, ...] = ()
    # The headers autoresponders set besides Auto-Submitted, present here ("x-autoreply", "precedence"…)
    auto_headers: tuple[str, ...] = ()

    @property
    def automatic(self) -> bool:
        """Written by a program (an out-of-office reply, a notification), not by a person (RFC 3834 §5)."""
        return self.auto_submitted != "no"


def parse_message(raw: bytes) -> InboundMessage:
    # The legacy policy on purpose: the modern header parser raises on some malformed headers
    # (``From: "``, ``Content-Type: ;*``) where this one keeps the text; words are decoded below.
    message = message_from_bytes(raw, policy=compat32)
    name, sender = next(iter(_addresses(message, "From")), ("", ""))
    return InboundMessage(
        sender=sender,
        sender_name=name,
        to=tuple(address for _, address in _addresses(message, "To")),
        subject=_header(message, "Subject"),
        message_id=next(iter(_ids(_header(message, "Message-ID"))), ""),
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        auto_submitted=(_header(message, "Auto-Submitted").split(";")[0].strip().lower() or "no"),
        text=_text(message),
        cc=tuple(dict.fromkeys(address for header in ("Cc", "Delivered-To", "X-Original-To")
                               for _, address in _addresses(message, header))),
        auto_headers=_auto_headers(message),
    )


# Headers that only autoresponders write (``Precedence`` only with these values: mailing lists use "list").
_AUTO_PRECEDENCE = ("auto_reply", "junk")
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply")


def _auto_headers(message: Message) -> tuple[str, ...]:
    found = [name.lower() for name in _AUTO_HEADERS
             if _header(message, name) and _header(message, name).lower() not in ("no", "false", "0")]
    if _header(message, "Precedence").lower() in _AUTO_PRECEDENCE:
        found.append("precedence")
    return tuple(found)


def _decoded_words(value: str) -> str:
    """RFC 2047 encoded words (``=?utf-8?q?R=C3=A9f?=``) decoded; a malformed one is kept as written."""
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeError):  # a broken encoded word or an unknown charset
        return value


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    if isinstance(value, Header):  # raw 8-bit bytes in a header (no encoded word): most often UTF-8
        text = "".join(chunk.decode("utf-8" if charset in (None, "unknown-8bit") else charset, errors="replace")
                       if isinstance(chunk, bytes) else chunk for chunk, charset in _chunks(value))
    else:
        text = _decoded_words(str(value))
    return " ".join(text.split())


def _chunks(header: Header) -> list[tuple[bytes | str, str | None]]:
    try:
        return decode_header(header)
    except (HeaderParseError, LookupError, UnicodeError):
        return [(str(header), None)]


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    found = getaddresses([str(v) for v in message.get_all(name, [])])
    return [(_decoded_words(n), a) for n, a in found if "@" in a]


def _ids(value: str) -> tuple[str, ...]:
    """Message identifiers in a header; a bare token where a client left the angle brackets out."""
    found = _MSG_ID.findall(value)
    return tuple(found) if found or not value else tuple(value.replace(",", " ").split())


def _parts(message: Message) -> Iterator[Message]:
    """The message's own leaves, in order: not what an attached message (message/rfc822) holds."""
    if message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message) and part.get_content_maintype() != "message":
                yield from _parts(part)
    elif message.get_content_maintype() == "text" and message.get_content_disposition() != "attachment":
        yield message


def _text(message: Message) -> str:
    leaves = list(_parts(message))
    # Sorted, not ``or``: a Message without headers is falsy (its length is its number of headers).
    leaves.sort(key=lambda p: p.get_content_subtype() != "plain")
    body = next((p for p in leaves if p.get_content_subtype() in ("plain", "html")), None)
    if body is None:
        return ""
    text = _decoded(body)
    if body.get_content_subtype() == "html":
        text = _html_text(text)
    return _BLANK_LINES.sub("\n\n", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know: keep what reads
        return payload.decode("utf-8", errors="replace")


class _TextOfHtml(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.hidden = max(self.hidden - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_text(html: str) -> str:
    reader = _TextOfHtml()
    reader.feed(html)
    reader.close()
    # Collapse the layout's spaces and tabs, not the no-break spaces of French amounts (1 234,56 €).
    return "\n".join(_SPACES.sub(" ", line).strip(" ") for line in "".join(reader.parts).split("\n"))
