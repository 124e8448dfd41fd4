"""Notifications by e-mail (call digest, dossier ready, weekly report), sent once even when retried: the
provider's own confirmation of an e-mail tagged with the key (SES's « Send » event) is looked up first."""

from __future__ import annotations

from collections.abc import Sequence

from ..ports import EmailConfirmations, EmailSender


def confirmed_send(store: EmailConfirmations, key: str) -> str | None:
    """The provider's message id of an e-mail tagged with ``key`` that it confirmed (SES's « Send » event, kept
    by ``app.bounces``), or ``None``: how the retry of a send whose answer was lost learns it went out."""
    return store.email_confirmation(key)


def send_once(store: EmailConfirmations, sender: EmailSender, *, key: str, raw: bytes, sender_address: str,
              to: Sequence[str], reply_to: str) -> str:
    """Send a notification (digest, dossier, report) tagged with ``key``, unless the provider confirmed one."""
    confirmed = confirmed_send(store, key)
    if confirmed is not None:
        return confirmed
    return sender.send(raw=raw, sender=sender_address, to=to, reply_to=reply_to, tags={"message_key": key})
