"""A debtor's reply by e-mail: the address each reminder carries, what an inbound message is matched to, what it
changes, and what a person decides about it.

**Outgoing.** Every e-mail carries a Reply-To ``r+<token>@<reply domain>`` and a Message-ID ``<<message key>.<token>@
<reply domain>>``: the token is random (no personal data, not guessable), kept with the message it was given to, and the
same for every attempt at sending that message (:func:`reply_address`).

**Incoming** (:func:`receive_reply`, the ``InboundFunction``): SES stores the raw message in the documents bucket;
the message is matched to what it answers — the token of the address it was sent to, else the ``In-Reply-To`` /
``References`` (our Message-ID or the one SES gave the reminder), else the sender's address when it is exactly one
customer's — or kept for review, and the company is told. A matched reply is recorded as ``reply_received`` on
each invoice of the message (on each open invoice of the customer when matched by address); written by a person,
it pauses the customer's reminders for ``replies.pause_days`` and holds back any dossier of its invoices until a
person has reviewed it (``reply_pending``); the account manager receives it with the customer's context and the
suggestions read in it. An automatic reply (out of office) is recorded and changes nothing else.

**Review** (:func:`apply_suggestion`, :func:`review_reply`): only a person applies a suggestion; the history says
who and when (``reply_reviewed``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..domain import replies as intents
from ..domain.email import address_problem, build_email
from ..domain.labels import event_label
from ..domain.model import Customer, Invoice, Unusable
from ..domain.policy import Rules
from ..domain.terms import EventKind
from ..inbound.mime import InboundMessage, parse_message
from ..ports import Documents, EmailSender, ReplyStore, ReplyTokens
from .notifications import send_once

if TYPE_CHECKING:
    from .staff import StaffLinks

TOKEN_PREFIX = "r+"
MAX_RAW_BYTES = 10 * 1024 * 1024  # SES accepts up to 40 MB; a reply larger than this is kept, not read
TOKEN_DAYS = 400  # a reply address keeps working this long after its message (a late answer is still evidence)
_TOKEN = re.compile(r"[a-z2-7]{20}")
_SES_HOST = re.compile(r"(?:[a-z0-9-]+\.)?(?:[a-z0-9-]+\.)?amazonses\.com")

SUGGESTION_LABELS = {
    intents.ALREADY_PAID: "le client dit avoir déjà réglé : vérifier le relevé bancaire",
    intents.TRANSFER_SENT: "le client dit avoir fait un virement",
    intents.DISPUTE: "le client conteste",
    intents.PROMISE: "le client promet de payer",
}


class UnknownReply(LookupError):
    """No reply is kept under this id."""


class NotApplicable(ValueError):
    """The suggestion cannot be applied (not one the reply carries, or nothing left to apply it to)."""


def new_token() -> str:
    """20 characters of base32 in lower case (100 random bits): the local part survives any mail system."""
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(20))


@dataclass(frozen=True, slots=True)
class ReplyAddress:
    token: str
    reply_to: str  # r+<token>@<domain>
    message_id: str  # <message key>.<token>@<domain>, without angle brackets (build_email adds them)


def reply_address(store: ReplyTokens, *, message_key: str, customer: str, invoices: Sequence[str], domain: str,
                  today: date, now: datetime, token: Callable[[], str] = new_token) -> ReplyAddress:
    """The reply address and Message-ID of the e-mail of ``message_key``: the same on every attempt."""
    kept = store.claim_reply_token(message_key, token(), {
        "message_key": message_key, "customer": customer, "invoices": list(invoices), "sent_on": today.isoformat()},
        expires_at=int(now.timestamp()) + TOKEN_DAYS * 86400)
    return ReplyAddress(kept, f"{TOKEN_PREFIX}{kept}@{domain}", f"{message_key}.{kept}@{domain}")


# -- matching ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    customer: str
    invoices: tuple[str, ...]
    by: str  # reply_address | in_reply_to | ses_message_id | sender
    message_key: str = ""


def _token_of(address: str, domain: str) -> str | None:
    local, _, host = address.strip().lower().rpartition("@")
    if host != domain.lower() or not local.startswith(TOKEN_PREFIX):
        return None
    token = local[len(TOKEN_PREFIX):]
    return token if _TOKEN.fullmatch(token) else None


def _by_token(store: ReplyStore, token: str, by: str) -> Match | None:
    found = store.reply_token(token)
    if not found or not found.get("customer"):
        return None
    return Match(str(found["customer"]), tuple(str(i) for i in found.get("invoices", [])), by,
                 str(found.get("message_key", "")))


def _by_ses_id(store: ReplyStore, ses_id: str) -> Match | None:
    from .messages import ChannelMessage, MalformedMessage

    body = store.email_message(ses_id)
    if not body:
        return None
    try:
        message = ChannelMessage.from_body(body, store)
    except MalformedMessage:
        return None
    return Match(message.customer, tuple(a.invoice for a in message.actions), "ses_message_id", message.key)


def match_reply(store: ReplyStore, message: InboundMessage, domain: str) -> Match | None:
    """What the reply answers: the token of its address, its ``In-Reply-To``/``References`` (latest first), or
    its sender when that address is exactly one customer's; ``None``: kept for a person."""
    if domain:
        for address in (*message.to, *message.cc):
            token = _token_of(address, domain)
            if token and (found := _by_token(store, token, "reply_address")):
                return found
    for ref in (*message.in_reply_to, *reversed(message.references)):
        local, _, host = ref.lower().rpartition("@")
        token = local.rpartition(".")[2]  # <message key>.<token>: the key says which, only the token proves it
        if domain and host == domain.lower() and _TOKEN.fullmatch(token):
            if found := _by_token(store, token, "in_reply_to"):
                return found
        # SES gives a raw e-mail its own Message-ID (<id@eu-west-3.amazonses.com>): the id it answered with.
        elif _SES_HOST.fullmatch(host) and local and (found := _by_ses_id(store, ref.rpartition("@")[0])):
            return found
    if message.sender:
        customers = store.customers_by_email(message.sender)
        if len(customers) == 1:
            only = customers[0]
            return Match(only.id, tuple(i.id for i in store.customer_open_invoices(only.id)), "sender")
    return None


# -- receiving ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ReplyOutcome:
    outcome: str  # matched | automatic | unmatched | duplicate | missing | refused
    reply_id: str = ""
    customer: str = ""
    invoices: list[str] = field(default_factory=list)
    paused_until: date | None = None
    matched_by: str = ""
    suggestions: list[dict[str, str]] = field(default_factory=list)
    notified: str = ""  # who was told by e-mail

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reply": self.reply_id, "customer": self.customer,
                "invoices": self.invoices, "paused_until": self.paused_until.isoformat() if self.paused_until else None,
                "matched_by": self.matched_by, "suggestions": self.suggestions, "notified": self.notified}


def _subject_text(subject: str) -> str:
    """The debtor's subject as our own e-mails repeat it: « =? » spaced out (Python's header folding fails on an
    encoded-word look-alike next to accented letters), at most 300 characters."""
    return subject.replace("=?", "= ?")[:300]


def reply_id_of(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()[:24]


def receive_reply(raw_key: str, *, store: ReplyStore, documents: Documents, sender: EmailSender, rules: Rules,
                  reply_domain: str, today: date, now: datetime, links: StaffLinks | None = None) -> ReplyOutcome:
    """One inbound message, stored by SES under ``raw_key`` in the documents bucket. Never raises on what the
    message holds: an unreadable one is kept for a person like an unmatched one. ``links``: the account manager's
    notice carries the staff link to act on the reply (``app.staff``), else its reference only."""
    reply_id = reply_id_of(raw_key)
    raw = documents.get(raw_key)
    if raw is None:
        return ReplyOutcome("missing", reply_id)
    if len(raw) > MAX_RAW_BYTES:
        message: InboundMessage | None = None
        problem = f"message de {len(raw) // (1024 * 1024)} Mo, trop gros pour être lu (au plus " \
                  f"{MAX_RAW_BYTES // (1024 * 1024)} Mo) : ouvrez-le depuis le stockage"
    else:
        message, problem = parse_message(raw), ""
    if message is None:
        return _keep_for_review(reply_id, raw_key, None, problem, store=store, sender=sender, rules=rules,
                                today=today, now=now)
    automatic = intents.is_automatic(auto_submitted=message.auto_submitted, auto_headers=message.auto_headers,
                                     subject=message.subject, text=message.text)
    match = match_reply(store, message, reply_domain)
    if match is None:
        why = "aucune adresse de réponse ni référence reconnue" + (
            "" if not message.sender else ", et l’adresse de l’expéditeur n’est pas celle d’un seul client")
        if not message.sender:
            why = "message sans expéditeur (pas d’en-tête From) ni référence reconnue"
        return _keep_for_review(reply_id, raw_key, message, why, store=store, sender=sender, rules=rules,
                                today=today, now=now, automatic=automatic)
    found = _read_invoices(store, match.invoices)
    customer = store.customer(match.customer)
    open_invoices = store.customer_open_invoices(match.customer) if customer is not None else []
    concerned = [i.id for i in found] or [i.id for i in open_invoices]
    suggested = () if automatic else intents.suggestions(message.text, today)
    pause_days = rules.replies.pause_days
    paused_until = today + timedelta(days=pause_days) if not automatic and pause_days > 0 else None
    record = {
        "type": "reply", "raw_key": raw_key, "received_at": now.isoformat(timespec="seconds"),
        "received_on": today.isoformat(), "sender": message.sender, "sender_name": message.sender_name,
        "subject": _subject_text(message.subject), "automatic": automatic, "customer": match.customer,
        "invoices": concerned, "matched_by": match.by, "message_key": match.message_key,
        "suggestions": [s.as_dict() for s in suggested], "first_lines": intents.first_lines(message.text),
        "status": "recorded" if automatic else "pending",
    }
    if not store.keep_reply(reply_id, record):
        return ReplyOutcome("duplicate", reply_id, match.customer)
    details = {"reply": reply_id, "raw_key": raw_key, "sender": message.sender, "subject": message.subject[:200],
               "automatic": "yes" if automatic else "", "matched_by": match.by,
               "suggestions": ",".join(s.kind for s in suggested),
               "first_lines": record["first_lines"], "at": record["received_at"]}
    for invoice_id in concerned:
        sets: dict[str, Any] = {}
        if paused_until is not None:
            sets["reply_paused_until"] = paused_until.isoformat()
        if not automatic:
            sets["reply_pending"] = reply_id
        store.update_invoice_state(invoice_id, kind=EventKind.REPLY_RECEIVED, on=today, sets=sets, details=details)
    if paused_until is not None:
        # The pause is the customer's: its other open invoices wait too (their history says why).
        for invoice in open_invoices:
            if invoice.id not in concerned:
                store.update_invoice_state(invoice.id, kind=EventKind.REPLY_RECEIVED, on=today,
                                           sets={"reply_paused_until": paused_until.isoformat()},
                                           details={**details, "concerns": "customer"})
    outcome = ReplyOutcome("automatic" if automatic else "matched", reply_id, match.customer, concerned,
                           paused_until, match.by, [s.as_dict() for s in suggested])
    if not automatic and customer is not None:
        outcome.notified = _tell_account_manager(reply_id, message, customer, open_invoices, suggested,
                                                 paused_until, store=store, sender=sender, rules=rules, now=now,
                                                 links=links)
    return outcome


def _read_invoices(store: ReplyStore, ids: Sequence[str]) -> list[Invoice]:
    out = []
    for invoice_id in ids:
        found = store.checked_invoice(invoice_id)
        if isinstance(found, Invoice):
            out.append(found)
    return out


def _keep_for_review(reply_id: str, raw_key: str, message: InboundMessage | None, why: str, *, store: ReplyStore,
                     sender: EmailSender, rules: Rules, today: date, now: datetime,
                     automatic: bool = False) -> ReplyOutcome:
    record = {"type": "reply", "raw_key": raw_key, "received_at": now.isoformat(timespec="seconds"),
              "received_on": today.isoformat(), "sender": message.sender if message else "",
              "sender_name": message.sender_name if message else "",
              "subject": _subject_text(message.subject) if message else "",
              "automatic": automatic, "customer": "", "invoices": [], "matched_by": "", "suggestions": [],
              "first_lines": intents.first_lines(message.text) if message else "", "status": "unmatched",
              "why": why}
    if not store.keep_reply(reply_id, record):
        return ReplyOutcome("duplicate", reply_id)
    outcome = ReplyOutcome("unmatched" if message is not None else "refused", reply_id)
    if automatic:
        return outcome  # an out-of-office reply nobody can place: nothing for a person to do
    from ..texts import render_text

    company = rules.company
    text = render_text("reponse-a-classer.fr.txt.j2", {
        "company_name": company.name, "reply": record, "why": why, "received": today}, rules.directory)
    subject, _, body = text.partition("\n")
    key = f"reply-review-{reply_id}"
    raw = build_email(sender_name=company.name, sender=company.email, to=[company.email], subject=subject,
                      text=body.strip("\n"), message_id=key, sent_at=now)
    send_once(store, sender, key=key, raw=raw, sender_address=company.email, to=[company.email],
              reply_to=company.email)
    outcome.notified = company.email
    return outcome


def _last_messages(store: ReplyStore, invoices: Sequence[Invoice], this_reply: str,
                   count: int = 5) -> list[dict[str, Any]]:
    """The customer's last exchanges (messages sent, calls made, earlier replies), newest first, one per message."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for invoice in invoices:
        for event in store.history(invoice.id):
            if event.get("kind") not in (EventKind.SENT, EventKind.CALL_MADE, EventKind.REPLY_RECEIVED) \
                    or event.get("reply") == this_reply:
                continue
            try:
                day = date.fromisoformat(str(event.get("date", "")))
            except ValueError:
                continue
            key = (day.isoformat(), str(event.get("message_key") or event.get("reply") or event["kind"]))
            entry = seen.setdefault(key, {"date": day, "invoices": [],
                                          "label": event_label(str(event["kind"]), str(event.get("channel", "")))})
            entry["invoices"].append(invoice.id)
    return sorted(seen.values(), key=lambda e: e["date"], reverse=True)[:count]


def _tell_account_manager(reply_id: str, message: InboundMessage, customer: Customer, open_invoices: list[Invoice],
                          suggested: Sequence[intents.Suggestion], paused_until: date | None, *, store: ReplyStore,
                          sender: EmailSender, rules: Rules, now: datetime, links: StaffLinks | None = None) -> str:
    from ..texts import render_text

    company = rules.company
    manager = customer.account_manager or company.email
    staff_link = links.reply_link(manager=manager, customer_id=customer.id, invoices=[i.id for i in open_invoices],
                                  reply_id=reply_id) if links and manager else ""
    today = now.date()
    text = render_text("reponse-client.fr.txt.j2", {
        "company_name": company.name, "customer": customer, "sender": message.sender,
        "sender_name": message.sender_name, "subject": _subject_text(message.subject),
        "own_text": intents.own_text(message.text)[:6000], "paused_until": paused_until,
        "invoices": [{"id": i.id, "due_date": i.due_date, "amount_due": i.amount_due,
                      "days_late": (today - i.due_date).days, "status": i.status} for i in open_invoices],
        "total": sum((i.amount_due for i in open_invoices), Decimal(0)),
        "last_messages": _last_messages(store, open_invoices, reply_id),
        "suggestions": [{"label": SUGGESTION_LABELS[s.kind], "on": s.on, "excerpt": s.excerpt,
                         "until": intents.promise_until(s, today) if s.kind != intents.DISPUTE else None,
                         "kind": s.kind} for s in suggested],
        "reply_id": reply_id, "staff_link": staff_link}, rules.directory)
    subject, _, body = text.partition("\n")
    key = f"reply-{reply_id}"
    # Answering this e-mail answers the debtor, when their address can be written in a header.
    answer_to = message.sender if message.sender and address_problem(message.sender) is None else company.email
    raw = build_email(sender_name=company.name, sender=company.email, to=[manager], subject=subject,
                      text=body.strip("\n"), message_id=key, sent_at=now, reply_to=answer_to)
    send_once(store, sender, key=key, raw=raw, sender_address=company.email, to=[manager], reply_to=answer_to)
    return manager


# -- a person's review ----------------------------------------------------------------------------------------


def _reply(store: ReplyStore, reply_id: str) -> dict[str, Any]:
    found = store.reply(reply_id)
    if found is None:
        raise UnknownReply(reply_id)
    return found


def review_reply(store: ReplyStore, reply_id: str, *, by: str, now: datetime, decision: str = "dismissed",
                 note: str = "") -> list[str]:
    """A person has read the reply and decided (``decision``: a suggestion applied, or ``dismissed``): each of
    its invoices gets ``reply_reviewed`` (who, when, what) and may go to litigation again. The invoices
    reviewed; ``[]`` when the reply had none, or was reviewed already."""
    reply = _reply(store, reply_id)
    if reply.get("status") == "reviewed":
        return []
    today = now.date()
    details = {"reply": reply_id, "by": by, "at": now.isoformat(timespec="seconds"), "decision": decision,
               "note": " ".join(note.split())[:500]}
    done = []
    for invoice_id in reply.get("invoices", []):
        if store.update_invoice_state(str(invoice_id), kind=EventKind.REPLY_REVIEWED, on=today, sets={},
                                      removes=("reply_pending",), details=details):
            done.append(str(invoice_id))
    store.update_reply(reply_id, {**reply, "status": "reviewed", "reviewed_by": by,
                                  "reviewed_at": details["at"], "decision": decision})
    return done


def apply_suggestion(store: ReplyStore, reply_id: str, kind: str, *, by: str, now: datetime,
                     on: date | None = None, reason: str = "") -> list[str]:
    """A person applies what the reply suggests to each of its invoices, then the reply counts as reviewed:

    - ``already_paid``: reminders wait :data:`~relance.domain.replies.CHECK_DAYS` days while the payment is looked
      for on the bank statement (recorded as a promise, noted « paiement annoncé, à vérifier »);
    - ``transfer_sent``: a promise until the transfer's day (``on``, else the one read) plus a few days;
    - ``promise``: a promise until ``on`` (else the day read in the reply);
    - ``dispute``: the invoices are disputed, with ``reason`` (else the words read in the reply).

    ``by`` is the person (their e-mail address, as the staff link is bound to it). Returns the invoices changed;
    :class:`UnknownReply`, :class:`NotApplicable` when the kind is not one relance knows or needs a date."""
    reply = _reply(store, reply_id)
    if kind not in intents.SUGGESTION_KINDS:
        raise NotApplicable(f"suggestion inconnue : {kind}")
    read = next((intents.Suggestion.from_dict(s) for s in reply.get("suggestions", []) if s.get("kind") == kind),
                intents.Suggestion(kind))
    if on is not None:
        read = intents.Suggestion(kind, on, read.excerpt)
    if kind == intents.PROMISE and read.on is None:
        raise NotApplicable("une promesse de paiement a besoin d’une date")
    today = now.date()
    at = now.isoformat(timespec="seconds")
    common = {"reply": reply_id, "by": by, "at": at, "suggestion": kind}
    changed = []
    for invoice_id in (str(i) for i in reply.get("invoices", [])):
        found = store.checked_invoice(invoice_id)
        if not isinstance(found, Invoice) or found.is_settled_on(today) or isinstance(found, Unusable):
            continue
        if kind == intents.DISPUTE:
            text = " ".join((reason or read.excerpt or "réponse du client par e-mail").split())[:500]
            ok = store.update_invoice_state(invoice_id, kind=EventKind.DISPUTE, on=today,
                                            sets={"status": "disputed"}, when_status=("open",),
                                            details={**common, "reason": text})
        else:
            until = intents.promise_until(read, today)
            note = {intents.ALREADY_PAID: "paiement annoncé par le client, à vérifier sur le relevé",
                    intents.TRANSFER_SENT: "virement annoncé par le client",
                    intents.PROMISE: "promesse écrite du client"}[kind]
            ok = store.update_invoice_state(invoice_id, kind=EventKind.PROMISE, on=today,
                                            sets={"promise_to_pay_until": until.isoformat()},
                                            when_status=("open", "disputed"),
                                            details={**common, "until": until.isoformat(), "note": note})
        if ok:
            changed.append(invoice_id)
    if not changed:
        raise NotApplicable("aucune facture de cette réponse n’est encore à relancer")
    review_reply(store, reply_id, by=by, now=now, decision=kind, note=reason)
    return changed
