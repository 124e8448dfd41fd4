"""What a letter's status from the postal provider changes: the history of the letter's invoices, and the
date the formal notice was received (``delivered_on``), which the litigation step needs. Retries change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from aws_lambda_powertools import Logger

from ..domain.terms import postal_event_kind
from ..ports import Documents, PostalStatusStore, letter_reference
from .messages import ChannelMessage

logger = Logger(service="postal-status", child=True)



class LetterStatus(Protocol):
    """One status of one letter, as the provider's callback said it (``adapters.postal.StatusUpdate``)."""

    provider_id: str
    status: str
    event_date: date | None
    delivered_on: date | None
    tracking_number: str
    proof_url: str
    reference: str
    proof: bytes

    @property
    def dedupe_key(self) -> str: ...


@dataclass(frozen=True, slots=True)
class StatusApplied:
    outcome: str  # recorded | duplicate | unknown
    kind: str = ""  # the history event's kind, when recorded


def apply_status(update: LetterStatus, *, store: PostalStatusStore, documents: Documents | None,
                 today: Callable[[], date]) -> StatusApplied:
    """Record one status on the history of the letter's invoices; the same news twice is recorded once.

    A letter is found by the provider's sending id; one whose id never reached us (the answer to the send was
    lost, the retry refused as a duplicate) by the reference the callback echoes, and is then bound to its id.
    An unknown letter is not marked: should its record appear, the provider's retry is still applied.
    ``today()`` (the company's day) dates a status that carries no date."""
    found = store.letter(update.provider_id)
    if found is None and update.reference:
        found = store.letter_by_reference(letter_reference(update.reference))
        if found is not None:
            store.keep_letter(update.provider_id, {
                **found, "tracking_number": update.tracking_number or found.get("tracking_number", "")})
            logger.info("letter identified by its reference", extra={"provider_id": update.provider_id})
    if found is None:
        logger.warning("status for an unknown letter", extra={"provider_id": update.provider_id})
        return StatusApplied("unknown")
    if not store.mark_postal_status_once(update.provider_id, update.dedupe_key):
        return StatusApplied("duplicate")
    message = ChannelMessage.from_body(found["message"], store)
    proof_key = ""
    if update.proof and documents is not None:
        from ..adapters.postal import media_type

        content_type = media_type(update.proof)
        proof_key = f"proofs/{update.provider_id}/{update.status}.{content_type.split('/')[-1]}"
        documents.put(proof_key, update.proof, content_type)
    kind = postal_event_kind(update.status).value
    day = (update.delivered_on or update.event_date or today()).isoformat()
    store.append_events([{"invoice": a.invoice, "kind": kind, "date": day, "step": a.step,
                          "channel": message.channel, "provider_id": update.provider_id,
                          "tracking_number": update.tracking_number or found.get("tracking_number", ""),
                          "proof_url": update.proof_url, "proof": proof_key, "message_key": message.key}
                         for a in message.actions])
    if update.delivered_on is not None:
        for action in message.actions:
            store.record_delivery(action.invoice, action.step, update.delivered_on)
    return StatusApplied("recorded", kind)
