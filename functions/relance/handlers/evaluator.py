"""The daily evaluator.

- Scheduled (EventBridge Scheduler, 09:00 Europe/Paris): checks the rules, takes the run date from the time
  the schedule was meant to fire (a retry hours later still runs that day, see app.schedule) in the company's
  time zone, and queues one evaluation job per shard; then puts back on the litigation queue the steps parked
  until their formal notice's deadline (app.parked) whose day has come.
- Evaluation queue (SQS, one job per message): plans the shard, records the actions, queues the messages.

An optional ``run_date`` in the scheduled event reruns or backfills a given day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.evaluate import evaluate_shard, start_day
from ..app.messages import read_shard_job
from ._runtime import LazyRuntime

logger = Logger(service="evaluator")
metrics = Metrics(namespace="Relance", service="evaluator")
processor = BatchProcessor(event_type=EventType.SQS)
runtime = LazyRuntime(need=("evaluation_queue_url", "channel_queues"))
reset = runtime.reset


class ShardNotFullyQueued(RuntimeError):
    """Some messages were not accepted by SQS: fail the job so SQS retries it (recording is idempotent)."""


def _rules_or_fail() -> Any:
    from ..rules.loader import RulesError  # the rules pipeline is loaded by the first run, with the rules

    try:
        return runtime().rules
    except RulesError as err:
        metrics.add_metric(name="RulesInvalid", unit=MetricUnit.Count, value=1)
        logger.error("rules are invalid: nothing is planned or sent",
                     extra={"diagnostics": [str(d) for d in err.diagnostics if d.severity == "error"][:20]})
        raise


def _evaluate(record: SQSRecord) -> None:
    run_date, shard = read_shard_job(record.body)
    rt = runtime()
    rules = _rules_or_fail()
    report = evaluate_shard(rules=rules, store=rt.store, queue=rt.queues, run_date=run_date, shard=shard,
                            planner=rt.planner, record_workers=rt.settings.record_workers,
                            contacts=rt.contact_log)
    metrics.add_metric(name="InvoicesEvaluated", unit=MetricUnit.Count, value=report.invoices)
    metrics.add_metric(name="ActionsRecorded", unit=MetricUnit.Count, value=report.recorded)
    if report.in_error:
        metrics.add_metric(name="InvoicesInError", unit=MetricUnit.Count, value=report.in_error)
        logger.warning("invoices set aside: unusable data or a failed computation; the others were planned",
                       extra={"run_date": report.run_date.isoformat(), "shard": report.shard,
                              "in_error": report.in_error, "set_aside": report.set_aside})
    for channel, count in report.queued_messages.items():
        metrics.add_metric(name=f"MessagesQueued_{channel}", unit=MetricUnit.Count, value=count)
    errors = sorted(set(rt.queues.take_errors()))
    logger.info("shard evaluated", extra={**report.as_dict(), "queue_errors": errors})
    if report.not_queued:
        raise ShardNotFullyQueued(f"{report.not_queued} action(s) recorded but not queued yet "
                                  f"(SQS: {', '.join(errors) or 'no answer'})")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        return process_partial_response(event=event, record_handler=_evaluate, processor=processor, context=context)
    rules = _rules_or_fail()
    rt = runtime()
    day = start_day(event, timezone=rules.calendar.timezone, now=datetime.now(UTC), shards=rt.settings.shards,
                    queue_jobs=partial(rt.queues.send_to, rt.settings.evaluation_queue_url), store=rt.store,
                    queue_litigation=partial(rt.queues.send_to, rt.settings.queue_for("litigation")))
    metrics.add_metric(name="ShardJobsQueued", unit=MetricUnit.Count, value=day.queued)
    logger.info("evaluation started", extra={"run_date": day.run_date.isoformat(), "shards": day.queued})
    if not day.complete:
        raise RuntimeError(f"only {day.queued} of {day.shards} shard jobs were queued")
    if day.released:
        metrics.add_metric(name="LitigationReleased", unit=MetricUnit.Count, value=day.released)
        logger.info("parked litigation steps released", extra={"run_date": day.run_date.isoformat(),
                                                                "released": day.released})
    return {"run_date": day.run_date.isoformat(), "shards": day.queued, "litigation_released": day.released}
