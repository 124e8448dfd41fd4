"""The account managers' daily call digest (scheduled after the evaluation, 10:30 Europe/Paris), and the
company's notice of the payments kept for review since the last one."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.daily_notices import send_daily_notices
from ..app.schedule import scheduled_day
from ._runtime import LazyRuntime

logger = Logger(service="digest")
metrics = Metrics(namespace="Relance", service="digest")
runtime = LazyRuntime()
reset = runtime.reset


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rt = runtime()
    now = rt.clock.now()
    day = scheduled_day(event, rt.clock.timezone, now)
    notices = send_daily_notices(store=rt.store, sender=rt.email_sender, rules=rt.rules, day=day, now=now,
                                 links=rt.staff_links)
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=len(notices.digests))
    metrics.add_metric(name="ReviewNoticesSent", unit=MetricUnit.Count, value=int(notices.review_notice is not None))
    metrics.add_metric(name="PlatformNoticesSent", unit=MetricUnit.Count,
                       value=int(notices.platform_notice is not None))
    answer = notices.as_dict(day)
    logger.info("call digests sent", extra=answer)
    return answer
