"""What SES tells about the e-mails it handled (its events, from the configuration set every e-mail uses).

- Send: SES accepted a message. Kept for a week under the message key (its tag), so an e-mail function
  retrying after a lost answer finds that the e-mail did go out and records it instead of sending it again.
- Bounce (permanent), complaint, reject: the address is marked bad and the message goes out as a letter.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from ..ports import BounceStore, MessageQueue
from .messages import ChannelMessage, reroute_to_letter

logger = Logger(service="ses-events", child=True)

CONFIRMATION_KEPT_S = 7 * 86400


def _kind(notice: dict[str, Any]) -> str | None:
    return notice.get("eventType") or notice.get("notificationType")


def why_address_unusable(notice: dict[str, Any]) -> str | None:
    """Why the address must not be used again, or None (a soft bounce: the mailbox was full, say)."""
    kind = _kind(notice)
    if kind == "Bounce":
        bounce = notice.get("bounce", {})
        return f"bounce: {bounce.get('bounceSubType', 'permanent')}" if bounce.get("bounceType") == "Permanent" \
            else None
    if kind == "Complaint":
        return "complaint"
    if kind == "Reject":
        return "rejected by SES"
    return None


def handle_ses_notice(notice: dict[str, Any], *, store: BounceStore, queue: MessageQueue, now_s: int) -> str:
    """``confirmed`` (a « Send »), ``rerouted`` (the address marked bad, the message moved to a letter),
    ``unknown`` (no e-mail of ours under that SES id) or ``ignored``. ``now_s``: Unix seconds."""
    if _kind(notice) == "Send":
        return _confirm(notice, store, now_s)
    reason = why_address_unusable(notice)
    if reason is None:
        return "ignored"
    ses_id = notice.get("mail", {}).get("messageId", "")
    found = store.email_message(ses_id)
    if found is None:
        logger.warning("SES event for an unknown message", extra={"ses_message_id": ses_id})
        return "unknown"
    message = ChannelMessage.from_body(found, store)
    store.mark_email_bad(message.customer, reason)
    reroute_to_letter(queue, message)
    store.append_events([{"invoice": a.invoice, "kind": "email_bounced", "step": a.step, "reason": reason,
                          "channel": "email", "provider_id": ses_id, "message_key": message.key,
                          "to_channel": "letter"} for a in message.actions])
    return "rerouted"


def _confirm(notice: dict[str, Any], store: BounceStore, now_s: int) -> str:
    mail = notice.get("mail") or {}
    keys = (mail.get("tags") or {}).get("message_key") or []
    ses_id = str(mail.get("messageId") or "")
    if not keys or not ses_id:
        return "ignored"  # not sent by relance: no message key to confirm
    store.confirm_email(keys[0], ses_id, expires_at=now_s + CONFIRMATION_KEPT_S)
    return "confirmed"
