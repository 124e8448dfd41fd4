"""The e-invoicing platform (PA), told what relance learned: « 212 Encaissée » for a payment relance applied.

Off unless ``PLATFORM_REPORT_URL`` is set. Each PA has its own API; relance posts one JSON body — the same
shape it accepts on ``POST /einvoicing/status`` (EINVOICING_STATUS.md) — signed with ``Relance-Signature``, to
the URL of the PA or of the connector in front of it. A status relance reported that comes back from the PA
is recognised (app.einvoicing: same day, same amount) and not counted twice.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from ..ports import ProviderError, TransientProviderError
from ..signing import sign

TIMEOUT_S = 5


class HttpPlatformReporter:
    def __init__(self, url: str, secrets: Sequence[str], *, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 timeout_s: float = TIMEOUT_S) -> None:
        self.url, self.secrets, self.now, self.timeout_s = url, list(secrets), now, timeout_s

    def report_collected(self, *, message_id: str, invoice_id: str, on: date, amount: Decimal,
                         currency: str) -> None:
        body = json.dumps({"id": message_id, "invoice_id": invoice_id, "status": "212", "date": on.isoformat(),
                           "amount": f"{amount:.2f}", "currency": currency}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Relance-Signature": sign(body, self.secrets, now=self.now())})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                answer.read(65536)
        except urllib.error.HTTPError as err:
            if err.code >= 500 or err.code == 429:
                raise TransientProviderError(f"platform answered {err.code}") from None
            raise ProviderError(f"platform refused the status: {err.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            raise TransientProviderError(f"platform unreachable: {err}") from None
