"""The debtor portal on 127.0.0.1, through the real handler: each browser request becomes the HTTP API event the
PortalFunction gets (payload 2.0) — the StaffFunction for the account managers' pages under /s/ — and is invoked
by the local runner; payments go to the loopback fake of
Stripe, whose completed sessions come back signed to the real WebhookFunction — as in production.

One request at a time (the runner sets each function's environment in the process): a lock serialises the portal
and the webhook, which the fake's payment page calls while the portal may be serving.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..signing import sign
from .demo import DEMO_SECRETS, signed_http_event
from .fake_stripe import FakeStripe
from .runner import LocalFunctions
from .stack import LocalStack

PORTAL_SECRETS = {"/relance/portal/link-keys": "demo1:portal_demo_local_only",
                  "/relance/staff/link-keys": "staffdemo1:staff_demo_local_only",
                  "/relance/stripe/api-key": "sk_test_demo_local_only"}


def http_event(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    """A request as the HTTP API (payload 2.0) hands it to a function."""
    path, _, query = target.partition("?")
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
                           "requestId": "local", "routeKey": "$default", "stage": "$default"},
        "body": body.decode("utf-8", "replace"), "isBase64Encoded": False}
    if params:
        event["queryStringParameters"] = params
    return event


class LocalPortal:
    """``with LocalPortal(stack) as portal:`` binds 127.0.0.1 (``port`` 0: any free one) and the fake Stripe;
    ``portal.env`` is what every function needs to make and serve links; ``portal.attach(functions)`` then
    serves through those functions."""

    def __init__(self, stack: LocalStack, *, port: int = 0, today: str = "", out_dir: Path | None = None) -> None:
        self.stack = stack
        self.port = port
        self.today = today  # RELANCE_TODAY for the portal's pages ("" : the real day)
        self.out_dir = out_dir  # where the written agreements of plans agreed on the pages are copied (échéanciers/)
        self.agreements: list[Path] = []
        self.functions: LocalFunctions | None = None
        self.lock = threading.RLock()
        self.webhook_answers: list[dict[str, Any]] = []

    def __enter__(self) -> LocalPortal:
        ssm = self.stack.client("ssm")
        for name, value in {**DEMO_SECRETS, **PORTAL_SECRETS}.items():
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        self.stripe = FakeStripe(api_key=PORTAL_SECRETS["/relance/stripe/api-key"], on_completed=self._webhook)
        self.stripe.__enter__()
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass  # no access log: a portal path holds a link's token

            def do_GET(self) -> None:
                portal._serve(self, "GET")

            def do_HEAD(self) -> None:
                portal._serve(self, "HEAD")

            def do_POST(self) -> None:
                portal._serve(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.stripe.__exit__(*exc)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def env(self) -> dict[str, str]:
        return {"PORTAL_URL": self.url, "STRIPE_API_URL": self.stripe.url}

    def attach(self, functions: LocalFunctions) -> None:
        self.functions = functions

    def approve_by_link(self, day: Any) -> dict[str, Any] | None:
        """The account manager approves a formal notice from his digest's link (``approve_by_link``)."""
        return approve_by_link(self, day)

    def serve_forever(self, until: Callable[[], bool] = lambda: False) -> None:
        try:
            while not until():
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass

    # -- requests ----------------------------------------------------------------------------------------
    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        assert self.functions is not None, "attach the functions first"
        extra = {"RELANCE_TODAY": self.today} if self.today else {}
        # The HTTP API's routes: the account managers' pages go to their own function, as in template.yaml.
        function = "StaffFunction" if str(event.get("rawPath", "")).startswith("/s/") else "PortalFunction"
        with self.lock:
            return self.functions.invoke(function, event, **extra)

    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = {k: v for k, v in request.headers.items()}
        try:
            answer = self.invoke(http_event(method, request.path, headers, body))
        except Exception:  # a 500 as Lambda's would be, and the demo goes on
            answer = {"statusCode": 500, "headers": {"Content-Type": "text/plain"}, "body": "Internal Server Error"}
        data = answer.get("body", "").encode("utf-8")
        request.send_response(int(answer["statusCode"]))
        for name, value in answer.get("headers", {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if method != "HEAD":
            request.wfile.write(data)
        if method == "POST":
            self._keep_agreements()

    def _keep_agreements(self) -> None:
        """The written agreements the portal kept in the documents bucket, as files under ``out/echeanciers/``."""
        if self.out_dir is None:
            return
        s3 = self.stack.client("s3")
        bucket = self.stack.physical["DocumentsBucket"]
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix="plans/").get("Contents", []):
            path = self.out_dir / "echeanciers" / obj["Key"].removeprefix("plans/").replace("/", "_")
            if path not in self.agreements:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
                self.agreements.append(path)

    def _webhook(self, event: dict[str, Any]) -> None:
        """The fake's completed session, signed as Stripe signs it, to the real webhook function."""
        assert self.functions is not None
        body = json.dumps(event).encode()
        signature = sign(body, DEMO_SECRETS["/relance/stripe/webhook-secrets"], now=datetime.now(UTC))
        with self.lock:
            answer = self.functions.invoke("WebhookFunction", signed_http_event(
                "/webhooks/stripe", body, "stripe-signature", signature))
        self.webhook_answers.append({"status": answer["statusCode"], **json.loads(answer["body"])})


def demo_link(portal: LocalPortal) -> str | None:
    """The portal link of the last e-mail sent whose page still offers an invoice to pay (moto keeps them all)."""
    from email import message_from_bytes, policy

    from moto.ses.models import ses_backends

    sent = ses_backends["123456789012"][portal.stack.region].sent_messages
    for raw in reversed(sent):
        data = raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data
        mail = message_from_bytes(data, policy=policy.default)
        part = mail.get_body(("plain",))
        found = re.search(re.escape(portal.url) + r"/p/\S+", part.get_content() if part is not None else "")
        if found is None:
            continue
        status, _, page = _open(found.group(0))
        if status == 200 and 'class="pay"' in page:
            return found.group(0)
    return None


# -- a scripted visit, for the demo --------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def _open(url: str, data: bytes | None = None) -> tuple[int, dict[str, str], str]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=data, headers={
        "Content-Type": "application/x-www-form-urlencoded"} if data is not None else {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read().decode("utf-8", "replace")


def pay_first_invoice(link: str) -> dict[str, Any]:
    """Follow ``link`` as a debtor would: the page, « Payer … en ligne » on its first invoice, the fake Stripe
    page's « Payer », and back to the return page. What each step answered."""
    status, _, page = _open(link)
    form = re.search(r'<form method="post" action="([^"]+/payer)" class="pay">\s*<input type="hidden" name="csrf" '
                     r'value="([^"]+)">\s*<input type="hidden" name="facture" value="([^"]+)">', page)
    if status != 200 or form is None:
        return {"paid": False, "step": "portal page", "status": status}
    base = urllib.parse.urlsplit(link)
    action, csrf, invoice = form.groups()
    status, headers, _ = _open(f"{base.scheme}://{base.netloc}{action}",
                               urllib.parse.urlencode({"csrf": csrf, "facture": invoice}).encode())
    checkout = headers.get("Location", "")
    if status != 303 or not checkout:
        return {"paid": False, "step": "checkout session", "status": status, "invoice": invoice}
    status, headers, _ = _open(checkout, b"")
    back = headers.get("Location", "")
    status, _, page = _open(back)
    return {"paid": "est payée" in page, "invoice": invoice, "return_status": status,
            "return_url": back.split("?")[0]}


# -- the account manager, from his digest ----------------------------------------------------------------------

def _digest_links(portal: LocalPortal, pattern: str) -> list[str]:
    """The staff links of the digests sent so far (moto keeps them all), oldest first."""
    from email import message_from_bytes, policy

    from moto.ses.models import ses_backends

    found: list[str] = []
    for raw in ses_backends["123456789012"][portal.stack.region].sent_messages:
        data = raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data
        mail = message_from_bytes(data, policy=policy.default)
        if not str(mail["Subject"] or "").startswith("Appels de relance"):
            continue
        part = mail.get_body(("plain",))
        text = part.get_content() if part is not None else ""
        found += [u for u in re.findall(re.escape(portal.url) + r"/s/\S+", text) if re.search(pattern, u)]
    return list(dict.fromkeys(found))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    return found.group(1) if found else ""


def approve_by_link(portal: LocalPortal, day: Any) -> dict[str, Any] | None:
    """The account manager follows the approve link of a formal notice in his digest and confirms on the page (a
    GET shows, the POST decides): the first one still awaiting; ``None`` when no digest carries one."""
    before, portal.today = portal.today, str(day)  # the page acts on the run's day, as the evaluator's clock
    try:
        return _approve_by_link(portal, day)
    finally:
        portal.today = before


def _approve_by_link(portal: LocalPortal, day: Any) -> dict[str, Any] | None:
    for url in _digest_links(portal, r"choix=approuver"):
        page_url = url.split("?")[0]
        status, _, page = _open(page_url)
        if status != 200 or "Mise en demeure" not in page or "/approuver" not in page:
            continue
        invoice = re.search(r"<dt>Facture</dt><dd>n° ([^<]+)</dd>", page)
        manager = re.search(r"Lien personnel de ([^\s<]+)", page)
        status, _, _ = _open(f"{page_url}/approuver", urllib.parse.urlencode({"csrf": _csrf(page)}).encode())
        if status == 303:
            return {"date": str(day), "invoice": invoice.group(1) if invoice else "", "step": "mise_en_demeure",
                    "by": manager.group(1) if manager else "", "through": "staff link"}
    return None


def record_call_by_link(portal: LocalPortal) -> dict[str, Any]:
    """The account manager, after a call of his digest, notes on its page that the customer promised to pay in ten
    days (the last call link of the run). What the page answered."""
    from datetime import date, timedelta

    links = _digest_links(portal, r"/s/[^?]+$")
    for url in reversed(links):
        status, _, page = _open(url)
        if status != 200 or "Noter l’issue d’un appel" not in page or "/appel" not in page:
            continue
        invoices = re.findall(r'name="facture" value="([^"]+)"', page)
        earliest = re.search(r'name="date" min="([0-9-]+)"', page)
        until = date.fromisoformat(earliest.group(1)) + timedelta(days=10) if earliest else None
        fields = [("csrf", _csrf(page)), *(("facture", i) for i in invoices), ("issue", "promise"),
                  ("date", until.isoformat() if until else ""), ("note", "Promet un virement (démonstration)")]
        status, _, _ = _open(f"{url}/appel", urllib.parse.urlencode(fields).encode())
        manager = re.search(r"Lien personnel de ([^\s<]+)", page)
        return {"recorded": status == 303, "invoices": invoices, "until": until.isoformat() if until else "",
                "by": manager.group(1) if manager else "", "link": url}
    return {"recorded": False, "error": "aucun récapitulatif d’appels ne porte de lien"}
