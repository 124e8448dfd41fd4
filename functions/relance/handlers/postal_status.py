"""The postal provider's status callback (HTTP API, POST /postal/status).

Authenticated: either our signed scheme (``X-Relance-Signature``, HMAC over timestamp + body) or Merci
Facteur's webhook key header; what a status changes is ``app.postal``'s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..adapters.postal_callback import (
    InvalidCallbackBody,
    StatusUpdate,
    verify_merci_facteur_callback,
    verify_status_callback,
)
from ..app.postal import apply_status
from ..app.runtime import Runtime
from ..signing import InvalidSignature
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
    applied = apply_status(update, store=rt.single_item_store, documents=rt.documents_if_any,
                           today=lambda: rt.clock.today())
    if applied.kind:
        metrics.add_metric(name=f"PostalStatus_{applied.kind}", unit=MetricUnit.Count, value=1)
    return applied.outcome


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
            updates = verify_merci_facteur_callback(raw, headers, secret, tz=rt.clock.zone)
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
