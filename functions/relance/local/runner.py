"""Run the real Lambda handlers in-process against the local stack, as Lambda would call them."""

from __future__ import annotations

import importlib
import itertools
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from .stack import LocalStack

logging.getLogger("werkzeug").setLevel(logging.ERROR)


_TOKENS = itertools.count()
_WARM: dict[str, tuple[Any, ...]] = {}  # handler module → the (runner, function, environment, rules) it is warm for


@dataclass
class FakeContext:
    """The parts of the Lambda context Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = ""
    invoked_function_arn: str = ""

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def load_handler(dotted: str) -> tuple[Callable[[dict[str, Any], Any], Any], Any]:
    module_name, _, attribute = dotted.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, attribute), module


class LocalFunctions:
    """Invoke the template's functions by logical id, with the environment the template gives them.

    A function stays warm between calls, as a Lambda container does: what it built on its first call (settings,
    clients, the rules) serves the next ones. It starts cold again — a new container — when its environment
    or a file of the rules directory changes (a deployment), and at the first call of each LocalFunctions.
    """

    def __init__(self, stack: LocalStack, rules_dir: Path, env: dict[str, str] | None = None) -> None:
        self.stack = stack
        self.rules_dir = rules_dir
        self.env = dict(env or {})  # added to every invocation (e.g. a log level)
        self._token = next(_TOKENS)
        self.cold_starts: dict[str, int] = {}

    def invoke(self, logical: str, event: dict[str, Any], **env: str) -> Any:
        with self.stack.environment(logical, self.rules_dir, **{**self.env, **env}) as environment:
            # Imported inside the function's environment, as Lambda does: Powertools reads it at import.
            handler, module = load_handler(self.stack.handler_of(logical))
            _point_logs_at_stdout(module, os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))
            # The handler's module holds the container's state, once per process: whoever warmed it last owns it.
            deployment = (self._token, logical, tuple(sorted(environment.items())), _stamp(self.rules_dir))
            if _WARM.get(module.__name__) != deployment:
                if hasattr(module, "reset"):
                    module.reset()  # a fresh container: settings are read from this environment
                _WARM[module.__name__] = deployment
                self.cold_starts[logical] = self.cold_starts.get(logical, 0) + 1
            try:
                return handler(event, FakeContext(logical))
            finally:
                # Metrics are disabled locally, and Powertools then keeps them (its metric set is shared by
                # every Metrics instance) until a hundred values force a print: drop them after each call.
                Metrics().clear_metrics()

    def cold(self) -> None:
        """The next call of every function starts a new container."""
        for name, deployment in list(_WARM.items()):
            if deployment[0] == self._token:
                del _WARM[name]

    def drain(self, queue_logical: str, logical: str, *, max_rounds: int = 1000,
              seen: list[dict[str, Any]] | None = None, batch_size: int = 10, **env: str) -> dict[str, int]:
        """Deliver a queue's messages to a function in batches (of 10 unless the event source says fewer),
        as the SQS event source would.

        Failed records (partial batch response) are made visible again and retried; after the queue's
        maxReceiveCount, SQS moves them to the dead-letter queue.
        """
        sqs = self.stack.client("sqs")
        url = self.stack.physical[queue_logical]
        arn = self.stack.resolver.attributes[(queue_logical, "Arn")]
        counts = {"delivered": 0, "failed": 0}
        for _ in range(max_rounds):
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch_size, AttributeNames=["All"],
                                        VisibilityTimeout=30).get("Messages", [])
            if not batch:
                break
            if seen is not None:
                seen.extend(json.loads(m["Body"]) for m in batch)
            try:
                answer = self.invoke(logical, sqs_event(batch, arn), **env) or {}
            except BatchProcessingError:
                # Every record failed: Lambda reports the invocation as failed and SQS keeps the whole batch.
                answer = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in batch]}
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            for message in batch:
                if message["MessageId"] in failed:
                    counts["failed"] += 1
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                  VisibilityTimeout=0)
                else:
                    counts["delivered"] += 1
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return counts


def _stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file under the rules directory, by name, modification time and size: a change is a new layer."""
    if not directory.is_dir():
        return ()
    return tuple(sorted((str(p.relative_to(directory)), p.stat().st_mtime_ns, p.stat().st_size)
                        for p in directory.rglob("*") if p.is_file()))


def _point_logs_at_stdout(module: Any, level: str) -> None:
    """A module is imported once per process here, not once per container: give its Powertools logger this
    invocation's level and the current standard output, as a fresh Lambda container would."""
    logger = getattr(module, "logger", None)
    if logger is None:
        return
    logger.setLevel(level)
    for handler in logging.getLogger(logger.name).handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.stream = sys.stdout  # not setStream(): it would flush the old stream, maybe closed by now


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""),
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "eu-west-3",
    } for m in messages]}


def scheduled_event(run_date: str | None = None) -> dict[str, Any]:
    """What EventBridge Scheduler sends; ``run_date`` reruns or backfills a given day."""
    event: dict[str, Any] = {"source": "aws.scheduler", "detail-type": "Scheduled Event"}
    if run_date:
        event["run_date"] = run_date
    return event


def peek_all(stack: LocalStack, queue_logical: str) -> list[dict[str, Any]]:
    """Take every message off a queue (the channel functions are the next issue's): their bodies."""
    sqs = stack.client("sqs")
    url = stack.physical[queue_logical]
    out = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return out
        for message in batch:
            out.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
