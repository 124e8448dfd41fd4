"""Litigation channel (LitigationQueue): the injonction de payer dossier, or why not, to the company contact."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..adapters.s3docs import S3Documents
from ..adapters.ses import SesSender
from ..app.deliver import ChannelMessage, Channels
from ..app.litigation import handle_litigation
from ..app.runtime import Runtime
from ._channel import ChannelFunction

PRESIGNED_SECONDS = 7 * 86400


def _deliver(rt: Runtime, channels: Channels, message: ChannelMessage) -> dict[str, Any]:
    bucket = rt.settings.documents_bucket

    def presign(key: str) -> str:
        return rt.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                            ExpiresIn=PRESIGNED_SECONDS)

    return handle_litigation(message, rules=rt.rules, store=rt.store, documents=S3Documents(rt.s3, bucket),
                             sender=SesSender(rt.client("sesv2"), rt.settings.ses_configuration_set),
                             presign=presign, today=channels.today(), now=channels.now()).as_dict()


function = ChannelFunction("litigation", _deliver)
logger, metrics = function.logger, function.metrics
reset = function.reset


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return function.handler(event, context)
