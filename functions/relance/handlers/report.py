"""The weekly collection report (Monday 08:00 Europe/Paris), e-mailed to the company contact."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.report import weekly_report
from ..app.schedule import scheduled_day
from ._runtime import LazyRuntime

logger = Logger(service="report")
metrics = Metrics(namespace="Relance", service="report")
runtime = LazyRuntime()
reset = runtime.reset


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = runtime()
    on = scheduled_day(event, rt.clock.timezone, rt.clock.now(), day_key="on")
    message_id = weekly_report(rules=rt.rules, on=on, store=rt.store, documents=rt.documents,
                               sender=rt.email_sender, now=rt.clock.now())
    metrics.add_metric(name="ReportsSent", unit=MetricUnit.Count, value=1)
    logger.info("weekly report sent", extra={"on": on.isoformat()})
    return {"on": on.isoformat(), "provider_id": message_id}
