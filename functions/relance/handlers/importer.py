"""The import function, two events:

- S3 (an export or an e-invoice dropped under imports/): parse and check the file. An e-invoice (``.pdf``,
  ``.xml``: Factur-X, CII, UBL) is one customer and one invoice, imported at once (``app.einvoices``), its
  original kept in the documents bucket. Up to ``IMPORT_CHUNK_ROWS`` rows it is merged
  right away; a bigger one is stored as chunks queued on the import queue, and the report says « en cours »
  with its progress. Bad rows are reported in ``<file>.erreurs.csv`` (row, column, reason), which the
  finance assistant opens in Excel, and the summary with the disagreements in ``<file>.rapport.json``.
- Import queue (SQS, one chunk per message, partial batch failures): merge the chunk; the last one writes
  the final report.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.import_file import import_file
from ..app.importing import ERRORS_SUFFIX, REPORT_SUFFIX, import_chunk
from ._runtime import LazyRuntime

logger = Logger(service="importer")
metrics = Metrics(namespace="Relance", service="importer")
processor = BatchProcessor(event_type=EventType.SQS)
runtime = LazyRuntime()
reset = runtime.reset


def _count(summary: dict[str, Any]) -> None:
    metrics.add_metric(name="RowsImported", unit=MetricUnit.Count, value=summary["imported"])
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=summary["errors"])
    metrics.add_metric(name="ImportDisagreements", unit=MetricUnit.Count, value=summary.get("disagreements", 0))
    # Nested: a summary key such as "created" would clash with the log record's own attributes.
    logger.info("import done", extra={"import_summary": {k: v for k, v in summary.items()
                                                         if k not in ("unusable", "disagreement_details")}})


def import_object(bucket: str, key: str, import_id: str) -> dict[str, Any]:
    rt = runtime()
    summary = import_file(rt.import_space(bucket), key, import_id, rt.store,
                          chunk_rows=rt.settings.import_chunk_rows, documents=lambda: rt.documents_if_any)
    if summary.get("missing"):
        logger.warning("dropped export vanished before it was read", extra={"file": key})
    elif summary.get("status") == "en cours":
        logger.info("import split", extra={"file": key, "progress": summary["progress"]})
    else:
        _count(summary)
    return summary


def _chunk(record: SQSRecord) -> None:
    message = json.loads(record.body)
    rt = runtime()
    summary = import_chunk(message, rt.store, rt.import_space(message["bucket"]))
    if summary is not None:
        _count(summary)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("Records") and event["Records"][0].get("eventSource") == "aws:sqs":
        return process_partial_response(event=event, record_handler=_chunk, processor=processor, context=context)
    results = []
    for n, record in enumerate(S3Event(event).records):
        key = unquote_plus(record.s3.get_object.key)
        if key.endswith((ERRORS_SUFFIX, REPORT_SUFFIX)):
            continue  # our own reports, should they ever match the trigger
        # The request id is kept by S3's retries of this invocation: chunks queued twice are counted once.
        import_id = f"{getattr(context, 'aws_request_id', '') or record.s3.get_object.sequencer}-{n}"
        results.append(import_object(record.s3.bucket.name, key, import_id))
    return {"imports": results}
