"""Lifecycle statuses of an e-invoice, as the plateforme agréée (PA) reports them: the signed notice, read.

``POST /einvoicing/status`` (EINVOICING_STATUS.md): one status of one invoice per call, signed with
``Relance-Signature`` exactly like the generic payment notice (``signing.py``). What each code does is
``app.einvoicing``'s business; here the body is only verified and read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .. import signing
from ..signing import DEFAULT_TOLERANCE_S
from .webhooks import (
    GENERIC_SIGNATURE_HEADER,
    MalformedPayload,
    _currency,
    _generic_amount,
    _generic_date,
    _generic_text,
    _invalid,
    _load_json,
)

# The AFNOR XP Z12-012 lifecycle codes relance follows (the others are kept for review, never applied).
STATUS_LABELS = {"200": "Déposée", "201": "Émise par la plateforme", "202": "Reçue par la plateforme",
                 "203": "Mise à disposition", "204": "Prise en charge", "205": "Approuvée",
                 "206": "Approuvée partiellement", "207": "En litige", "208": "Suspendue", "209": "Complétée",
                 "210": "Refusée", "211": "Paiement transmis", "212": "Encaissée", "213": "Rejetée",
                 "220": "Annulée", "225": "Affacturée", "226": "Affacturée confidentiel"}
_CODE = re.compile(r"[0-9]{3}")


@dataclass(frozen=True, slots=True)
class StatusNotice:
    id: str  # the PA's message id: one status is applied once
    invoice_id: str  # our invoice number (BT-1)
    code: str  # "207", "212"…
    on: date  # the status date, in the company's calendar
    amount: Decimal | None  # 212 Encaissée: the amount collected (None: all that is due)
    currency: str  # with an amount; "EUR" otherwise
    reason: str  # the PA's free text (the buyer's reason for a dispute or a refusal), "" when none

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.code, "code inconnu")


def verify_status(payload: bytes, headers: Mapping[str, str], secrets: Sequence[str], *, now: datetime,
                  tolerance_s: int = DEFAULT_TOLERANCE_S) -> StatusNotice:
    """The notice of a ``Relance-Signature``-signed body; ``InvalidSignature`` or ``MalformedPayload`` else."""
    signing.verify(payload, signing.header_value(headers, GENERIC_SIGNATURE_HEADER), secrets, now=now,
                   tolerance_s=tolerance_s)
    body: Any = _load_json(payload)
    if not isinstance(body, dict):
        raise MalformedPayload("not_event", "body is not a JSON object")
    code = body.get("status")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise _invalid("status", "a 3-digit lifecycle code such as \"212\"")
    amount = None if body.get("amount") is None else _generic_amount(body.get("amount"))
    currency = "EUR" if amount is None else _currency(body)
    return StatusNotice(id=_generic_text(body, "id", allow_empty=False),
                        invoice_id=_generic_text(body, "invoice_id", allow_empty=False),
                        code=code, on=_generic_date(body.get("date"), "date"), amount=amount, currency=currency,
                        reason="" if body.get("reason") is None else _generic_text(body, "reason", allow_empty=True))


