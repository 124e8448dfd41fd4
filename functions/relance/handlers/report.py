"""The weekly collection report (Monday 08:00 Europe/Paris), e-mailed to the company contact."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..adapters.s3docs import S3Documents
from ..adapters.ses import SesSender
from ..app.report import build_report, email_report
from ..app.schedule import scheduled_day
from ._channel import clock
from ._runtime import LazyRuntime

logger = Logger(service="report")
metrics = Metrics(namespace="Relance", service="report")
runtime = LazyRuntime()
reset = runtime.reset


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = runtime()
    times = clock(rt)
    on = scheduled_day(event, rt.rules.calendar.timezone, times["now"](), day_key="on")
    report = build_report(rt.store.whole_book(), rt.rules, on)
    documents = S3Documents(rt.s3, rt.settings.documents_bucket)
    documents.put(f"reports/{on.isoformat()}.html", report.html.encode("utf-8"), "text/html; charset=utf-8")
    documents.put(f"reports/{on.isoformat()}.csv", report.csv, "text/csv; charset=utf-8")
    message_id = email_report(report, rules=rt.rules, on=on,
                              sender=SesSender(rt.client("sesv2"), rt.settings.ses_configuration_set),
                              now=times["now"](), store=rt.store)
    metrics.add_metric(name="ReportsSent", unit=MetricUnit.Count, value=1)
    logger.info("weekly report sent", extra={"on": on.isoformat()})
    return {"on": on.isoformat(), "provider_id": message_id}
