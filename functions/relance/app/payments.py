"""A verified payment notice received (Stripe, the generic notice): applied once to its invoice, then — when the
e-invoicing platform is configured — reported to it as « 212 Encaissée ». The webhook function parses and
verifies the request, calls ``receive_payment``, and answers with its outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from ..ports import CheckoutRecords, Ledger, PlatformReporter, ProviderError
from .einvoicing import REPORTED_OUTCOMES, report_payment

if TYPE_CHECKING:
    from ..payments.webhooks import PaymentNotice

class PaymentStore(Ledger, CheckoutRecords, Protocol):
    """What receiving a payment reads and writes: the ledger, and the portal's checkout sessions (its source)."""


# What became of the report to the platform: not to report (off, a refund, nothing applied…), sent, or failed
# (the reporter's error; the payment stays applied and the failure is the caller's to log and count).
PlatformReport = Literal["none", "sent", "failed"]


@dataclass(frozen=True, slots=True)
class PaymentReceived:
    outcome: str  # the store's: paid, partial, overpaid, duplicate, unmatched, review, refunded…
    report: PlatformReport = "none"
    report_error: str = ""

    @property
    def kept_for_review(self) -> bool:
        """Another currency than the invoice's, or not euros: kept, never applied."""
        return self.outcome == "review"


def receive_payment(notice: PaymentNotice, *, store: PaymentStore,
                    reporter: Callable[[], PlatformReporter | None]) -> PaymentReceived:
    """Apply ``notice`` once (a provider's retry is a ``duplicate``), then report it to the e-invoicing
    platform when it is one the platform is told of. ``reporter()`` is asked only then: an unconfigured or
    unused platform costs nothing (no secret read). A payment for several invoices (a portal checkout) is
    split over them (``app.allocation``) and each part reported on its own."""
    source = payment_source(store, notice.provider, notice.provider_ref)
    if notice.invoice_refs and notice.kind == "payment":
        from .allocation import overall, split_payment

        parts = split_payment(store, provider=notice.provider, event_id=notice.event_id,
                              invoice_ids=notice.invoice_refs, amount=notice.amount, currency=notice.currency,
                              on=notice.paid_on, shares=notice.invoice_amounts,
                              details={"event_type": notice.raw_type, **source})
        reports = [_report(reporter, notice, p.event_id, p.invoice_id, p.amount, p.outcome)
                   for p in parts if p.invoice_id]
        failed = [r for r in reports if r.report == "failed"]
        if failed:
            return PaymentReceived(overall(parts), "failed", failed[0].report_error)
        return PaymentReceived(overall(parts), "sent" if any(r.report == "sent" for r in reports) else "none")
    amount = abs(notice.amount)
    outcome = store.apply_payment(provider=notice.provider, event_id=notice.event_id,
                                  invoice_id=notice.invoice_ref, amount=amount, currency=notice.currency,
                                  on=notice.paid_on, kind=notice.kind,
                                  details={"event_type": notice.raw_type, **source},
                                  charge=notice.charge, charge_refunded=notice.charge_refunded,
                                  refund_ids=notice.refund_ids)
    return _report(reporter, notice, notice.event_id, notice.invoice_ref, amount, outcome)


def _report(reporter: Callable[[], PlatformReporter | None], notice: PaymentNotice, event_id: str,
            invoice_id: str, amount: Decimal, outcome: str) -> PaymentReceived:
    if outcome not in REPORTED_OUTCOMES:
        return PaymentReceived(outcome)
    platform = reporter()
    if platform is None:
        return PaymentReceived(outcome)
    try:
        sent = report_payment(platform, provider=notice.provider, event_id=event_id, invoice_id=invoice_id,
                              on=notice.paid_on, amount=amount, currency=notice.currency, outcome=outcome)
    except ProviderError as err:
        return PaymentReceived(outcome, "failed", str(err))
    return PaymentReceived(outcome, "sent" if sent else "none")


def payment_source(store: CheckoutRecords, provider: str, provider_ref: str) -> dict[str, str]:
    """``{"source": "portal"}`` for a payment made through a Stripe Checkout Session the portal opened (kept by
    :meth:`Portal.start_payment`), so that the dashboard counts what the portal recovered; else nothing."""
    if provider == "stripe" and provider_ref.startswith("cs_") and store.checkout(provider_ref) is not None:
        return {"source": "portal"}
    return {}
