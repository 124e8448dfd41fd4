"""The account managers' daily call digest (scheduled after the evaluation, 10:30 Europe/Paris), and the
company's notice of the payments kept for review since the last one."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.deliver import send_call_digests
from ..app.einvoicing import notify_platform_statuses
from ..app.review_notice import notify_payments_kept_for_review
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
    sender = rt.email_sender
    sent = send_call_digests(store=rt.store, sender=sender, rules=rt.rules, day=day, now=now)
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=len(sent))
    review = notify_payments_kept_for_review(store=rt.store, sender=sender, company=rt.rules.company, day=day, now=now)
    metrics.add_metric(name="ReviewNoticesSent", unit=MetricUnit.Count, value=int(review is not None))
    platform = notify_platform_statuses(store=rt.store, sender=sender, company=rt.rules.company, day=day, now=now)
    metrics.add_metric(name="PlatformNoticesSent", unit=MetricUnit.Count, value=int(platform is not None))
    logger.info("call digests sent", extra={"run_date": day.isoformat(), "digests": len(sent),
                                            "review_notice": review is not None})
    return {"run_date": day.isoformat(), "digests": len(sent), "review_notice": review is not None,
            "platform_notice": platform is not None}
