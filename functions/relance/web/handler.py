"""The pages' Lambda entry (HTTP API, payload format 2.0): parse the event, dispatch, answer.

A page family registers its routes on :data:`ROUTES` and exposes this module's :func:`handler` (the portal's
function is ``relance.web.portal.handler``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from .http import Request, Response, Router
from .pages import not_found

ROUTES = Router(not_found)


def request_of(event: dict[str, Any]) -> Request:
    import base64
    import binascii

    parsed = APIGatewayProxyEventV2(event)
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode("utf-8")
    except (binascii.Error, ValueError):
        body = b""
    return Request(
        method=parsed.request_context.http.method.upper(),
        path=parsed.raw_path or "/",
        query=dict(parsed.query_string_parameters or {}),
        headers={k.lower(): v for k, v in (parsed.headers or {}).items()},
        body=body,
    )


def answer(response: Response) -> dict[str, Any]:
    return {"statusCode": response.status, "headers": dict(response.headers), "body": response.body,
            "isBase64Encoded": False}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return answer(ROUTES.dispatch(request_of(event)))
