"""The ports between the application and the outside world; adapters implement them, tests fake them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from .domain.model import Book, Customer, Invoice, Unusable


@dataclass(frozen=True, slots=True)
class ShardSnapshot:
    """The open invoices of one shard with their customers, and the version each invoice was read at."""

    book: Book
    versions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One planned action, as recorded (and then queued) by an evaluation run."""

    run_date: date
    shard: int
    invoice: str
    customer: str
    segment: str
    scenario: str
    step: str
    channel: str
    tone: str | None
    rules_digest: str = ""
    cancelled: str = ""  # why it must not be queued any more (a payment arrived): the next flush drops it

    @property
    def group(self) -> tuple[str, str, str, str]:
        """Actions of one run with the same customer, channel and tone make one message (SPEC §2.7)."""
        return (self.run_date.isoformat(), self.customer, self.channel, self.tone or "")


class InvoiceStore(Protocol):
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

    def upsert_customer(self, customer: Customer) -> str: ...

    def upsert_invoice(self, invoice: Invoice) -> str: ...

    def history(self, invoice_id: str) -> list[dict[str, Any]]: ...


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


class LetterProvider(Protocol):
    def send(self, *, pdf: bytes, recipient_name: str, recipient_address: Any, registered: bool,
             reference: str) -> PostalReceipt:
        """Post one letter. Raises TransientProviderError (retry) or PermanentProviderError (do not)."""
        ...
