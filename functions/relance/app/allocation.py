"""One payment for several invoices — a portal checkout of « all or chosen invoices » — applied to each.

The order is the one the payment names them in (the portal lists them by due date, oldest first). Each invoice
gets, until the money runs out, the amount its line asked (``shares``: what the session was created for, so the
same event always splits the same way) — or, for a payment that does not say, what the invoice still owes when it
arrives. So an exact payment settles every invoice exactly; a smaller one settles the first named first and leaves
the last partly paid or untouched; what remains after the last invoice is kept for review as an unmatched payment.
Nothing is silently lost: an invoice paid meanwhile by another way still receives its line, and the store flags
it overpaid for a person (as any overpayment); an unknown or set-aside invoice gets nothing and its share goes
to the rest.

Each part is its own payment on its invoice, applied once: its event id is the provider's event id and the
invoice's rank (``evt_…#1``, the rest ``evt_…#rest``), so the same event delivered again is a duplicate, part by
part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..domain.model import Unusable
from ..ports import Ledger


@dataclass(frozen=True, slots=True)
class Part:
    invoice_id: str  # "" for what remained, kept for review
    event_id: str
    amount: Decimal
    outcome: str  # the store's (``paid``, ``partial``, ``duplicate``, ``unmatched``, ``review``…)


def split_payment(store: Ledger, *, provider: str, event_id: str, invoice_ids: Sequence[str], amount: Decimal,
                  currency: str, on: date, shares: Sequence[Decimal] = (),
                  details: dict[str, str] | None = None) -> list[Part]:
    """Apply ``amount`` to ``invoice_ids`` in order (see the module); the parts applied, the rest last."""
    asked = list(shares) if len(shares) == len(invoice_ids) else [None] * len(invoice_ids)
    about = {**(details or {}), "checkout_invoices": ",".join(invoice_ids)[:1000], "checkout_total": f"{amount:.2f}"}
    remaining = amount
    parts = []
    for rank, (invoice_id, line) in enumerate(zip(invoice_ids, asked, strict=True), 1):
        if remaining <= 0:
            break
        found = store.checked_invoice(invoice_id)
        if found is None or isinstance(found, Unusable):
            continue
        share = min(found.amount_due if line is None else line, remaining)
        if share <= 0:
            continue
        part_id = f"{event_id}#{rank}"
        outcome = store.apply_payment(provider=provider, event_id=part_id, invoice_id=invoice_id, amount=share,
                                      currency=currency, on=on, details=about)
        parts.append(Part(invoice_id, part_id, share, outcome))
        remaining -= share
    if remaining > 0:
        rest_id = f"{event_id}#rest"
        outcome = store.apply_payment(provider=provider, event_id=rest_id, invoice_id="", amount=remaining,
                                      currency=currency, on=on, details=about)
        parts.append(Part("", rest_id, remaining, outcome))
    return parts


def overall(parts: Sequence[Part]) -> str:
    """One outcome for the whole payment: ``duplicate`` when every part was, ``paid`` when every invoice named is,
    ``unmatched`` when nothing reached an invoice, else ``partial``."""
    if parts and all(p.outcome == "duplicate" for p in parts):
        return "duplicate"
    applied = [p for p in parts if p.invoice_id]
    if not applied:
        return "unmatched"
    if len(applied) == len(parts) and all(p.outcome == "paid" for p in applied):
        return "paid"
    return "partial"
