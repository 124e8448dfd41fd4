"""Payment webhooks (HTTP API): POST /webhooks/stripe and POST /webhooks/generic; and the e-invoicing
platform's lifecycle statuses, POST /einvoicing/status (signed like the generic notice, EINVOICING_STATUS.md).

The signature is checked on the exact raw body before anything else; the secrets come from SSM
Parameter Store through Powertools Parameters (cached). 401 for a missing or bad signature, 400 for a
malformed body, 200 for a verified event — applied, duplicate, ignored, or about an unknown invoice (kept
as unmatched for review). Never a 500 for bad input, and a rejected body is never logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.payments import receive_payment
from ..payments.webhooks import (
    MalformedPayload,
    PaymentNotice,
    stripe_notice,
    verify_generic,
    verify_stripe,
)
from ..signing import InvalidSignature
from ._http import UndecodableBody, raw_body
from ._runtime import LazyRuntime

logger = Logger(service="webhooks")
metrics = Metrics(namespace="Relance", service="webhooks")
app = APIGatewayHttpResolver()
runtime = LazyRuntime(need=("stripe_secrets_parameter", "generic_secrets_parameter"))
reset = runtime.reset
T = TypeVar("T")


def _secrets(name: str) -> list[str]:
    return [part.strip() for part in runtime().secret(name).split(",") if part.strip()]


def _answer(status: int, payload: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(payload))


def _headers() -> dict[str, str]:
    return {k.lower(): v for k, v in (app.current_event.headers or {}).items()}


def _rejected(source: str, reason: str, size: int) -> None:
    metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
    logger.warning("webhook rejected", extra={"source": source, "reason": reason, "bytes": size})


def apply(notice: PaymentNotice) -> str:
    rt = runtime()
    received = receive_payment(notice, store=rt.single_item_store, reporter=lambda: rt.platform_reporter)
    metrics.add_metric(name=f"Payments_{received.outcome}", unit=MetricUnit.Count, value=1)
    if received.kept_for_review:
        metrics.add_metric(name="PaymentsCurrencyReview", unit=MetricUnit.Count, value=1)
        logger.warning("payment kept for review", extra={"source": notice.provider, "event_id": notice.event_id,
                                                         "currency": notice.currency, "kind": notice.kind})
    logger.info("payment notice", extra={"source": notice.provider, "event_id": notice.event_id,
                                         "outcome": received.outcome, "kind": notice.kind})
    if received.report == "sent":
        metrics.add_metric(name="PlatformReports", unit=MetricUnit.Count, value=1)
    elif received.report == "failed":
        metrics.add_metric(name="PlatformReportsFailed", unit=MetricUnit.Count, value=1)
        logger.warning("platform report failed", extra={"invoice": notice.invoice_ref,
                                                        "error": received.report_error})
    return received.outcome


def _malformed(source: str, err: Exception, size: int) -> Response:
    _rejected(source, str(err), size)
    return _answer(400, {"error": "malformed payload", "reason": str(err)})


def _verified(source: str, read: Callable[[bytes], T]) -> T | Response:
    """What ``read`` makes of the request's raw body once its signature is checked, or the answer that refuses
    it: 400 for a body that is not what API Gateway said or is malformed, 401 for a missing or bad signature."""
    try:
        raw = raw_body(app.current_event)
    except UndecodableBody as err:
        return _malformed(source, err, 0)
    try:
        return read(raw)
    except InvalidSignature as err:
        _rejected(source, str(err), len(raw))
        return _answer(401, {"error": "invalid signature"})
    except MalformedPayload as err:
        return _malformed(source, err, len(raw))


@app.post("/webhooks/stripe")
def stripe() -> Response:
    rt = runtime()

    def read(raw: bytes) -> tuple[dict[str, Any], PaymentNotice | None]:
        event = verify_stripe(raw, _headers().get("stripe-signature"), _secrets(rt.settings.stripe_secrets_parameter),
                              now=datetime.now(UTC))
        return event, stripe_notice(event, tz=rt.clock.zone)

    verified = _verified("stripe", read)
    if isinstance(verified, Response):
        return verified
    event, notice = verified
    if notice is None:
        return _answer(200, {"outcome": "ignored", "type": event["type"]})
    return _answer(200, {"outcome": apply(notice)})


@app.post("/webhooks/generic")
def generic() -> Response:
    rt = runtime()
    notice = _verified("generic", lambda raw: verify_generic(
        raw, _headers(), _secrets(rt.settings.generic_secrets_parameter), now=datetime.now(UTC)))
    if isinstance(notice, Response):
        return notice
    return _answer(200, {"outcome": apply(notice)})


@app.post("/einvoicing/status")
def einvoicing_status() -> Response:
    from ..app.einvoicing import apply_status
    from ..payments.einvoicing import verify_status

    rt = runtime()
    if not rt.settings.einvoicing_secrets_parameter:
        return _answer(404, {"error": "e-invoicing statuses are not enabled (EINVOICING_SECRETS_PARAMETER)"})
    notice = _verified("einvoicing", lambda raw: verify_status(
        raw, _headers(), _secrets(rt.settings.einvoicing_secrets_parameter), now=datetime.now(UTC)))
    if isinstance(notice, Response):
        return notice
    from ..rules.loader import RulesError

    try:  # the rules' einvoicing section refines what a status does: read for this route only
        policy = rt.rules.einvoicing
    except RulesError:
        logger.error("rules unreadable: e-invoicing status not applied", extra={"message_id": notice.id})
        return _answer(503, {"error": "rules unreadable, retry later"})
    outcome = apply_status(rt.single_item_store, notice, policy)
    metrics.add_metric(name=f"EInvoicingStatus_{outcome}", unit=MetricUnit.Count, value=1)
    logger.info("e-invoicing status", extra={"message_id": notice.id, "code": notice.code, "outcome": outcome})
    return _answer(200, {"outcome": outcome, "status": notice.code, "label": notice.label})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
