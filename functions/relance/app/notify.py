"""Notifications by e-mail (call digest, dossier ready, weekly report), sent once even when retried."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ports import tag_safe


def send_once(store: Any, sender: Any, *, key: str, raw: bytes, sender_address: str, to: Sequence[str],
              reply_to: str) -> str:
    """Send a notification (digest, dossier, report) tagged with ``key``, unless SES already confirmed one with
    that key: the retry of a send whose answer was lost (SES's « Send » event, handlers.ses_events)."""
    confirmed = store.records(f"SESKEY#{tag_safe(key)}")
    if confirmed:
        return str(confirmed[0]["provider_id"])
    return sender.send(raw=raw, sender=sender_address, to=to, reply_to=reply_to, tags={"message_key": key})
