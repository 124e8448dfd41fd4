"""relance's closed vocabularies, said once: channels, the default tones, and the kinds of history events.

Everything else takes them from here: the rules model and loader, the JSON Schema of a rule file (a test
asserts its ``channel`` enum is :class:`Channel`), the settings (one queue per channel), the demo, and the
French labels (``domain/labels.py``, where a test asserts every event kind has one). The members are ``str``
(``StrEnum``), so a value read back from JSON or DynamoDB compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """How a step reaches the debtor. A step's ``channel`` in a rule file is one of these values."""

    EMAIL = "email"
    LETTER = "letter"
    REGISTERED_LETTER = "registered_letter"
    PHONE = "phone"
    LITIGATION = "litigation"


CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)
# Channels whose message is written from a template (litigation builds a dossier instead).
TEMPLATED_CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel if c is not Channel.LITIGATION)
# Channels that need the company's postal address (a letter's sender, a dossier's creditor).
POSTAL_CHANNELS: tuple[str, ...] = (Channel.LETTER.value, Channel.REGISTERED_LETTER.value, Channel.LITIGATION.value)
# Channels whose template starts with an « Objet : » line.
CHANNELS_WITH_SUBJECT: tuple[str, ...] = (Channel.EMAIL.value, Channel.LETTER.value, Channel.REGISTERED_LETTER.value)


class Tone(StrEnum):
    """The default tones, from the most courteous to the most formal (the escalation order).

    A rule file may name its own in ``tones:``; these are the ones it gets without that section."""

    COURTOIS = "courtois"
    FACTUEL = "factuel"
    FERME = "ferme"
    FORMEL = "formel"


DEFAULT_TONES: tuple[str, ...] = tuple(t.value for t in Tone)


class EventKind(StrEnum):
    """The ``kind`` of an event on an invoice's history: every kind something writes, and only those."""

    # relance's own work
    ACTION_PLANNED = "action_planned"
    ACTION_CANCELLED = "action_cancelled"
    ACTION_FAILED = "action_failed"
    INVALID_DATA = "invalid_data"
    # a message carried out, and what became of it
    SENT = "sent"
    REROUTED = "rerouted"
    CALL_TASK = "call_task"  # a call planned: on the account manager's list, not made
    CALL_MADE = "call_made"  # a call made, its outcome in ``note`` (``relance invoice call``)
    REPLY_RECEIVED = "reply_received"  # the debtor wrote back (app.replies): sender, subject, first lines
    REPLY_REVIEWED = "reply_reviewed"  # a person read that reply and decided (who, what)
    EMAIL_BOUNCED = "email_bounced"
    DELIVERED = "delivered"
    AR_SIGNED = "ar_signed"
    RETURNED = "returned"
    POSTAL_INCIDENT = "postal_incident"
    POSTAL_CREATED = "postal_created"
    POSTAL_PRINTED = "postal_printed"
    POSTAL_SENT = "postal_sent"
    POSTAL_IN_TRANSIT = "postal_in_transit"
    POSTAL_DEPOSIT_PROOF_AVAILABLE = "postal_deposit_proof_available"
    POSTAL_OTHER = "postal_other"
    # money
    PAYMENT = "payment"
    REFUND = "refund"
    PAYMENT_REVIEW = "payment_review"
    # the e-invoicing platform (PA): a lifecycle status of the invoice (app.einvoicing)
    EINVOICING_STATUS = "einvoicing_status"
    # people and litigation
    DISPUTE = "dispute"
    PROMISE = "promise"
    RESUME = "resume"
    LITIGATION = "litigation"
    LITIGATION_REFUSED = "litigation_refused"
    LITIGATION_PARKED = "litigation_parked"
    # approval before a step (``approval: required``; app.approvals)
    APPROVAL_REQUESTED = "approval_requested"  # awaiting a person: relance's bookkeeping, not a fact
    APPROVED = "approved"  # a person approved it (``by``), it goes out on the next run
    HELD = "held"  # a person held it (``by``): it does not go out, the invoice is paused
    APPROVAL_TIMEOUT = "approval_timeout"  # no answer in time: the step's ``then`` (send or hold) applied
    # not stored: the dossier's chronology adds them from the invoices themselves
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_DUE = "invoice_due"


class RecordedAfter(StrEnum):
    """Why a ``sent`` event was recorded by a retry rather than by the sending itself (``recorded_after``): how
    relance knows, not a fact between the parties — the dossier's chronology shows the sending alone."""

    SES_CONFIRMED = "ses_confirmed"  # SES's « Send » event confirmed an e-mail whose answer was lost
    ALREADY_POSTED = "already_posted"  # the postal provider refused the retry as a duplicate: it was posted


# A postal status callback (``adapters/postal_callback.STATUSES``) → the history event it writes.
_POSTAL_KINDS = {"delivered": EventKind.DELIVERED, "proof_available": EventKind.AR_SIGNED,
                 "returned": EventKind.RETURNED, "incident": EventKind.POSTAL_INCIDENT}


def postal_event_kind(status: str) -> EventKind:
    """The history event of a postal status: delivered, AR signed and returned by name, others ``postal_…``."""
    return _POSTAL_KINDS.get(status) or EventKind(f"postal_{status}")
