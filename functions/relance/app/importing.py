"""Import an accounting export: parse, check customers exist, upsert good rows, report bad ones.

Good rows are upserted without touching dunning state or history; re-importing the same file changes
nothing; bad rows are reported (row, column, reason) and never stop the good ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..imports.csvfile import ParsedFile, RowError, parse_csv


@dataclass(slots=True)
class ImportReport:
    kind: str
    rows: int
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(self.outcomes.values())

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rows": self.rows, "imported": self.imported, **dict(self.outcomes),
                "rejected_rows": len({e.row for e in self.errors}), "errors": len(self.errors)}


def import_csv(data: bytes, store: Any, *, kind: str | None = None) -> ImportReport:
    """Raises ``ImportFileError`` when the file as a whole is unusable (nothing is written then)."""
    parsed = parse_csv(data, kind=kind)
    report = ImportReport(parsed.kind, parsed.rows, errors=list(parsed.errors))
    for customer in parsed.customers:
        report.outcomes[store.upsert_customer(customer)] += 1
    invoices = _with_known_customers(parsed, store, report)
    for invoice in invoices:
        report.outcomes[store.upsert_invoice(invoice)] += 1
    report.errors.sort(key=lambda e: (e.row, e.column))
    return report


def _with_known_customers(parsed: ParsedFile, store: Any, report: ImportReport) -> list[Any]:
    if not parsed.invoices:
        return []
    known = store.customers({i.customer_id for i in parsed.invoices})
    column = parsed.headers.get("customer_id", "")
    kept = []
    for invoice in parsed.invoices:
        if invoice.customer_id in known:
            kept.append(invoice)
        else:
            report.errors.append(RowError(parsed.row_of.get(invoice.id, 0), column,
                                          f"client « {invoice.customer_id} » inconnu : importez d’abord le fichier "
                                          "des clients"))
    return kept
