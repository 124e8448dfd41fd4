"""SES events (SNS), from the configuration set every e-mail is sent with; what they change is
``app.bounces``'s (a « Send » confirmed, a bounce or complaint moving the message to a letter)."""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.bounces import handle_ses_notice
from ._runtime import LazyRuntime

logger = Logger(service="ses-events")
metrics = Metrics(namespace="Relance", service="ses-events")
runtime = LazyRuntime()
reset = runtime.reset


def handle_notice(notice: dict[str, Any]) -> str:
    rt = runtime()
    outcome = handle_ses_notice(notice, store=rt.store, queue=rt.queues, now_s=int(time.time()))
    if outcome == "rerouted":
        metrics.add_metric(name="AddressesMarkedBad", unit=MetricUnit.Count, value=1)
    return outcome


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = [handle_notice(json.loads(record.sns.message)) for record in SNSEvent(event).records]
    return {"outcomes": outcomes}
