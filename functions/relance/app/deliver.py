"""The channels: what happens to one queued message — re-check, render, send, record.

Before anything is sent, the invoices are read again: one paid, cancelled, disputed or under a promise
since the run is dropped and recorded as cancelled, with why. Transient failures propagate (SQS retries
with backoff, then the DLQ); permanent ones are recorded on the history and fall back or surface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..domain.email import HeaderError, build_email
from ..domain.fmt import is_french, shortdate
from ..domain.labels import step_label
from ..domain.model import Customer, Invoice, Unusable, on_statement, why_held
from ..domain.plans import installments_paid, is_plan_step, step_installment
from ..domain.policy import Rules, Step, plan_step
from ..domain.render import Rendered, RenderFailed, TemplateMissing, render_message
from ..domain.terms import RecordedAfter
from ..letters import LetterDocument, LetterLine, sender_from
from ..ports import (
    AlreadySent,
    ChannelStore,
    DigestStore,
    Documents,
    EmailSender,
    LetterProvider,
    MessageQueue,
    OutcomeUnknown,
    PermanentProviderError,
    TransientProviderError,
    letter_reference,
)
from .exhibits import email_attachments, invoice_exhibit
from .messages import ChannelMessage, MalformedMessage, MessageAction, reroute_to_letter
from .notifications import confirmed_send, send_once
from .portal import Links
from .replies import reply_address
from .staff import CALL, StaffLinks

# How long a retry waits for SES's « Send » event after a lost answer before sending again. The queue's backoff
# hands the message over at +30 s, +90 s, +210 s: the third attempt sends, two are left before the DLQ.
CONFIRMATION_WAIT_S = 120


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
    """Why an invoice must no longer be reminded (the planner's own reasons, ``domain.model.why_held``), or
    ``None`` when it still must."""
    if invoice is None:
        return "invoice unknown"
    return why_held(invoice, today)


@dataclass(slots=True)
class ReadyMessage:
    message: ChannelMessage
    customer: Customer
    invoices: list[Invoice]
    step: Step
    rendered: Rendered
    dropped: list[tuple[str, str]] = field(default_factory=list)
    others: list[Invoice] = field(default_factory=list)  # the statement: the customer's other open invoices
    portal_link: str = ""  # the link the message carries (a letter's short one), "" without the portal

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
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC), links: Links | None = None,
                 reply_domain: str = "") -> None:
        self.rules = rules
        self.reply_domain = reply_domain  # debtors' replies come back to r+<token>@ it (app.replies); "": no
        self.links = links  # the debtor portal's links: each message carries a new one (None: no portal)
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
        k = step_installment(action.step)
        if k is not None:  # a payment plan's reminder or default notice: stale once that installment is paid
            plan = invoice.payment_plan
            if plan is None or installments_paid(plan, invoice.payments, self.today()) >= k:
                return "installment paid"
            return None
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
            if step is None:
                step = plan_step(action.step, self.rules.tones)
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
        if best is None:  # a payment plan's message (SPEC §2.9): its steps are no scenario's
            step = next((found for a in message.actions if (found := plan_step(a.step, self.rules.tones))), None)
            if step is not None:
                return step
            raise MalformedMessage("the message names no step of the current rules")
        return best[1]

    def prepare(self, message: ChannelMessage) -> ReadyMessage | Delivery:
        """The message made ready to send, or what became of it: cancelled (nothing left to remind), or
        failed for good when its template cannot make it — recorded on the history, never retried, since the
        same template and data would fail the same way on every attempt."""
        today = self.today()
        customer = self.store.customer(message.customer)
        # The statement's invoices are read in the same batch, so that one settled since the run is not listed.
        fresh = self.store.invoices([*(a.invoice for a in message.actions), *message.statement])
        keep, dropped = [], []
        for action in message.actions:
            found = fresh.get(action.invoice)
            if isinstance(found, Unusable):
                # Poisoned after planning: every attempt would fail alike, so it fails for good, once.
                reason = f"{found.reason} — {found.problem}"
                self._events(message, "action_failed", [action.invoice], reason=reason)
                dropped.append((action.invoice, found.reason))
                continue
            reason = why_not_due(found, today)
            if reason is None and found is not None:
                reason = self._superseded(action, found)
            if reason is None and found is not None:
                keep.append(found)
            else:
                dropped.append((action.invoice, reason))
                self._events(message, "action_cancelled", [action.invoice], reason=reason)
        if not keep or customer is None:
            return Delivery("cancelled", dropped=self._dropped(message))
        step = self._step(message, keep)
        acting = {a.invoice for a in message.actions}
        others = [found for i in message.statement if i not in acting
                  and isinstance(found := fresh.get(i), Invoice) and on_statement(found, today)]
        # A step's own template is for its own channel; a message moved to another channel (no e-mail
        # address → letter) takes that channel's template for the tone.
        template = step.template if step.channel == message.channel else None
        link = ""
        if self.links is not None:
            link = self.links.mint(customer.id, message.channel, self.rules,
                                   message_key=message.key).for_channel(message.channel)
        try:
            rendered = render_message(self.rules, customer=customer, invoices=keep, channel=message.channel,
                                      tone=message.tone, step_id=step.id, at=step.at_label, template=template,
                                      today=today, others=others,
                                      portal_link=link)
        except TemplateMissing as err:
            if not (is_plan_step(step.id) and template):
                self._events(message, "action_failed", [i.id for i in keep], reason=str(err))
                return Delivery("failed", reason=str(err), dropped=dropped)
            # Rules without the plan's own template (echeance, decheance): the tone's template says it.
            try:
                rendered = render_message(self.rules, customer=customer, invoices=keep, channel=message.channel,
                                          tone=message.tone, step_id=step.id, at=step.at_label, template=None,
                                          today=today, others=others, portal_link=link)
            except (TemplateMissing, RenderFailed) as again:
                self._events(message, "action_failed", [i.id for i in keep], reason=str(again))
                return Delivery("failed", reason=str(again), dropped=dropped)
        except RenderFailed as err:
            self._events(message, "action_failed", [i.id for i in keep], reason=str(err))
            return Delivery("failed", reason=str(err), dropped=dropped)
        return ReadyMessage(message, customer, keep, step, rendered, dropped, others, link)

    # -- e-mail ------------------------------------------------------------------------------------
    def email(self, message: ChannelMessage, *, sender: EmailSender, documents: Documents | None,
              reroute: MessageQueue | None) -> Delivery:
        """``reroute``: the queues, when an e-mail that cannot go out falls back to a letter (EMAIL_FALLBACK)."""
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
        exhibits = [e for invoice in prepared.invoices if (e := invoice_exhibit(documents, invoice.id))]
        attachments, left_out = email_attachments(exhibits, attachment_word(prepared.rendered.language))
        reply_to, message_id = prepared.customer.account_manager or company.email, message.key
        if self.reply_domain:
            # The reply comes back to relance (app.replies), which forwards it to the account manager.
            address = reply_address(self.store, message_key=message.key, customer=message.customer, invoices=ids,
                                    domain=self.reply_domain, today=self.today(), now=self.wall_clock())
            reply_to, message_id = address.reply_to, address.message_id
        try:
            raw = build_email(sender_name=company.name, sender=company.email, to=[prepared.customer.email],
                              subject=prepared.rendered.subject, text=prepared.rendered.body,
                              reply_to=reply_to, attachments=attachments,
                              message_id=message_id, sent_at=self.now(), language=prepared.rendered.language)
        except HeaderError as err:
            # An address no e-mail can carry: the same on every attempt, so recorded, not retried.
            self._events(message, "action_failed", ids, reason=str(err))
            return Delivery("failed", reason=str(err), dropped=prepared.dropped)
        try:
            provider_id = sender.send(raw=raw, sender=company.email, to=[prepared.customer.email],
                                      reply_to=reply_to,
                                      tags={"message_key": message.key, "customer": message.customer})
        except OutcomeUnknown:
            # SES may have sent it: the retry first looks for SES's « Send » event (handlers.ses_events).
            now = self.wall_clock()
            self.store.note_outcome_unknown(message.key, {"at": now.isoformat(), **sent_invoices(message, ids)},
                                            expires_at=int(now.timestamp()) + 7 * 86400)
            raise
        except PermanentProviderError as err:
            self._events(message, "action_failed", ids, reason=str(err), provider="ses")
            return self._fallback(message, ids, f"e-mail refused: {err}", reroute, prepared.dropped)
        self._events(message, "sent", ids, provider="ses", provider_id=provider_id,
                     **({"exhibits_left_out": ",".join(left_out)} if left_out else {}))
        self.store.keep_email(provider_id, message.body())
        return Delivery("sent", provider_id=provider_id, dropped=prepared.dropped)

    def _sent_by_an_earlier_attempt(self, message: ChannelMessage) -> Delivery | None:
        """A retried e-mail that SES did accept before (its answer was lost, or the function stopped before
        recording): recorded as sent, not sent again. While an earlier answer is known to be lost and SES has
        not confirmed yet, wait (a transient failure: the queue hands the message over later)."""
        provider_id = confirmed_send(self.store, message.key)
        unknown = self.store.outcome_unknown(message.key)
        if provider_id is not None:
            ids = invoices_sent(message, unknown) if unknown else [a.invoice for a in message.actions]
            self._events(message, "sent", ids, provider="ses", provider_id=provider_id,
                         recorded_after=RecordedAfter.SES_CONFIRMED)
            self.store.keep_email(provider_id, message.body())
            return Delivery("sent", provider_id=provider_id)
        if unknown:
            waited = (self.wall_clock() - datetime.fromisoformat(unknown["at"])).total_seconds()
            if waited < self.confirmation_wait_s:
                raise TransientProviderError(f"SES's answer for {message.key} was lost {int(waited)} s ago: "
                                             "waiting for its confirmation before sending again")
        return None

    def _dropped(self, message: ChannelMessage) -> list[tuple[str, str]]:
        return [(a.invoice, "no longer due") for a in message.actions]

    def _fallback(self, message: ChannelMessage, ids: list[str], reason: str, reroute: MessageQueue | None,
                  dropped: list[tuple[str, str]]) -> Delivery:
        if reroute is None:
            self._events(message, "action_failed", ids, reason=reason)
            return Delivery("failed", reason=reason, dropped=dropped)
        reroute_to_letter(reroute, message)
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
            self._events(message, "sent", ids, provider="postal", provider_id="",
                         recorded_after=RecordedAfter.ALREADY_POSTED, reference=reference,
                         document=f"letters/{message.run_date.isoformat()}/{message.key}.pdf")
            self.store.keep_letter_by_reference(reference, {
                "message": message.body(), "tracking_number": "", "registered": registered,
                **sent_invoices(message, ids)})
            return Delivery("sent", dropped=prepared.dropped)
        except PermanentProviderError as err:
            self._events(message, "action_failed", ids, reason=str(err), provider="postal")
            return Delivery("failed", reason=str(err), dropped=prepared.dropped)
        self._events(message, "sent", ids, provider=receipt.provider, provider_id=receipt.provider_id,
                     tracking_number=receipt.tracking_number,
                     document=f"letters/{message.run_date.isoformat()}/{message.key}.pdf")
        self.store.keep_letter(receipt.provider_id, {
            "message": message.body(), "tracking_number": receipt.tracking_number,
            "registered": registered, **sent_invoices(message, ids)})
        return Delivery("sent", provider_id=receipt.provider_id, tracking_number=receipt.tracking_number,
                        dropped=prepared.dropped)

    # -- phone -------------------------------------------------------------------------------------
    def _history_label(self, entry: Any, scenario: str) -> str:
        """A history entry in words for the call digest: its step as staff read it, never its id."""
        found = self.rules.scenarios.get(scenario)
        step = next((st for st in found.steps if st.id == entry.step), None) if found else None
        channel = entry.channel or (step.channel if step else "")
        tone = entry.tone or (step.tone if step else None)
        if not channel:
            return entry.step.replace("_", " ")
        return step_label(channel, tone, step.at if step else None, formal_notice=tone == _strongest(self.rules))

    def phone(self, message: ChannelMessage) -> Delivery:
        prepared = self.prepare(message)
        if isinstance(prepared, Delivery):
            return prepared
        customer, today = prepared.customer, self.today()
        manager = customer.account_manager or self.rules.company.email
        scenario_of = {a.invoice: a.scenario for a in message.actions}
        task = {
            "message_key": message.key, "account_manager": manager,
            "customer": customer.id, "customer_name": customer.name,
            "phone": customer.phone or str(customer.extra.get("telephone", "") or ""),
            "tone": message.tone, "step": prepared.step.id, "script": prepared.rendered.body,
            "step_label": step_label("phone", message.tone, prepared.step.at),
            "total": str(prepared.total),
            "invoices": [{"id": i.id, "due_date": i.due_date.isoformat(), "amount_due": str(i.amount_due),
                          "days_late": (today - i.due_date).days,
                          "already": [f"{self._history_label(h, scenario_of.get(i.id, ''))} le {shortdate(h.date)}"
                                      for h in i.history if h.step != prepared.step.id]}
                         for i in prepared.invoices],
        }
        self.store.add_call_task(today, task)
        ids = [i.id for i in prepared.invoices]
        self._events(message, "call_task", ids, account_manager=manager)
        return Delivery("sent", provider_id=f"call-{message.key}", dropped=prepared.dropped)


def _strongest(rules: Rules) -> str | None:
    return rules.tones[-1] if rules.tones else None


def attachment_word(language: str) -> str:
    """The invoice PDF's name as the debtor sees it: « Facture-F1.pdf », « Invoice-F1.pdf » in any other language."""
    return "Facture" if is_french(language) else "Invoice"


def letter_document(rules: Rules, prepared: ReadyMessage, registered: bool, today: date) -> LetterDocument:
    """What the PDF letter shows: the company, the debtor, the rendered text and the invoice table."""
    company = rules.company
    sender = sender_from(company)
    lines = tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount, i.amount_due) for i in prepared.invoices)
    return LetterDocument(sender=sender, recipient_name=prepared.customer.name,
                          recipient_address=prepared.customer.address, place=company.address.city,
                          date=today, subject=prepared.rendered.subject, body=prepared.rendered.body,
                          lines=lines, registered=registered, reference=prepared.message.key[:12],
                          payment_reference=" ".join(i.id for i in prepared.invoices), total=prepared.total,
                          others=tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount, i.amount_due)
                                       for i in sorted(prepared.others, key=lambda i: (i.due_date, i.id))),
                          portal_link=prepared.portal_link, language=prepared.rendered.language)


def call_digest_text(manager: str, day: date, tasks: Sequence[dict[str, Any]], company_name: str,
                     rules_dir: Path | None = None,
                     approvals: Sequence[dict[str, Any]] = ()) -> tuple[str, str]:
    """The account manager's daily digest: whom to call, how much, how late, what was sent, the script (the
    template ``appels.fr.txt.j2``, its first line the subject; the rules directory may override it); then the
    actions awaiting his approval (``app.approval_digest.Preview.as_context``)."""
    from ..texts import render_text

    total = sum((Decimal(t["total"]) for t in tasks), Decimal(0))
    text = render_text("appels.fr.txt.j2", {
        "day": day, "total": total, "company_name": company_name, "manager": manager,
        "tasks": sorted(tasks, key=lambda t: -Decimal(t["total"])), "approvals": list(approvals)}, rules_dir)
    subject, _, body = text.partition("\n")
    return subject, body.rstrip("\n")


def send_call_digests(*, store: DigestStore, sender: EmailSender, rules: Rules, day: date,
                      now: datetime, links: StaffLinks | None = None,
                      approvals: Mapping[str, Sequence[Any]] | None = None) -> dict[str, str]:
    """One e-mail per account manager with the day's call tasks and the actions awaiting his approval
    (``approvals``: ``app.approval_digest.Preview`` by manager, a letter's PDF attached); a manager already sent
    today is skipped. With ``links``, each call carries the manager's own link to record what it gave
    (``app.staff``)."""
    tasks = store.call_tasks(day)
    approvals = approvals or {}
    done = {r["account_manager"] for r in store.digests_sent(day)}
    by_manager: dict[str, list[dict[str, Any]]] = {manager: [] for manager in approvals if approvals[manager]}
    for task in tasks:
        by_manager.setdefault(task["account_manager"], []).append(task)
    sent: dict[str, str] = {}
    company = rules.company
    for manager, own in sorted(by_manager.items()):
        if manager in done:
            continue
        key = f"digest-{day.isoformat()}-{manager}"
        if links is not None:
            own = [{**task, "staff_link": links.mint(manager=manager, action=CALL, customer_id=task["customer"],
                                                      invoices=[i["id"] for i in task["invoices"]])}
                   if task.get("customer") else task for task in own]
        awaiting = approvals.get(manager, ())
        subject, text = call_digest_text(manager, day, own, company.name, rules.directory,
                                         [p.as_context() for p in awaiting])
        raw = build_email(sender_name=company.name, sender=company.email, to=[manager], subject=subject,
                          text=text, message_id=key, sent_at=now,
                          attachments=[p.attachment for p in awaiting if p.attachment])
        sent[manager] = send_once(store, sender, key=key, raw=raw, sender_address=company.email, to=[manager],
                                  reply_to=company.email)
        store.note_digest_sent(day, manager, {"provider_id": sent[manager], "tasks": len(own),
                                              "approvals": len(awaiting)})
    return sent
