"""S3-triggered import: a CSV export dropped under imports/ is upserted; bad rows are reported in
``<file>.erreurs.csv`` next to it (row, column, reason), which the finance assistant opens in Excel."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.importing import import_csv
from ..imports.csvfile import ImportFileError, RowError, errors_csv
from ._runtime import LazyRuntime

logger = Logger(service="importer")
metrics = Metrics(namespace="Relance", service="importer")
runtime = LazyRuntime()
reset = runtime.reset
ERRORS_SUFFIX = ".erreurs.csv"
REPORT_SUFFIX = ".rapport.json"


def import_object(bucket: str, key: str) -> dict[str, Any]:
    rt = runtime()
    data = rt.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    base = key[: -len(".csv")] if key.lower().endswith(".csv") else key
    try:
        report = import_csv(data, rt.store)
    except ImportFileError as err:
        errors = [RowError(0, "", str(err))]
        summary: dict[str, Any] = {"file": key, "imported": 0, "rejected_rows": 0, "errors": 1,
                                   "unusable": str(err)}
    else:
        errors = report.errors
        summary = {"file": key, **report.as_dict()}
    if errors:
        rt.s3.put_object(Bucket=bucket, Key=base + ERRORS_SUFFIX, Body=errors_csv(errors),
                         ContentType="text/csv; charset=utf-8")
    rt.s3.put_object(Bucket=bucket, Key=base + REPORT_SUFFIX, ContentType="application/json",
                     Body=json.dumps(summary, ensure_ascii=False, indent=2).encode())
    metrics.add_metric(name="RowsImported", unit=MetricUnit.Count, value=summary["imported"])
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=len(errors))
    # Nested: a summary key such as "created" would clash with the log record's own attributes.
    logger.info("import done", extra={"import_summary": {k: v for k, v in summary.items() if k != "unusable"}})
    return summary


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    results = []
    for record in S3Event(event).records:
        key = unquote_plus(record.s3.get_object.key)
        if key.endswith((ERRORS_SUFFIX, REPORT_SUFFIX)):
            continue  # our own reports, should they ever match the trigger
        results.append(import_object(record.s3.bucket.name, key))
    return {"imports": results}
