"""The channels: what happens to one queued message — re-check, render, send, record.

Before anything is sent, the invoices are read again: one paid, cancelled, disputed or under a promise
since the run is dropped and recorded as cancelled, with why. Transient failures propagate (SQS retries
with backoff, then the DLQ); permanent ones are recorded on the history and fall back or surface.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from ..domain.email import HeaderError, build_email
from ..domain.fmt import shortdate
from ..domain.model import Customer, Invoice
from ..domain.render import Rendered, RenderFailed, TemplateMissing, render_message
from ..letters import LetterDocument, LetterLine, sender_from
from ..ports import (
    AlreadySent,
    LetterProvider,
    OutcomeUnknown,
    PermanentProviderError,
    TransientProviderError,
    letter_reference,
)
from ..rules.model import Rules, Step
from .notify import confirmed_by_ses, send_once

# How long a retry waits for SES's « Send » event after a lost answer before sending again. The queue's backoff
# hands the message over at +30 s, +90 s, +210 s: the third attempt sends, two are left before the DLQ.
CONFIRMATION_WAIT_S = 120


class MalformedMessage(ValueError):
    """A queued body that is not one of ours: it cannot be retried into shape."""


@dataclass(frozen=True, slots=True)
class MessageAction:
    invoice: str
    step: str
    segment: str
    scenario: str


class MessageActionsSource(Protocol):
    def message_actions(self, key: str) -> list[dict[str, str]]: ...


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    key: str
    run_date: date
    customer: str
    channel: str
    tone: str | None
    actions: tuple[MessageAction, ...]
    rules_digest: str = ""
    rerouted_from: str = ""
    resumes: str = ""  # the key of the message this one takes up again after waiting (a parked litigation step)
    # A customer with thousands of invoices: the actions are kept in the store under this key, not in the body.
    actions_ref: str = ""

    @classmethod
    def from_body(cls, body: str, store: MessageActionsSource | None = None) -> ChannelMessage:
        """Parse a queued or recorded body; one sent by reference reads its actions from ``store``."""
        try:
            raw = json.loads(body)
            ref = str(raw.get("actions_ref", ""))
            if ref:
                if store is None:
                    raise MalformedMessage("a message by reference needs the store to read its actions")
                listed = store.message_actions(ref)
                if not listed:
                    raise MalformedMessage(f"the actions of message {ref} are not in the store")
            else:
                listed = raw["actions"]
            return cls(key=str(raw["key"]), run_date=date.fromisoformat(raw["run_date"]),
                       customer=str(raw["customer"]), channel=str(raw["channel"]), tone=raw.get("tone") or None,
                       actions=tuple(MessageAction(str(a["invoice"]), str(a["step"]), str(a.get("segment", "")),
                                                   str(a["scenario"])) for a in listed),
                       rules_digest=str(raw.get("rules_digest", "")), rerouted_from=str(raw.get("rerouted_from", "")),
                       resumes=str(raw.get("resumes", "")), actions_ref=ref)
        except MalformedMessage:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise MalformedMessage(f"not a relance message: {type(err).__name__}") from None

    def body(self) -> str:
        listed: dict[str, Any] = (
            {"actions_ref": self.actions_ref, "action_count": len(self.actions)} if self.actions_ref else
            {"actions": [{"invoice": a.invoice, "step": a.step, "segment": a.segment, "scenario": a.scenario}
                         for a in self.actions]})
        return json.dumps({"key": self.key, "run_date": self.run_date.isoformat(), "customer": self.customer,
                           "channel": self.channel, "tone": self.tone, "rules_digest": self.rules_digest,
                           "rerouted_from": self.rerouted_from, **({"resumes": self.resumes} if self.resumes else {}),
                           **listed}, ensure_ascii=False)

    def rerouted(self, channel: str) -> ChannelMessage:
        return ChannelMessage(f"{self.key}-{channel}", self.run_date, self.customer, channel, self.tone, self.actions,
                              self.rules_digest, rerouted_from=self.channel, actions_ref=self.actions_ref)


class ChannelStore(Protocol):
    def invoices(self, ids: Sequence[str]) -> dict[str, Invoice]: ...
    def customer(self, customer_id: str) -> Customer | None: ...
    def append_events(self, events: Sequence[dict[str, Any]]) -> None: ...
    def put_record(self, pk: str, sk: str, fields: dict[str, Any], *, expires_at: int | None = None) -> None: ...
    def records(self, pk: str, prefix: str = "") -> list[dict[str, Any]]: ...
    def message_actions(self, key: str) -> list[dict[str, str]]: ...


class EmailSender(Protocol):
    def send(self, *, raw: bytes, sender: str, to: Sequence[str], reply_to: str, tags: dict[str, str]) -> str: ...


class Documents(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes | None: ...


class Reroute(Protocol):
    def __call__(self, message: ChannelMessage) -> None: ...


def sent_invoices(message: ChannelMessage, ids: Sequence[str]) -> dict[str, list[str]]:
    """Which of a message's invoices went out, as a record keeps it: for a message by reference (thousands of
    invoices, a record holds 400 KB at most) the few that were dropped rather than the many that were sent."""
    if not message.actions_ref:
        return {"invoices": list(ids)}
    kept = set(ids)
    return {"invoices_except": [a.invoice for a in message.actions if a.invoice not in kept]}


def invoices_sent(message: ChannelMessage, record: dict[str, Any]) -> list[str]:
    if "invoices" in record:
        return list(record["invoices"])
    dropped = set(record.get("invoices_except", []))
    return [a.invoice for a in message.actions if a.invoice not in dropped]


def why_not_due(invoice: Invoice | None, today: date) -> str | None:
    """Why an invoice must no longer be reminded, or ``None`` when it still must."""
    if invoice is None:
        return "invoice unknown"
    if invoice.is_settled_on(today):
        return "cancelled" if invoice.status == "cancelled" else "paid"
    if invoice.status in ("disputed", "litigation"):
        return invoice.status
    if invoice.promise_to_pay_until is not None and invoice.promise_to_pay_until >= today:
        return "promise to pay"
    return None


@dataclass(slots=True)
class Prepared:
    message: ChannelMessage
    customer: Customer
    invoices: list[Invoice]
    step: Step
    rendered: Rendered
    dropped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((i.amount_due for i in self.invoices), Decimal(0))


@dataclass(slots=True)
class Delivery:
    outcome: str  # sent | cancelled | rerouted | failed
    provider_id: str = ""
    tracking_number: str = ""
    reason: str = ""
    dropped: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "provider_id": self.provider_id, "tracking_number": self.tracking_number,
                "reason": self.reason, "dropped": [list(d) for d in self.dropped]}


class Channels:
    """The channel functions' shared logic, with the outside world passed in."""

    def __init__(self, *, rules: Rules, store: ChannelStore, now: Callable[[], datetime],
                 today: Callable[[], date], attempt: int = 1, confirmation_wait_s: float = CONFIRMATION_WAIT_S,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.rules = rules
        self.store = store
        self.now = now
        self.today = today
        self.attempt = attempt  # how many times the queue has handed this message over (1: the first time)
        self.confirmation_wait_s = confirmation_wait_s
        self.wall_clock = wall_clock  # real time, even when the day is pinned (RELANCE_TODAY)

    # -- shared ------------------------------------------------------------------------------------
    def _events(self, message: ChannelMessage, kind: str, invoices: Sequence[str], **fields: Any) -> None:
        steps = {a.invoice: a.step for a in message.actions}
        day = self.today().isoformat()
        self.store.append_events([{"invoice": i, "kind": kind, "date": day, "step": steps.get(i, ""),
                                   "channel": message.channel, "message_key": message.key, **fields}
                                  for i in invoices])

    def _superseded(self, action: MessageAction, invoice: Invoice) -> str | None:
        """A message held back (a DLQ redrive days later) whose invoice has moved on to a later step is stale."""
        scenario = self.rules.scenarios.get(action.scenario)
        if scenario is None:
            return None
        step = next((st for st in scenario.steps if st.id == action.step), None)
        if step is not None and step.at < 0 and self.today() > invoice.due_date:
            return "past due"  # a pre-due reminder held back past the due date (SPEC §2: dropped)
        order = {st.id: i for i, st in enumerate(scenario.steps)}
        mine = order.get(action.step, -1)
        later = [h.step for h in invoice.history if order.get(h.step, -1) > mine]
        return f"superseded by {later[-1]}" if later else None

    def _step(self, message: ChannelMessage, invoices: Sequence[Invoice] = ()) -> Step:
        """The step whose template speaks for the whole message: the furthest one; under a contact policy, that
        of the earliest-due (then smallest id) of the invoices it still speaks of (SPEC §2.8)."""
        if self.rules.contact is not None and invoices:
            first = min(invoices, key=lambda i: (i.due_date, i.id))
            action = next(a for a in message.actions if a.invoice == first.id)
            scenario = self.rules.scenarios.get(action.scenario)
            step = next((st for st in scenario.steps if st.id == action.step), None) if scenario else None
            if step is not None:
                return step
        best: tuple[int, Step] | None = None
        for action in message.actions:
            scenario = self.rules.scenarios.get(action.scenario)
            if scenario is None:
                continue
            for index, step in enumerate(scenario.steps):
                if step.id == action.step and (best is None or index > best[0]):
                    best = (index, step)
        if best is None:
            raise MalformedMessage("the message names no step of the current rules")
        return best[1]

    def prepare(self, message: ChannelMessage) -> Prepared | Delivery:
        """The message made ready to send, or what became of it: cancelled (nothing left to remind), or
        failed for good when its template cannot make it — recorded on the history, never retried, since the
        same template and data would fail the same way on every attempt."""
        today = self.today()
        customer = self.store.customer(message.customer)
        fresh = self.store.invoices([a.invoice for a in message.actions])
        keep, dropped = [], []
        for action in message.actions:
            reason = why_not_due(fresh.get(action.invoice), today) or self._superseded(action, fresh[action.invoice])
            if reason is None:
                keep.append(fresh[action.invoice])
            else:
                dropped.append((action.invoice, reason))
        for invoice_id, reason in dropped:
            self._events(message, "action_cancelled", [invoice_id], reason=reason)
        if not keep or customer is None:
            return Delivery("cancelled", dropped=self._dropped(message))
        step = self._step(message, keep)
        # A step's own template is for its own channel; a message moved to another channel (no e-mail
        # address → letter) takes that channel's template for the tone.
        template = step.template if step.channel == message.channel else None
        try:
            rendered = render_message(self.rules, customer=customer, invoices=keep, channel=message.channel,
                                      tone=message.tone, step_id=step.id, at=step.at_label, template=template,
                                      today=today)
        except (TemplateMissing, RenderFailed) as err:
            self._events(message, "action_failed", [i.id for i in keep], reason=str(err))
            return Delivery("failed", reason=str(err), dropped=dropped)
        return Prepared(message, customer, keep, step, rendered, dropped)

    # -- e-mail ------------------------------------------------------------------------------------
    def email(self, message: ChannelMessage, *, sender: EmailSender, documents: Documents | None,
              reroute: Reroute | None) -> Delivery:
        if self.attempt > 1:
            earlier = self._sent_by_an_earlier_attempt(message)
            if earlier is not None:
                return earlier
        prepared = self.prepare(message)
        if isinstance(prepared, Delivery):
            return prepared
        ids = [i.id for i in prepared.invoices]
        if not prepared.customer.email:
            return self._fallback(message, ids, "no e-mail address", reroute, prepared.dropped)
        company = self.rules.company
        attachments = []
        for invoice in prepared.invoices:
            pdf = documents.get(f"invoices/{invoice.id}.pdf") if documents is not None else None
            if pdf:
                attachments.append((f"Facture-{invoice.id}.pdf", pdf))
        try:
            raw = build_email(sender_name=company.name, sender=company.email, to=[prepared.customer.email],
                              subject=prepared.rendered.subject, text=prepared.rendered.body,
                              reply_to=prepared.customer.account_manager or company.email, attachments=attachments,
                              message_id=message.key, sent_at=self.now())
        except HeaderError as err:
            # An address no e-mail can carry: the same on every attempt, so recorded, not retried.
            self._events(message, "action_failed", ids, reason=str(err))
            return Delivery("failed", reason=str(err), dropped=prepared.dropped)
        try:
            provider_id = sender.send(raw=raw, sender=company.email, to=[prepared.customer.email],
                                      reply_to=prepared.customer.account_manager or company.email,
                                      tags={"message_key": message.key, "customer": message.customer})
        except OutcomeUnknown:
            # SES may have sent it: the retry first looks for SES's « Send » event (handlers.ses_events).
            now = self.wall_clock()
            self.store.put_record(f"SENDING#{message.key}", "META", {
                "type": "send_outcome_unknown", "at": now.isoformat(), **sent_invoices(message, ids)},
                expires_at=int(now.timestamp()) + 7 * 86400)
            raise
        except PermanentProviderError as err:
            self._events(message, "action_failed", ids, reason=str(err), provider="ses")
            return self._fallback(message, ids, f"e-mail refused: {err}", reroute, prepared.dropped)
        self._events(message, "sent", ids, provider="ses", provider_id=provider_id)
        self.store.put_record(f"SES#{provider_id}", "META", {"type": "ses_message", "message": message.body()})
        return Delivery("sent", provider_id=provider_id, dropped=prepared.dropped)

    def _sent_by_an_earlier_attempt(self, message: ChannelMessage) -> Delivery | None:
        """A retried e-mail that SES did accept before (its answer was lost, or the function stopped before
        recording): recorded as sent, not sent again. While an earlier answer is known to be lost and SES has
        not confirmed yet, wait (a transient failure: the queue hands the message over later)."""
        provider_id = confirmed_by_ses(self.store, message.key)
        unknown = self.store.records(f"SENDING#{message.key}")
        if provider_id is not None:
            ids = invoices_sent(message, unknown[0]) if unknown else [a.invoice for a in message.actions]
            self._events(message, "sent", ids, provider="ses", provider_id=provider_id,
                         note="confirmed by SES after a lost answer")
            self.store.put_record(f"SES#{provider_id}", "META", {"type": "ses_message", "message": message.body()})
            return Delivery("sent", provider_id=provider_id)
        if unknown:
            waited = (self.wall_clock() - datetime.fromisoformat(unknown[0]["at"])).total_seconds()
            if waited < self.confirmation_wait_s:
                raise TransientProviderError(f"SES's answer for {message.key} was lost {int(waited)} s ago: "
                                             "waiting for its confirmation before sending again")
        return None

    def _dropped(self, message: ChannelMessage) -> list[tuple[str, str]]:
        return [(a.invoice, "no longer due") for a in message.actions]

    def _fallback(self, message: ChannelMessage, ids: list[str], reason: str, reroute: Reroute | None,
                  dropped: list[tuple[str, str]]) -> Delivery:
        if reroute is None:
            self._events(message, "action_failed", ids, reason=reason)
            return Delivery("failed", reason=reason, dropped=dropped)
        reroute(message.rerouted("letter"))
        self._events(message, "rerouted", ids, reason=reason, to_channel="letter")
        return Delivery("rerouted", reason=reason, dropped=dropped)

    # -- letters -----------------------------------------------------------------------------------
    def letter(self, message: ChannelMessage, *, provider: LetterProvider, documents: Documents,
               render_pdf: Callable[[LetterDocument], bytes]) -> Delivery:
        prepared = self.prepare(message)
        if isinstance(prepared, Delivery):
            return prepared
        ids = [i.id for i in prepared.invoices]
        address = prepared.customer.address
        if not (address.line1 and address.postal_code and address.city):
            reason = "adresse postale incomplète : complétez-la dans la comptabilité puis réimportez les clients"
            self._events(message, "action_failed", ids, reason=reason)
            return Delivery("failed", reason=reason, dropped=prepared.dropped)
        registered = message.channel == "registered_letter"
        document = letter_document(self.rules, prepared, registered, self.today())
        pdf = render_pdf(document)
        documents.put(f"letters/{message.run_date.isoformat()}/{message.key}.pdf", pdf, "application/pdf")
        try:
            receipt = provider.send(pdf=pdf, recipient_name=prepared.customer.name, recipient_address=address,
                                    registered=registered, reference=message.key)
        except AlreadySent:
            # An earlier attempt was posted but its answer was lost (timeout): it is sent, not failed. Its
            # sending id never reached us, so the letter is kept under the reference the provider echoes in its
            # status callbacks: the first callback binds it to its id (handlers.postal_status).
            reference = letter_reference(message.key)
            self._events(message, "sent", ids, provider="postal", provider_id="", note="already posted (retry)",
                         reference=reference, document=f"letters/{message.run_date.isoformat()}/{message.key}.pdf")
            self.store.put_record(f"LETTERREF#{reference}", "META", {
                "type": "letter", "message": message.body(), "tracking_number": "", "registered": registered,
                **sent_invoices(message, ids)})
            return Delivery("sent", dropped=prepared.dropped)
        except PermanentProviderError as err:
            self._events(message, "action_failed", ids, reason=str(err), provider="postal")
            return Delivery("failed", reason=str(err), dropped=prepared.dropped)
        self._events(message, "sent", ids, provider=receipt.provider, provider_id=receipt.provider_id,
                     tracking_number=receipt.tracking_number,
                     document=f"letters/{message.run_date.isoformat()}/{message.key}.pdf")
        self.store.put_record(f"LETTER#{receipt.provider_id}", "META", {
            "type": "letter", "message": message.body(), "tracking_number": receipt.tracking_number,
            "registered": registered, **sent_invoices(message, ids)})
        return Delivery("sent", provider_id=receipt.provider_id, tracking_number=receipt.tracking_number,
                        dropped=prepared.dropped)

    # -- phone -------------------------------------------------------------------------------------
    def phone(self, message: ChannelMessage) -> Delivery:
        prepared = self.prepare(message)
        if isinstance(prepared, Delivery):
            return prepared
        customer, today = prepared.customer, self.today()
        manager = customer.account_manager or self.rules.company.email
        task = {
            "type": "call_task", "message_key": message.key, "account_manager": manager,
            "customer": customer.id, "customer_name": customer.name, "phone": customer.phone,
            "tone": message.tone, "step": prepared.step.id, "script": prepared.rendered.body,
            "total": str(prepared.total),
            "invoices": [{"id": i.id, "due_date": i.due_date.isoformat(), "amount_due": str(i.amount_due),
                          "days_late": (today - i.due_date).days,
                          "already": [f"{h.step} ({h.channel}) le {shortdate(h.date)}" for h in i.history
                                      if h.step != prepared.step.id]}
                         for i in prepared.invoices],
        }
        self.store.put_record(f"CALLS#{today.isoformat()}", f"{manager}#{customer.id}#{message.key}", task)
        ids = [i.id for i in prepared.invoices]
        self._events(message, "call_task", ids, account_manager=manager)
        return Delivery("sent", provider_id=f"call-{message.key}", dropped=prepared.dropped)


def letter_document(rules: Rules, prepared: Prepared, registered: bool, today: date) -> LetterDocument:
    """What the PDF letter shows: the company, the debtor, the rendered text and the invoice table."""
    company = rules.company
    sender = sender_from(company)
    lines = tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount, i.amount_due) for i in prepared.invoices)
    return LetterDocument(sender=sender, recipient_name=prepared.customer.name,
                          recipient_address=prepared.customer.address, place=company.address.city,
                          date=today, subject=prepared.rendered.subject, body=prepared.rendered.body,
                          lines=lines, registered=registered, reference=prepared.message.key[:12],
                          payment_reference=" ".join(i.id for i in prepared.invoices), total=prepared.total)


def call_digest_text(manager: str, day: date, tasks: Sequence[dict[str, Any]], company_name: str) -> tuple[str, str]:
    """The account manager's daily digest: whom to call, how much, how late, what was sent, the script."""
    from ..domain.fmt import longdate, money, weekday

    total = sum((Decimal(t["total"]) for t in tasks), Decimal(0))
    subject = f"Appels de relance du {weekday(day)} {longdate(day)} : {len(tasks)} client(s), {money(total)}"
    parts = [f"Bonjour,\n\nVoici les clients à appeler aujourd’hui ({len(tasks)}), pour {money(total)} en retard."]
    for n, task in enumerate(sorted(tasks, key=lambda t: -Decimal(t["total"])), 1):
        phone = task["phone"] or "téléphone non renseigné"
        lines = [f"{n}. {task['customer_name']} — {phone} — {money(Decimal(task['total']))}"]
        for invoice in task["invoices"]:
            already = "; ".join(invoice["already"]) or "aucune relance encore"
            lines.append(f"– Facture {invoice['id']} : {money(Decimal(invoice['amount_due']))}, "
                         f"{invoice['days_late']} jour(s) de retard. Déjà fait : {already}.")
        lines.append(f"Ton : {task['tone']}. Script :")
        lines.extend("    " + line if line else "" for line in task["script"].splitlines())
        ids = " ".join(i["id"] for i in task["invoices"])
        lines.append("Après l’appel, notez ce que le client a dit :")
        lines.append(f"    relance invoice promise {ids} --until AAAA-MM-JJ   (promesse de paiement)")
        lines.append(f"    relance invoice dispute {ids} --reason \"…\"        (litige)")
        lines.append(f"    relance invoice paid {ids}                          (déjà payé : virement vu sur le relevé)")
        parts.append("\n".join(lines))
    parts.append(f"Bonne journée,\n{company_name} — relances automatiques")
    return subject, "\n\n".join(parts)


def send_call_digests(*, store: Any, sender: EmailSender, rules: Rules, day: date, now: datetime) -> dict[str, str]:
    """One e-mail per account manager with the day's call tasks; a manager already sent today is skipped."""
    tasks = store.records(f"CALLS#{day.isoformat()}")
    done = {r["account_manager"] for r in store.records(f"DIGEST#{day.isoformat()}")}
    by_manager: dict[str, list[dict[str, Any]]] = {}
    for task in tasks:
        by_manager.setdefault(task["account_manager"], []).append(task)
    sent: dict[str, str] = {}
    company = rules.company
    for manager, own in sorted(by_manager.items()):
        if manager in done:
            continue
        key = f"digest-{day.isoformat()}-{manager}"
        subject, text = call_digest_text(manager, day, own, company.name)
        raw = build_email(sender_name=company.name, sender=company.email, to=[manager], subject=subject,
                          text=text, message_id=key, sent_at=now)
        sent[manager] = send_once(store, sender, key=key, raw=raw, sender_address=company.email, to=[manager],
                                  reply_to=company.email)
        store.put_record(f"DIGEST#{day.isoformat()}", manager, {"type": "digest", "account_manager": manager,
                                                                "provider_id": sent[manager], "tasks": len(own)})
    return sent
