"""The postal provider's status callback (HTTP API, POST /postal/status).

Authenticated: either our signed scheme (``X-Relance-Signature``, HMAC over timestamp + body) or Merci
Facteur's webhook key header. A delivery or a signed AR is recorded on the invoice's history and its
date (``delivered_on``) on the formal notice step: the litigation step needs it. Retries change nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..adapters.postal import (
    InvalidCallbackBody,
    InvalidSignature,
    StatusUpdate,
    verify_merci_facteur_callback,
    verify_status_callback,
)
from ..app.deliver import ChannelMessage
from ..app.runtime import Runtime
from ..ports import letter_reference
from ._http import UndecodableBody, raw_body
from ._runtime import LazyRuntime

logger = Logger(service="postal-status")
metrics = Metrics(namespace="Relance", service="postal-status")
app = APIGatewayHttpResolver()
runtime = LazyRuntime(need=("postal_callback_secret_parameter",))
reset = runtime.reset
MERCI_FACTEUR_HEADER = "x-mf-webhook-secret-key"


def _json(status: int, body: str) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def apply_update(rt: Runtime, update: StatusUpdate) -> str:
    """Record one status on the history of the letter's invoices; the same news twice is recorded once.

    A letter is found by the provider's sending id; one whose id never reached us (the answer to the send was
    lost, the retry refused as a duplicate) by the reference the callback echoes, and is then bound to its id.
    An unknown letter is not claimed: should its record appear, the provider's retry is still applied."""
    store = rt.single_item_store
    found = store.letter(update.provider_id)
    if found is None and update.reference:
        found = store.letter_by_reference(letter_reference(update.reference))
        if found is not None:
            store.keep_letter(update.provider_id, {
                **found, "tracking_number": update.tracking_number or found.get("tracking_number", "")})
            logger.info("letter identified by its reference", extra={"provider_id": update.provider_id})
    if found is None:
        logger.warning("status for an unknown letter", extra={"provider_id": update.provider_id})
        return "unknown"
    if not store.mark_postal_status_once(update.provider_id, update.dedupe_key):
        return "duplicate"
    message = ChannelMessage.from_body(found["message"], store)
    proof_key = ""
    if update.proof and rt.settings.documents_bucket:
        from ..adapters.postal import media_type
        from ..adapters.s3docs import S3Documents

        content_type = media_type(update.proof)
        proof_key = f"proofs/{update.provider_id}/{update.status}.{content_type.split('/')[-1]}"
        S3Documents(rt.s3, rt.settings.documents_bucket).put(proof_key, update.proof, content_type)
    kind = {"delivered": "delivered", "proof_available": "ar_signed", "returned": "returned",
            "incident": "postal_incident"}.get(update.status, f"postal_{update.status}")
    day = (update.delivered_on or update.event_date or datetime.now(UTC).date()).isoformat()
    store.append_events([{"invoice": a.invoice, "kind": kind, "date": day, "step": a.step,
                             "channel": message.channel, "provider_id": update.provider_id,
                             "tracking_number": update.tracking_number or found.get("tracking_number", ""),
                             "proof_url": update.proof_url, "proof": proof_key, "message_key": message.key}
                            for a in message.actions])
    if update.delivered_on is not None:
        for action in message.actions:
            store.record_delivery(action.invoice, action.step, update.delivered_on)
    metrics.add_metric(name=f"PostalStatus_{kind}", unit=MetricUnit.Count, value=1)
    return "recorded"


@app.post("/postal/status")
def postal_status() -> Response:
    rt = runtime()
    event = app.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    secret = rt.secret(rt.settings.postal_callback_secret_parameter)
    try:
        raw = raw_body(event)
    except UndecodableBody as err:
        return _json(400, json.dumps({"error": "malformed body", "reason": str(err)}))
    try:
        if MERCI_FACTEUR_HEADER in headers:
            updates = verify_merci_facteur_callback(raw, headers, secret)
        else:
            updates = [verify_status_callback(raw, headers, secret, now=datetime.now(UTC))]
    except InvalidSignature as err:
        metrics.add_metric(name="CallbacksRejected", unit=MetricUnit.Count, value=1)
        logger.warning("status callback refused", extra={"reason": str(err), "bytes": len(raw)})
        return _json(401, '{"error": "invalid signature"}')
    except InvalidCallbackBody as err:
        logger.warning("status callback body refused", extra={"reason": str(err), "bytes": len(raw)})
        return _json(400, json.dumps({"error": "malformed body", "reason": str(err)}))
    outcomes = [apply_update(rt, update) for update in updates]
    return _json(200, '{"outcomes": [' + ", ".join(f'"{o}"' for o in outcomes) + "]}")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
