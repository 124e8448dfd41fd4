"""Litigation channel (LitigationQueue): the injonction de payer dossier, or why not, to the company contact."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.deliver import Channels
from ..app.litigation import handle_litigation
from ..app.messages import ChannelMessage
from ..app.runtime import Runtime
from ._channel import ChannelFunction


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    documents = rt.documents
    return handle_litigation(message, rules=rt.rules, store=rt.store, documents=documents, sender=rt.email_sender,
                             presign=documents.presign, today=channels.today(),
                             now=channels.now()).as_dict()


function = ChannelFunction("litigation", _deliver)
logger, metrics = function.logger, function.metrics
reset = function.reset


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return function.handler(event, context)
