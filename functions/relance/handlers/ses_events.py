"""SES events (SNS), from the configuration set every e-mail is sent with.

- Send: SES accepted a message. Kept for a week under the message key (its tag), so an e-mail function
  retrying after a lost answer finds that the e-mail did go out and records it instead of sending it again.
- Bounce (permanent), complaint, reject: the address is marked bad and the message goes out as a letter.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.deliver import ChannelMessage
from ._runtime import LazyRuntime

logger = Logger(service="ses-events")
metrics = Metrics(namespace="Relance", service="ses-events")
runtime = LazyRuntime()
reset = runtime.reset


def _problem(notice: dict[str, Any]) -> str | None:
    """Why the address must not be used again, or None (a soft bounce: the mailbox was full, say)."""
    kind = notice.get("eventType") or notice.get("notificationType")
    if kind == "Bounce":
        bounce = notice.get("bounce", {})
        return f"bounce: {bounce.get('bounceSubType', 'permanent')}" if bounce.get("bounceType") == "Permanent" \
            else None
    if kind == "Complaint":
        return "complaint"
    if kind == "Reject":
        return "rejected by SES"
    return None


CONFIRMATION_KEPT_S = 7 * 86400


def _confirm(rt: Any, notice: dict[str, Any]) -> str:
    mail = notice.get("mail") or {}
    keys = (mail.get("tags") or {}).get("message_key") or []
    ses_id = str(mail.get("messageId") or "")
    if not keys or not ses_id:
        return "ignored"  # not sent by relance: no message key to confirm
    rt.store.confirm_email(keys[0], ses_id, expires_at=int(time.time()) + CONFIRMATION_KEPT_S)
    return "confirmed"


def handle_notice(notice: dict[str, Any]) -> str:
    rt = runtime()
    if (notice.get("eventType") or notice.get("notificationType")) == "Send":
        return _confirm(rt, notice)
    reason = _problem(notice)
    if reason is None:
        return "ignored"
    ses_id = notice.get("mail", {}).get("messageId", "")
    found = rt.store.email_message(ses_id)
    if found is None:
        logger.warning("SES event for an unknown message", extra={"ses_message_id": ses_id})
        return "unknown"
    message = ChannelMessage.from_body(found, rt.store)
    rt.store.mark_email_bad(message.customer, reason)
    moved = message.rerouted("letter")
    rt.queues.send_to(rt.settings.queue_for("letter"), [(moved.key, moved.body())])
    rt.store.append_events([{"invoice": a.invoice, "kind": "email_bounced", "step": a.step, "reason": reason,
                             "channel": "email", "provider_id": ses_id, "message_key": message.key,
                             "to_channel": "letter"} for a in message.actions])
    metrics.add_metric(name="AddressesMarkedBad", unit=MetricUnit.Count, value=1)
    return "rerouted"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = [handle_notice(json.loads(record.sns.message)) for record in SNSEvent(event).records]
    return {"outcomes": outcomes}
