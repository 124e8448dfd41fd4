"""Notifications by e-mail (call digest, dossier ready, weekly report), sent once even when retried."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ports import tag_safe


def confirmed_by_ses(store: Any, key: str) -> str | None:
    """The SES message id of an e-mail tagged with ``key`` that SES accepted (its « Send » event, kept by
    handlers.ses_events), or ``None``: how the retry of a send whose answer was lost learns it went out."""
    return store.email_confirmation(tag_safe(key))


def send_once(store: Any, sender: Any, *, key: str, raw: bytes, sender_address: str, to: Sequence[str],
              reply_to: str) -> str:
    """Send a notification (digest, dossier, report) tagged with ``key``, unless SES already confirmed one."""
    confirmed = confirmed_by_ses(store, key)
    if confirmed is not None:
        return confirmed
    return sender.send(raw=raw, sender=sender_address, to=to, reply_to=reply_to, tags={"message_key": key})
