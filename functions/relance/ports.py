"""The ports between the application and the outside world; adapters implement them, tests fake them.

One protocol per use: the daily evaluation (:class:`InvoiceStore`), the channels (:class:`ChannelStore`), the
call digest, notifications, the postal callback, SES's events, what people record, imports, parked
litigation steps. :class:`relance.adapters.dynamo.DynamoStore` implements them all on one table;
``tests/support/fake_store.py`` in memory, with the same semantics (a contract test runs on both).
No port speaks of table keys: each access pattern has its name."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from .domain.model import Action, Address, Book, Customer, Invoice, Unusable
from .domain.plans import PaymentPlan
from .domain.reconcile import Upserted


@dataclass(frozen=True, slots=True)
class ShardSnapshot:
    """The open invoices of one shard with their customers, and the version each invoice was read at."""

    book: Book
    versions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionRecord(Action):
    """The planner's :class:`~relance.domain.planner.Action` as an evaluation run records it (and then queues
    it): the action's own fields, plus when, in which shard, under which rules, and whether it was cancelled
    since. :meth:`planned` makes one from the planner's."""

    run_date: date
    shard: int
    rules_digest: str = ""
    cancelled: str = ""  # why it must not be queued any more (a payment arrived): the next flush drops it

    @classmethod
    def planned(cls, action: Action, *, run_date: date, shard: int, rules_digest: str) -> ActionRecord:
        return cls(**action.fields(), run_date=run_date, shard=shard, rules_digest=rules_digest)

    @property
    def group(self) -> tuple[str, str, str, str]:
        """Actions of one run with the same customer, channel and tone make one message (SPEC §2.7)."""
        return (self.run_date.isoformat(), self.customer, self.channel, self.tone or "")


class Approvals(Protocol):
    """Actions awaiting a person's approval (``app.approvals``)."""

    def request_approval(self, action: ActionRecord, read_version: int) -> bool:
        """Record atomically that ``action`` awaits approval: the invoice's approval (pending), the history event
        ``approval_requested`` and the request listed for the digest. ``False`` when this step was already asked
        for or the invoice changed since it was read."""
        ...

    def decide_approval(self, invoice_id: str, step: str, *, state: str, kind: str, on: date, by: str,
                        from_states: tuple[str, ...], details: dict[str, str] | None = None) -> bool:
        """Set the invoice's approval of ``step`` to ``state`` (approved, held) with the history event ``kind``,
        only from ``from_states``, and take the request off the digest's list. ``False`` if not."""
        ...

    def awaiting_approvals(self) -> list[dict[str, Any]]:
        """The requests still awaiting an answer: each ``invoice``, ``customer``, ``step``, ``channel``, ``tone``,
        ``scenario``, ``requested_on``."""
        ...


class InvoiceStore(Approvals, Protocol):
    def open_invoices(self, shard: int) -> ShardSnapshot: ...

    def record_action(self, action: ActionRecord, read_version: int) -> bool:
        """Record atomically: the action (once per invoice + step), the invoice's new state, the history
        event and the outbox entry. ``False`` when already recorded or the invoice changed since it was read."""
        ...

    def record_unusable(self, aside: Unusable, run_date: date) -> bool:
        """Record on the invoice's history that it was set aside and why, once per problem; ``False`` when
        this problem was already recorded."""
        ...

    def pending_outbox(self, shard: int, *, with_cancelled: bool = False) -> list[ActionRecord]:
        """The shard's actions recorded but not queued; ``with_cancelled`` adds those cancelled meanwhile."""
        ...

    def clear_outbox(self, actions: Sequence[ActionRecord]) -> None: ...

    def put_message_actions(self, key: str, actions: Sequence[dict[str, str]]) -> None:
        """Keep the actions of a message too large to list them (sent by reference) under its key."""
        ...

    def cancel_pending(self, invoice_id: str, shard: int, reason: str) -> int:
        """Mark the invoice's actions recorded but not queued as cancelled (the next flush drops them)."""
        ...

    def history(self, invoice_id: str) -> list[dict[str, Any]]: ...


class MessageActions(Protocol):
    def message_actions(self, key: str) -> list[dict[str, str]]:
        """The actions of a message sent by reference; ``[]`` when the store holds none under ``key``."""
        ...


class ParkedSteps(Protocol):
    """Litigation steps parked until their formal notice's deadline (``app.parked``)."""

    def park(self, ready_on: date, key: str, fields: dict[str, Any]) -> None: ...

    def parked_until(self, day: date) -> list[tuple[str, dict[str, Any]]]:
        """(id, fields) of the steps ready on ``day`` or before, in the order of their day."""
        ...

    def unpark(self, parked_id: str) -> None: ...


class History(Protocol):
    def append_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Append history events: each ``{"invoice", "kind", "date", …}``."""
        ...


class EmailConfirmations(Protocol):
    def email_confirmation(self, tag: str) -> str | None:
        """The SES message id SES confirmed (its « Send » event) for the e-mail tagged ``tag``, or ``None``."""
        ...


class PortalLinkStore(Protocol):
    """The portal links a message carries: one record per link, found by the id its token holds."""

    def keep_portal_link(self, link_id: str, fields: dict[str, Any], *, expires_at: int) -> None: ...

    def portal_link(self, link_id: str) -> dict[str, Any] | None:
        """The link's record (``customer``, ``channel``, ``issued``, ``revoked``…), ``None`` when unknown."""
        ...

    def revoke_portal_link(self, link_id: str) -> bool:
        """``False`` when there is no such link."""
        ...


class StaffLinkStore(Protocol):
    """The account managers' signed links (``app.staff``): the record a link opens, with its expiry (TTL)."""

    def keep_staff_link(self, link_id: str, fields: dict[str, Any], *, expires_at: int) -> None: ...

    def staff_link(self, link_id: str) -> dict[str, Any] | None:
        """The link's record (manager, action, customer, invoices, token, expires), or ``None``."""
        ...

    def revoke_staff_link(self, link_id: str) -> bool:
        """Mark the link revoked (its pages then answer as for an unknown link); ``False`` if unknown."""
        ...


class ReplyTokens(Protocol):
    """The reply address each e-mail carries (``app.replies``): an opaque random token → the message it answers."""

    def claim_reply_token(self, message_key: str, token: str, fields: dict[str, Any], *, expires_at: int) -> str:
        """Keep ``token`` for the message ``message_key`` (``fields``: ``customer``, ``invoices``, ``sent_on``)
        unless the message has one already (a retry): the token that holds, so a message keeps one address."""
        ...

    def reply_token(self, token: str) -> dict[str, Any] | None:
        """The message a token was given to (``message_key``, ``customer``, ``invoices``), ``None`` if unknown."""
        ...


class ChannelStore(MessageActions, History, EmailConfirmations, PortalLinkStore, ReplyTokens, Protocol):
    """What the channel functions read and keep about a message (``app.deliver``)."""

    def invoices(self, ids: Iterable[str]) -> dict[str, Invoice | Unusable]:
        """Fresh, strongly consistent reads: a channel re-checks before it sends; an item poisoned since
        planning comes back as why it cannot be used."""
        ...

    def customer(self, customer_id: str) -> Customer | None: ...

    def note_outcome_unknown(self, message_key: str, fields: dict[str, Any], *, expires_at: int) -> None: ...

    def outcome_unknown(self, message_key: str) -> dict[str, Any] | None: ...

    def keep_email(self, ses_message_id: str, message_body: str) -> None: ...

    def keep_letter(self, sending_id: str, record: dict[str, Any]) -> None: ...

    def keep_letter_by_reference(self, reference: str, record: dict[str, Any]) -> None: ...

    def add_call_task(self, day: date, task: dict[str, Any]) -> None:
        """``task`` carries ``account_manager``, ``customer`` and ``message_key``: one per the three."""
        ...


class DigestStore(EmailConfirmations, Protocol):
    def call_tasks(self, day: date) -> list[dict[str, Any]]: ...

    def digests_sent(self, day: date) -> list[dict[str, Any]]: ...

    def note_digest_sent(self, day: date, manager: str, fields: dict[str, Any]) -> None: ...


class ReviewNoticeStore(EmailConfirmations, Protocol):
    """What the notice of payments kept for review reads and records (``app.review_notice``)."""

    def review_payments(self, providers: Sequence[str] = ("stripe", "generic")) -> list[dict[str, str]]: ...

    def mark_review_notified(self, kept: Sequence[dict[str, str]], on: date) -> None: ...

    def review_notice(self, day: date) -> dict[str, dict[str, Any]]: ...

    def note_review_notice(self, day: date, part: str, fields: dict[str, Any], *, expires_at: int) -> None: ...


class PostalStatusStore(MessageActions, History, Protocol):
    """What the postal provider's status callback reads and records (``app.postal``)."""

    def letter(self, sending_id: str) -> dict[str, Any] | None: ...

    def letter_by_reference(self, reference: str) -> dict[str, Any] | None: ...

    def keep_letter(self, sending_id: str, record: dict[str, Any]) -> None: ...

    def mark_postal_status_once(self, sending_id: str, status_key: str) -> bool:
        """``False`` when this status of this letter was already applied."""
        ...

    def record_delivery(self, invoice_id: str, step: str, delivered_on: date) -> bool: ...


class BounceStore(MessageActions, History, Protocol):
    """What SES's events read and record (``app.bounces``)."""

    def confirm_email(self, tag: str, ses_message_id: str, *, expires_at: int) -> None: ...

    def email_message(self, ses_message_id: str) -> str | None: ...

    def mark_email_bad(self, customer_id: str, reason: str) -> None: ...


class Ledger(Protocol):
    """What people record by hand and the payment webhooks apply (``app.ledger``)."""

    def invoice(self, invoice_id: str) -> tuple[Invoice, int] | None:
        """The invoice and the version it was read at, or ``None``."""
        ...

    def checked_invoice(self, invoice_id: str) -> Invoice | Unusable | None:
        """The invoice, or why its stored item cannot be used, or ``None``: what a command reads first."""
        ...

    def apply_payment(self, *, provider: str, event_id: str, invoice_id: str, amount: Decimal, currency: str,
                      on: date, kind: str = "payment", details: dict[str, str] | None = None, charge: str = "",
                      charge_refunded: Decimal | None = None, refund_ids: Sequence[str] = ()) -> str:
        """Apply once per provider event; the outcome (``duplicate``, ``unmatched``, ``paid``…)."""
        ...

    def update_invoice_state(self, invoice_id: str, *, kind: str, on: date, sets: dict[str, Any],
                             removes: tuple[str, ...] = (), when_status: tuple[str, ...] = (),
                             details: dict[str, str] | None = None) -> bool:
        """Change the invoice's state with its history event, only from ``when_status``; ``False`` if not."""
        ...


class PlanLedger(Ledger, Protocol):
    """What agreeing a payment plan needs (``app.plans``)."""

    def record_payment_plan(self, invoice_id: str, plan: PaymentPlan, *, on: date,
                            details: dict[str, str]) -> bool:
        """Keep ``plan`` on the open invoice that has none, lift its promise to pay, and write the ``plan_agreed``
        event (with ``details``: the plan, who agreed it, when) in one step; ``False`` when the invoice is not
        open or already carries a plan."""
        ...


class PlanAgreement(Protocol):
    """Told of each plan once recorded: the written agreement (the « échéancier » PDF kept and sent to the
    debtor) hangs here, outside the recording."""

    def __call__(self, invoice: Invoice, plan: PaymentPlan, by: str) -> None: ...


class PlatformStatusStore(Ledger, History, Protocol):
    """What the e-invoicing platform's statuses need (``app.einvoicing``)."""

    def apply_platform_status(self, *, message_id: str, invoice_id: str, code: str, on: date,
                              sets: dict[str, str], when_status: tuple[str, ...] = (),
                              details: dict[str, str] | None = None, review: str = "",
                              known_invoice: bool = True) -> str:
        """Once per message: its history event (and a record kept for review when ``review``), and ``sets`` on
        the invoice from ``when_status``. ``applied``, ``recorded``, ``duplicate`` or ``unmatched``."""
        ...

    def einvoicing_reviews(self) -> list[dict[str, str]]:
        """Statuses kept for a person (each with its ``review_key``, ``notified_on`` once the company was told)."""
        ...


class PlatformReviewStore(ReviewNoticeStore, Protocol):
    """The daily notice of the platform statuses kept for review (``app.einvoicing.notify_platform_statuses``)."""

    def einvoicing_reviews(self) -> list[dict[str, str]]: ...

    def mark_einvoicing_reviews_notified(self, kept: list[dict[str, str]], on: date) -> None: ...


class ApprovalStore(Approvals, Ledger, Protocol):
    """What approving or holding an action reads and records (``app.approvals``)."""

    def customer(self, customer_id: str) -> Customer | None: ...

    def invoices(self, ids: Iterable[str]) -> dict[str, Invoice | Unusable]: ...


class NoticeStore(DigestStore, PlatformReviewStore, ApprovalStore, Protocol):
    """What the day's notices read and record (``app.daily_notices``): call tasks, digests sent, what is kept
    for review, the actions awaiting approval."""


class LitigationStore(Ledger, History, ParkedSteps, EmailConfirmations, Protocol):
    def customer(self, customer_id: str) -> Customer | None: ...

    def history(self, invoice_id: str) -> list[dict[str, Any]]: ...


class CheckoutRecords(Protocol):
    def checkout(self, session_id: str) -> dict[str, Any] | None:
        """A payment session the portal started (``invoice``, ``customer``, ``link_id``), or ``None``."""
        ...


class PortalStore(PortalLinkStore, PlanLedger, History, CheckoutRecords, Protocol):
    """What the debtor portal reads and records (``app.portal``)."""

    def customer(self, customer_id: str) -> Customer | None: ...

    def customer_open_invoices(self, customer_id: str) -> list[Invoice]:
        """The customer's open invoices (open, disputed, in litigation) that still have something due."""
        ...

    def keep_checkout(self, session_id: str, fields: dict[str, Any], *, expires_at: int) -> None: ...


class ReplyStore(ReplyTokens, Ledger, History, MessageActions, EmailConfirmations, Protocol):
    """What an inbound reply reads and records (``app.replies``)."""

    def customer(self, customer_id: str) -> Customer | None: ...

    def customers_by_email(self, address: str) -> list[Customer]:
        """The customers whose e-mail address is ``address`` (compared without case)."""
        ...

    def customer_open_invoices(self, customer_id: str) -> list[Invoice]: ...

    def email_message(self, ses_message_id: str) -> str | None:
        """The body of the message SES sent under ``ses_message_id`` (its actions), ``None`` if unknown."""
        ...

    def history(self, invoice_id: str) -> list[dict[str, Any]]: ...

    def keep_reply(self, reply_id: str, fields: dict[str, Any]) -> bool:
        """Keep a reply's record once: ``False`` when it was already kept (the same object notified twice)."""
        ...

    def reply(self, reply_id: str) -> dict[str, Any] | None: ...

    def update_reply(self, reply_id: str, fields: dict[str, Any]) -> None:
        """Replace the reply's record (its review: who, when, what)."""
        ...


class StaffStore(StaffLinkStore, ReplyStore, Ledger, History, Protocol):
    """What the staff pages read and record: the link, the customer and invoices it names, their history, the
    reply a suggestion is about."""

    def customer(self, customer_id: str) -> Customer | None: ...

    def history(self, invoice_id: str) -> list[dict[str, Any]]: ...


class ReportStore(EmailConfirmations, Protocol):
    def whole_book(self) -> Book:
        """Every customer and invoice, paid ones included: the weekly report (never the daily path)."""
        ...


class ImportStore(Protocol):
    def customers(self, ids: Iterable[str]) -> dict[str, Customer]: ...

    def upsert_customers(self, customers: Sequence[Customer]) -> list[str]:
        """``created``, ``updated`` or ``unchanged`` for each."""
        ...

    def upsert_invoices(self, invoices: Sequence[Invoice]) -> list[Upserted]:
        """Merge export rows into what relance recorded (``domain.reconcile``), in the order given."""
        ...

    def start_import(self, import_id: str, *, chunks: int, rows: int) -> None: ...

    def chunk_counted(self, import_id: str, chunk: int) -> bool: ...

    def chunk_done(self, import_id: str, chunk: int, *, rows: int) -> dict[str, int] | None:
        """Count a chunk once; ``None`` when it was counted already."""
        ...

    def import_progress(self, import_id: str) -> dict[str, int]: ...


class EmailSender(Protocol):
    def send(self, *, raw: bytes, sender: str, to: Sequence[str], reply_to: str, tags: dict[str, str]) -> str:
        """Send a raw MIME message; the provider's message id. Raises a :class:`ProviderError`."""
        ...


class Documents(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...


class MessageQueue(Protocol):
    def send(self, channel: str, bodies: Sequence[tuple[str, str]]) -> set[str]:
        """Queue (id, body) pairs on a channel's queue; return the ids that were accepted."""
        ...


class ProviderError(Exception):
    """A postal or e-mail provider refused or failed a send."""


class TransientProviderError(ProviderError):
    """Throttling, 5xx, timeout: retry later (SQS redelivery with backoff)."""


class OutcomeUnknown(TransientProviderError):
    """The request may have been carried out but its answer was lost (a read timeout, a connection closed
    mid-answer): retrying blindly could send twice, so the caller must first find out what happened."""


class PermanentProviderError(ProviderError):
    """Invalid address, rejected recipient: record it and surface it, never retry."""


class AlreadySent(PermanentProviderError):
    """The provider already holds this sending (a retry after an answer that timed out): it was posted."""


_REFERENCE_CHARS = re.compile(r"[^A-Za-z0-9 _-]")


def letter_reference(reference: str) -> str:
    """The short, deterministic form of a letter's business reference that postal providers keep and echo in
    their status callbacks (Merci Facteur: ≤ 30 of ``A-Za-z0-9 _-``, returned as ``ref_interne``).

    Applying it twice changes nothing, so a callback's reference can be normalised the same way whatever
    form it came in: this is how a letter whose sending id was never received is found again."""
    cleaned = _REFERENCE_CHARS.sub("-", reference)
    if len(cleaned) <= 30:
        return cleaned
    return f"{cleaned[:21]}-{hashlib.sha256(reference.encode()).hexdigest()[:8]}"


def tag_safe(value: str) -> str:
    """A value as SES keeps it in a message tag (letters, digits, ``_ - . @``; 256 at most): the message key
    its « Send » event brings back, by which a retry finds out that an e-mail did go out."""
    return "".join(c if c.isalnum() or c in "_-.@" else "_" for c in value)[:256]


@dataclass(frozen=True, slots=True)
class PostalReceipt:
    provider: str  # "merci_facteur", "local"
    provider_id: str  # the provider's id of the sending
    tracking_number: str = ""  # registered letters: the La Poste tracking / AR number
    cost: str = ""  # as reported, decimal string in euros, when known


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str  # the provider's session id (Stripe: cs_…)
    url: str  # where the debtor pays
    payment_status: str = ""  # paid | unpaid | no_payment_required


CHECKOUT_IDS_MAX_CHARS = 500  # several invoices' ids, comma-separated, in one metadata value (Stripe's limit)


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    """One invoice paid in a checkout: its id, the amount asked, the line's label."""

    invoice_id: str
    amount: Decimal
    description: str


class CheckoutProvider(Protocol):
    def create_session(self, *, lines: Sequence[CheckoutLine], currency: str, success_url: str,
                       cancel_url: str) -> CheckoutSession:
        """A hosted payment page for one or several invoices of one currency (card and SEPA Debit): a line item
        per invoice, our invoice ids in its metadata, in ``lines``' order. Raises a :class:`ProviderError`."""
        ...


class LetterProvider(Protocol):
    def send(self, *, pdf: bytes, recipient_name: str, recipient_address: Address, registered: bool,
             reference: str) -> PostalReceipt:
        """Post one letter. Raises TransientProviderError (retry) or PermanentProviderError (do not)."""
        ...


class PlatformReporter(Protocol):
    """Tells the e-invoicing platform (PA) what relance learned: an invoice collected (status 212)."""

    def report_collected(self, *, message_id: str, invoice_id: str, on: date, amount: Decimal,
                         currency: str) -> None:
        """Send one « 212 Encaissée »; ``message_id`` is stable across retries. Raises ``ProviderError``."""
        ...

