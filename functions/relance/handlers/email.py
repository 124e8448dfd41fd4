"""E-mail channel (EmailQueue): re-check, render, send through SESv2 as raw MIME, record.

A customer without a usable address, or an address SES refuses, falls back to a letter (EMAIL_FALLBACK).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..adapters.s3docs import S3Documents
from ..adapters.ses import SesSender
from ..app.deliver import ChannelMessage, Channels
from ..app.runtime import Runtime
from ._channel import ChannelFunction


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    documents = S3Documents(rt.s3, rt.settings.documents_bucket) if rt.settings.documents_bucket else None
    reroute = None
    if rt.settings.email_fallback == "letter":
        def reroute(moved: ChannelMessage) -> None:
            accepted = rt.queues.send_to(rt.settings.queue_for("letter"), [(moved.key, moved.body())])
            if moved.key not in accepted:
                raise RuntimeError("the letter queue refused the fallback message")
    sender = SesSender(rt.client("sesv2"), rt.settings.ses_configuration_set)
    return channels.email(message, sender=sender, documents=documents, reroute=reroute).as_dict()


function = ChannelFunction("email", _deliver)
logger, metrics = function.logger, function.metrics
reset = function.reset


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return function.handler(event, context)
