"""What every channel function shares: SQS batches with partial failures, idempotency per message key,
backoff on transient provider errors; the company's date is ``Runtime.clock``'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.deliver import Channels
from ..app.messages import ChannelMessage
from ..app.runtime import Runtime
from ..ports import TransientProviderError
from ._runtime import LazyRuntime

IDEMPOTENCY_DAYS = 30
MAX_BACKOFF_S = 900


class ChannelFunction:
    """One channel's handler: ``deliver(channels, message) -> dict`` is all that differs."""

    def __init__(self, name: str, deliver: Callable[[Runtime, Channels, ChannelMessage], dict[str, Any]]) -> None:
        self.name = name
        self.deliver = deliver
        self.logger = Logger(service=name)
        self.metrics = Metrics(namespace="Relance", service=name)
        self.processor = BatchProcessor(event_type=EventType.SQS)
        self._lazy = LazyRuntime(need=("idempotency_table",))
        self._attempt = 1  # the SQS receive count of the record being handled
        self._once: Callable[..., dict[str, Any]] | None = None

    def runtime(self) -> Runtime:
        rt = self._lazy()
        if self._once is None:
            persistence = DynamoDBPersistenceLayer(table_name=rt.settings.idempotency_table, boto3_client=rt.dynamodb)
            config = IdempotencyConfig(event_key_jmespath="key", raise_on_no_idempotency_key=True,
                                       expires_after_seconds=IDEMPOTENCY_DAYS * 86400)

            @idempotent_function(data_keyword_argument="message", persistence_store=persistence, config=config,
                                 key_prefix=self.name)
            def once(*, message: dict[str, Any]) -> dict[str, Any]:
                return self._deliver(message)

            self._once, self._config = once, config
        return rt

    def reset(self) -> None:
        self._lazy.reset()
        self._once = None

    def channels(self, rt: Runtime) -> Channels:
        return Channels(rules=rt.rules, store=rt.store, attempt=self._attempt,
                        confirmation_wait_s=rt.settings.ses_confirmation_wait_s, now=rt.clock.now,
                        today=rt.clock.today, links=self._links(rt), reply_domain=rt.settings.reply_domain)

    def _links(self, rt: Runtime) -> Any:
        """The portal's links; when they cannot be had (the key parameter missing or unreadable), the reminders
        go out without a link rather than not at all — and the error is logged and counted for the alarm."""
        try:
            return rt.portal_links
        except Exception as err:  # whatever SSM or the parameter's content throws
            self.logger.error("portal links unavailable: messages go without a link",
                              extra={"error": type(err).__name__})
            self.metrics.add_metric(name="PortalLinksUnavailable", unit=MetricUnit.Count, value=1)
            return None

    def _deliver(self, message: dict[str, Any]) -> dict[str, Any]:
        rt = self.runtime()
        parsed = ChannelMessage.from_body(_json(message), rt.store)
        result = self.deliver(rt, self.channels(rt), parsed)
        self.metrics.add_metric(name=f"Messages_{result['outcome']}", unit=MetricUnit.Count, value=1)
        self.logger.info("message handled", extra={"message_key": parsed.key, "channel": parsed.channel,
                                                   "outcome": result["outcome"],
                                                   "dropped": len(result.get("dropped", []))})
        return result

    def _record(self, record: SQSRecord) -> dict[str, Any]:
        import json

        rt = self.runtime()
        body = json.loads(record.body)
        ChannelMessage.from_body(record.body, rt.store)  # malformed → raise: retried, then kept in the DLQ for a look
        self._attempt = int(record.attributes.approximate_receive_count or 1)
        try:
            assert self._once is not None
            return self._once(message=body)
        except TransientProviderError:
            self._backoff(record)
            self.metrics.add_metric(name="TransientFailures", unit=MetricUnit.Count, value=1)
            raise

    def _backoff(self, record: SQSRecord) -> None:
        """Retry later and later: 30 s, 1 min, 2 min… (SQS moves it to the DLQ after maxReceiveCount)."""
        attempts = int(record.attributes.approximate_receive_count or 1)
        self.runtime().configured_queues.redeliver_later(record.event_source_arn, record.receipt_handle,
                                                         seconds=min(MAX_BACKOFF_S, 30 * 2 ** (attempts - 1)))

    def handler(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        self.runtime()
        self._config.register_lambda_context(context)
        return process_partial_response(event=event, record_handler=self._record, processor=self.processor,
                                        context=context)


def _json(message: dict[str, Any]) -> str:
    import json

    return json.dumps(message)
