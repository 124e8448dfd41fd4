"""Inbound e-mail (InboundFunction): SES's receipt rule stores each message on the reply domain in the documents
bucket under ``inbound/<SES message id>``, then invokes this function (its SES event names the message by that id);
an S3 notification of the object works too (the local demo sends one). Each message goes to
``app.replies.receive_reply``. Whatever a message holds, the answer says what became of it — never a traceback."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.replies import receive_reply
from ._runtime import LazyRuntime

logger = Logger(service="inbound")
metrics = Metrics(namespace="Relance", service="inbound")
runtime = LazyRuntime(need=("documents_bucket",))
reset = runtime.reset


def stored_keys(event: dict[str, Any], bucket: str, prefix: str) -> list[str]:
    """The objects an S3 notification (or an SES receipt event) names in the documents bucket under ``prefix``."""
    keys = []
    for record in event.get("Records") or []:
        if not isinstance(record, dict):
            continue
        if "s3" in record:
            s3 = record["s3"]
            name = str(s3.get("bucket", {}).get("name", ""))
            key = unquote_plus(str(s3.get("object", {}).get("key", "")))
        elif "ses" in record:
            name, key = bucket, prefix + str(record["ses"].get("mail", {}).get("messageId", ""))
        else:
            continue
        if name == bucket and key.startswith(prefix) and key != prefix:
            keys.append(key)
        else:
            logger.warning("object outside the inbound prefix ignored", extra={"bucket": name, "key": key})
    return keys


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = runtime()
    settings = rt.settings
    outcomes = []
    for key in stored_keys(event, settings.documents_bucket, settings.inbound_prefix):
        outcome = receive_reply(key, store=rt.single_item_store, documents=rt.documents, sender=rt.email_sender,
                                rules=rt.rules, reply_domain=settings.reply_domain, today=rt.clock.today(),
                                now=rt.clock.now(), links=rt.staff_links)
        metrics.add_metric(name=f"Replies_{outcome.outcome}", unit=MetricUnit.Count, value=1)
        logger.info("reply handled", extra={"reply": {k: v for k, v in outcome.as_dict().items()
                                                      if k in ("outcome", "reply", "customer", "matched_by",
                                                               "paused_until")}})
        outcomes.append(outcome.as_dict())
    return {"replies": outcomes}
