"""Stripe Checkout Sessions (docs.stripe.com/api/checkout/sessions/create) behind ``ports.CheckoutProvider``.

A small HTTP client on the standard library rather than the ``stripe`` SDK: it makes one form-encoded POST, and the
SDK (a test dependency here, ~100 ms to import) would ship in every function's package for it. The tests drive the
loopback fake (``relance.local.fake_stripe``) with the SDK too, so the fake speaks Stripe's dialect.

The session is for one invoice or several of one currency (a line item each), paid by card or SEPA Debit, in French.
One invoice: its id goes in ``metadata[invoice_id]`` and ``client_reference_id``. Several: their ids, in the order
the portal lists them (oldest due date first), go comma-separated in ``metadata[invoice_ids]``, each line's amount
in ``metadata[invoice_amounts]`` (Stripe keeps 500 characters a value: ``ports.CHECKOUT_IDS_MAX_CHARS``).
``checkout.session.completed`` (card) and ``checkout.session.async_payment_succeeded`` (SEPA Debit) then reach the
existing webhook (``payments.webhooks``), which applies the payment — to each invoice in that order
(``app.allocation``). Not in the PaymentIntent's metadata: an endpoint also subscribed to
``payment_intent.succeeded`` would then count the same money twice (a refund of a portal payment is kept as
unmatched, for a person). The return URLs carry the session id, never the link's token.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..ports import (
    CHECKOUT_IDS_MAX_CHARS,
    CheckoutLine,
    CheckoutSession,
    PermanentProviderError,
    TransientProviderError,
)

API = "https://api.stripe.com"
TIMEOUT_S = 10
ZERO_DECIMAL = {"XPF", "XOF", "XAF", "JPY"}


def minor_units(amount: Decimal, currency: str) -> int:
    scale = 1 if currency.upper() in ZERO_DECIMAL else 100
    return int((amount * scale).to_integral_value())


def session_form(*, lines: Sequence[CheckoutLine], currency: str, success_url: str,
                 cancel_url: str) -> list[tuple[str, str]]:
    """The form fields of the create request (Stripe's bracket notation for nested values)."""
    if not lines:
        raise ValueError("a checkout needs at least one invoice")
    form = [("mode", "payment"), ("payment_method_types[0]", "card"), ("payment_method_types[1]", "sepa_debit"),
            ("locale", "fr")]
    for n, line in enumerate(lines):
        form += [(f"line_items[{n}][quantity]", "1"),
                 (f"line_items[{n}][price_data][currency]", currency.lower()),
                 (f"line_items[{n}][price_data][unit_amount]", str(minor_units(line.amount, currency))),
                 (f"line_items[{n}][price_data][product_data][name]", line.description)]
    if len(lines) == 1:
        form += [("client_reference_id", lines[0].invoice_id), ("metadata[invoice_id]", lines[0].invoice_id)]
    else:
        ids = ",".join(line.invoice_id for line in lines)
        amounts = ",".join(f"{line.amount:.2f}" for line in lines)
        if max(len(ids), len(amounts)) > CHECKOUT_IDS_MAX_CHARS or any("," in line.invoice_id for line in lines):
            raise ValueError("these invoice ids do not fit one session's metadata")
        form += [("metadata[invoice_ids]", ids), ("metadata[invoice_amounts]", amounts)]
    return [*form, ("success_url", success_url), ("cancel_url", cancel_url)]


class StripeCheckout:
    def __init__(self, api_key: str, *, api_base: str = API, timeout_s: float = TIMEOUT_S) -> None:
        if not api_key:
            raise ValueError("no Stripe API key configured")
        self.api_key = api_key
        self.api_base = api_base.rstrip("/")
        self.timeout_s = timeout_s

    def create_session(self, *, lines: Sequence[CheckoutLine], currency: str, success_url: str,
                       cancel_url: str) -> CheckoutSession:
        form = session_form(lines=lines, currency=currency, success_url=success_url, cancel_url=cancel_url)
        answer = self._call("POST", "/v1/checkout/sessions", urllib.parse.urlencode(form).encode())
        return self._session(answer)

    def session(self, session_id: str) -> CheckoutSession:
        quoted = urllib.parse.quote(session_id, safe="")
        return self._session(self._call("GET", f"/v1/checkout/sessions/{quoted}", None))

    @staticmethod
    def _session(answer: dict[str, Any]) -> CheckoutSession:
        session_id, url = answer.get("id"), answer.get("url")
        if not isinstance(session_id, str) or not session_id:
            raise PermanentProviderError("Stripe answered without a session id")
        return CheckoutSession(session_id, url if isinstance(url, str) else "", str(answer.get("payment_status", "")))

    def _call(self, method: str, path: str, body: bytes | None) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.api_base}{path}", data=body, method=method, headers={
            "Authorization": f"Bearer {self.api_key}", "Content-Type": "application/x-www-form-urlencoded",
            "Stripe-Version": "2024-06-20", "User-Agent": "relance"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                data = response.read(1_000_000)
        except urllib.error.HTTPError as err:
            status = err.code
            err.close()
            if status == 429 or status >= 500:
                raise TransientProviderError(f"Stripe answered {status}") from None
            raise PermanentProviderError(f"Stripe refused the session ({status})") from None
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            raise TransientProviderError(f"Stripe unreachable: {type(err).__name__}") from None
        try:
            answer = json.loads(data)
        except ValueError:
            raise TransientProviderError("Stripe answered something that is not JSON") from None
        if not isinstance(answer, dict):
            raise TransientProviderError("Stripe answered something that is not an object")
        return answer
