"""A loopback fake of Stripe's Checkout Sessions API and its hosted payment page, for the demo and the tests.

It speaks the part of Stripe's dialect relance uses: ``POST /v1/checkout/sessions`` (form-encoded, bracket notation,
Bearer key), ``GET /v1/checkout/sessions/<id>``; errors as ``{"error": {...}}`` with Stripe's status codes. A
session's ``url`` is a page of the fake (``/pay/<id>``) with one « Payer » button: pressing it completes the session
(the total of its line items), hands the ``checkout.session.completed`` event to ``on_completed`` (the demo signs it
and calls the real webhook function) and redirects the browser to the session's ``success_url``, as Stripe does.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REQUIRED = ("mode", "success_url", "line_items[0][price_data][unit_amount]", "line_items[0][price_data][currency]")


def nested(form: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation (``a[b][0][c]=v``) as nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in form:
        parts = [key.split("[", 1)[0]] + [p.rstrip("]") for p in key.split("[")[1:]]
        node: Any = root
        for n, here in enumerate(parts):
            last = n == len(parts) - 1
            empty: Any = value if last else ([] if parts[n + 1].isdigit() else {})
            if isinstance(node, list):
                index = int(here)
                node.extend([None] * (index + 1 - len(node)))
                if last or node[index] is None:
                    node[index] = empty
                node = node[index]
            else:
                if last:
                    node[here] = value
                node = node.setdefault(here, empty)
    return root


@dataclass
class FakeStripe:
    """``with FakeStripe() as stripe:`` serves on 127.0.0.1; ``stripe.url`` is the API base to configure."""

    api_key: str = "sk_test_demo_local_only"
    on_completed: Callable[[dict[str, Any]], None] | None = None
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of each API call

    def __enter__(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._get(self)

            def do_POST(self) -> None:
                fake._post(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- the API -----------------------------------------------------------------------------------------
    def _authorized(self, request: BaseHTTPRequestHandler) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.api_key}"

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        path = urllib.parse.urlsplit(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode() if length else ""
        if path.startswith("/pay/"):
            self._complete(request, path.removeprefix("/pay/"))
            return
        self.requests.append(("POST", path))
        if not self._authorized(request):
            _json(request, 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
            return
        if path != "/v1/checkout/sessions":
            _json(request, 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}})
            return
        form = urllib.parse.parse_qsl(body, keep_blank_values=True)
        given = dict(form)
        missing = [k for k in REQUIRED if not given.get(k)]
        if missing:
            _json(request, 400, {"error": {"type": "invalid_request_error", "param": missing[0],
                                           "message": f"Missing required param: {missing[0]}."}})
            return
        params = nested(form)
        items = params["line_items"]
        if len({i["price_data"]["currency"] for i in items}) > 1:
            _json(request, 400, {"error": {"type": "invalid_request_error", "param": "line_items",
                                           "message": "All line items must share one currency."}})
            return
        session_id = "cs_test_" + secrets.token_hex(16)
        session = {
            "id": session_id, "object": "checkout.session", "mode": params["mode"], "status": "open",
            "payment_status": "unpaid", "amount_total": sum(int(i["price_data"]["unit_amount"]) * int(
                i.get("quantity", 1)) for i in items), "currency": items[0]["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata", {}),
            "payment_method_types": params.get("payment_method_types", ["card"]), "locale": params.get("locale"),
            "success_url": params["success_url"], "cancel_url": params.get("cancel_url"),
            "description": ", ".join(i["price_data"].get("product_data", {}).get("name", "") for i in items),
            "url": f"{self.url}/pay/{session_id}", "created": int(time.time()), "livemode": False,
        }
        self.sessions[session_id] = session
        _json(request, 200, session)

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        path = urllib.parse.urlsplit(request.path).path
        if path.startswith("/pay/"):
            self._page(request, path.removeprefix("/pay/"))
            return
        self.requests.append(("GET", path))
        if not self._authorized(request):
            _json(request, 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
            return
        session = self.sessions.get(path.removeprefix("/v1/checkout/sessions/"))
        if session is None:
            _json(request, 404, {"error": {"type": "invalid_request_error", "message": "No such checkout.session"}})
            return
        _json(request, 200, session)

    # -- the hosted page ---------------------------------------------------------------------------------
    def _page(self, request: BaseHTTPRequestHandler, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            _html(request, 404, "<h1>Session inconnue</h1>")
            return
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        _html(request, 200, f"""<h1>Paiement (Stripe de démonstration)</h1>
<p>{html.escape(session['description'])} : <strong id="amount">{html.escape(amount)}</strong></p>
<p>Moyens proposés : {html.escape(', '.join(session['payment_method_types']))}</p>
<form method="post" action="/pay/{html.escape(session_id)}"><button type="submit" id="pay">Payer</button></form>""")

    def _complete(self, request: BaseHTTPRequestHandler, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            _html(request, 404, "<h1>Session inconnue</h1>")
            return
        if session["status"] != "complete":
            session.update(status="complete", payment_status="paid")
            event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": "2024-06-20",
                     "created": int(time.time()), "type": "checkout.session.completed", "livemode": False,
                     "data": {"object": dict(session)}}
            if self.on_completed is not None:
                self.on_completed(event)
        target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        request.send_response(303)
        request.send_header("Location", target)
        request.send_header("Content-Length", "0")
        request.end_headers()


def _json(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def _html(request: BaseHTTPRequestHandler, status: int, content: str) -> None:
    body = (f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Stripe (démo)</title></head>"
            f"<body><main>{content}</main></body></html>").encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
