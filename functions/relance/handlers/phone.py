"""Phone channel (PhoneQueue): one call task per message, gathered into each account manager's daily digest."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.deliver import Channels
from ..app.messages import ChannelMessage
from ..app.runtime import Runtime
from ._channel import ChannelFunction


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    return channels.phone(message).as_dict()


function = ChannelFunction("phone", _deliver)
logger, metrics = function.logger, function.metrics
reset = function.reset


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return function.handler(event, context)
