"""Payment webhooks (HTTP API): POST /webhooks/stripe and POST /webhooks/generic; and the e-invoicing
platform's lifecycle statuses, POST /einvoicing/status (signed like the generic notice, EINVOICING_STATUS.md).

The signature is checked on the exact raw body before anything else; the secrets come from SSM
Parameter Store through Powertools Parameters (cached). 401 for a missing or bad signature, 400 for a
malformed body, 200 for a verified event — applied, duplicate, ignored, or about an unknown invoice (kept
as unmatched for review). Never a 500 for bad input, and a rejected body is never logged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..app.portal import payment_source
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
    outcome = rt.single_item_store.apply_payment(provider=notice.provider, event_id=notice.event_id,
                                     invoice_id=notice.invoice_ref, amount=abs(notice.amount),
                                     currency=notice.currency, on=notice.paid_on, kind=notice.kind,
                                     details={"event_type": notice.raw_type,
                                              **payment_source(rt.single_item_store, notice.provider,
                                                               notice.provider_ref)},
                                     charge=notice.charge,
                                     charge_refunded=notice.charge_refunded, refund_ids=notice.refund_ids)
    metrics.add_metric(name=f"Payments_{outcome}", unit=MetricUnit.Count, value=1)
    if outcome == "review":  # another currency than the invoice's, or not euros: kept, never applied
        metrics.add_metric(name="PaymentsCurrencyReview", unit=MetricUnit.Count, value=1)
        logger.warning("payment kept for review", extra={"source": notice.provider, "event_id": notice.event_id,
                                                         "currency": notice.currency, "kind": notice.kind})
    logger.info("payment notice", extra={"source": notice.provider, "event_id": notice.event_id,
                                         "outcome": outcome, "kind": notice.kind})
    _report(notice.provider, notice.event_id, notice.invoice_ref, notice.paid_on, abs(notice.amount),
            notice.currency, outcome)
    return outcome


def _report(provider: str, event_id: str, invoice_id: str, on: Any, amount: Any, currency: str,
            outcome: str) -> None:
    """Tell the e-invoicing platform (off unless configured); a failure is logged, the payment stays applied."""
    from ..app.einvoicing import REPORTED_OUTCOMES, report_payment
    from ..ports import ProviderError

    if outcome not in REPORTED_OUTCOMES or not runtime().settings.platform_report_url:
        return
    try:
        sent = report_payment(runtime().platform_reporter, provider=provider, event_id=event_id,
                              invoice_id=invoice_id, on=on, amount=amount, currency=currency, outcome=outcome)
    except ProviderError as err:
        metrics.add_metric(name="PlatformReportsFailed", unit=MetricUnit.Count, value=1)
        logger.warning("platform report failed", extra={"invoice": invoice_id, "error": str(err)})
        return
    if sent:
        metrics.add_metric(name="PlatformReports", unit=MetricUnit.Count, value=1)


def _malformed(source: str, err: Exception, size: int) -> Response:
    _rejected(source, str(err), size)
    return _answer(400, {"error": "malformed payload", "reason": str(err)})


@app.post("/webhooks/stripe")
def stripe() -> Response:
    rt = runtime()
    try:
        raw = raw_body(app.current_event)
    except UndecodableBody as err:
        return _malformed("stripe", err, 0)
    try:
        event = verify_stripe(raw, _headers().get("stripe-signature"), _secrets(rt.settings.stripe_secrets_parameter),
                              now=datetime.now(UTC))
        notice = stripe_notice(event, tz=rt.clock.zone)
    except InvalidSignature as err:
        _rejected("stripe", str(err), len(raw))
        return _answer(401, {"error": "invalid signature"})
    except MalformedPayload as err:
        return _malformed("stripe", err, len(raw))
    if notice is None:
        return _answer(200, {"outcome": "ignored", "type": event["type"]})
    return _answer(200, {"outcome": apply(notice)})


@app.post("/webhooks/generic")
def generic() -> Response:
    rt = runtime()
    try:
        raw = raw_body(app.current_event)
    except UndecodableBody as err:
        return _malformed("generic", err, 0)
    try:
        notice = verify_generic(raw, _headers(), _secrets(rt.settings.generic_secrets_parameter),
                                now=datetime.now(UTC))
    except InvalidSignature as err:
        _rejected("generic", str(err), len(raw))
        return _answer(401, {"error": "invalid signature"})
    except MalformedPayload as err:
        return _malformed("generic", err, len(raw))
    return _answer(200, {"outcome": apply(notice)})


@app.post("/einvoicing/status")
def einvoicing_status() -> Response:
    from ..app.einvoicing import apply_status
    from ..payments.einvoicing import verify_status

    rt = runtime()
    if not rt.settings.einvoicing_secrets_parameter:
        return _answer(404, {"error": "e-invoicing statuses are not enabled (EINVOICING_SECRETS_PARAMETER)"})
    try:
        raw = raw_body(app.current_event)
    except UndecodableBody as err:
        return _malformed("einvoicing", err, 0)
    try:
        notice = verify_status(raw, _headers(), _secrets(rt.settings.einvoicing_secrets_parameter),
                               now=datetime.now(UTC))
    except InvalidSignature as err:
        _rejected("einvoicing", str(err), len(raw))
        return _answer(401, {"error": "invalid signature"})
    except MalformedPayload as err:
        return _malformed("einvoicing", err, len(raw))
    outcome = apply_status(rt.single_item_store, notice)
    metrics.add_metric(name=f"EInvoicingStatus_{outcome}", unit=MetricUnit.Count, value=1)
    logger.info("e-invoicing status", extra={"message_id": notice.id, "code": notice.code, "outcome": outcome})
    return _answer(200, {"outcome": outcome, "status": notice.code, "label": notice.label})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
