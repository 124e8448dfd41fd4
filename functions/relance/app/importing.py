"""Import an accounting export: parse, check customers exist, merge good rows, report bad ones.

Good rows are merged under what relance recorded (``domain.reconcile``: an export never undoes a payment,
a refund, a status set by people, the steps or the history; every disagreement is reported); re-importing
the same file changes nothing; bad rows are reported (row, column, reason) and never stop the good ones.

A small file is imported in the invocation that reads it. A big one (over ``CHUNK_ROWS`` rows) is parsed and
checked once, its good rows stored as chunks and queued, one chunk per worker invocation; the last chunk to
finish writes the report. Progress (chunks and rows done) is kept on a counter in the store.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..domain.legal import payment_terms_problem
from ..domain.reconcile import Disagreement
from ..imports import DEFAULT_FORMAT, chunks, parse_export
from ..imports.csvfile import ImportFileError, ParsedFile, RowError, errors_csv
from ..ports import ImportStore

DETAILS_SHOWN = 1000  # disagreements listed one by one in the report; all are counted
ERRORS_SUFFIX = ".erreurs.csv"
REPORT_SUFFIX = ".rapport.json"
LOTS_PREFIX = "import-lots/"  # outside imports/: never mistaken for an export


@dataclass(slots=True)
class ImportReport:
    kind: str
    rows: int
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    disagreements: list[tuple[int, Disagreement]] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # imported all the same; ``column`` holds the invoice

    @property
    def imported(self) -> int:
        return sum(self.outcomes.values())

    def as_dict(self) -> dict[str, Any]:
        self.errors.sort(key=lambda e: (e.row, e.column))
        self.disagreements.sort(key=lambda d: (d[0], d[1].invoice, d[1].field))
        return {"kind": self.kind, "rows": self.rows, "imported": self.imported, **dict(self.outcomes),
                "rejected_rows": len({e.row for e in self.errors}), "errors": len(self.errors),
                "disagreements": len(self.disagreements),
                "disagreement_details": [{"row": row, "invoice": d.invoice, "field": d.field, "export": d.export,
                                          "relance": d.relance, "reason": d.reason}
                                         for row, d in self.disagreements[:DETAILS_SHOWN]],
                "warnings": len(self.warnings),
                "warning_details": [{"row": w.row, "invoice": w.column, "reason": w.reason}
                                    for w in sorted(self.warnings, key=lambda w: w.row)[:DETAILS_SHOWN]]}

    def add(self, other: ImportReport) -> None:
        self.outcomes.update(other.outcomes)
        self.errors.extend(other.errors)
        self.disagreements.extend(other.disagreements)
        self.warnings.extend(other.warnings)

    def to_json(self) -> bytes:
        return json.dumps({"kind": self.kind, "rows": self.rows, "outcomes": dict(self.outcomes),
                           "errors": [[e.row, e.column, e.reason] for e in self.errors],
                           "disagreements": [[row, d.invoice, d.field, d.export, d.relance, d.reason]
                                             for row, d in self.disagreements],
                           "warnings": [[w.row, w.column, w.reason] for w in self.warnings]},
                          ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ImportReport:
        body = json.loads(data)
        return cls(body["kind"], body["rows"], Counter(body["outcomes"]), [RowError(*e) for e in body["errors"]],
                   [(d[0], Disagreement(*d[1:])) for d in body["disagreements"]],
                   [RowError(*w) for w in body.get("warnings", [])])


@dataclass(slots=True)
class CheckedImport:
    report: ImportReport  # the parse and customer checks' errors, rows read
    rows: list[chunks.Row]  # the rows to write, with their spreadsheet row number


def prepare(data: bytes, store: ImportStore, *, kind: str | None = None, fmt: str = DEFAULT_FORMAT) -> CheckedImport:
    """Parse and check; raises ``ImportFileError`` when the file as a whole is unusable (nothing written)."""
    parsed = parse_export(data, fmt=fmt, kind=kind)
    report = ImportReport(parsed.kind, parsed.rows, errors=list(parsed.errors))
    records: Sequence[Any] = parsed.customers if parsed.kind == "customers" else _with_known_customers(
        parsed, store, report)
    return CheckedImport(report, [(parsed.row_of.get(r.id, 0), r) for r in records])


def apply_rows(kind: str, rows: Sequence[chunks.Row], store: ImportStore, report: ImportReport) -> None:
    """Write checked rows; a row the store refuses becomes a row error, never an abort."""
    if kind == "customers":
        report.outcomes.update(store.upsert_customers([r for _, r in rows]))
        return
    for (row, _), done in zip(rows, store.upsert_invoices([r for _, r in rows]), strict=True):
        if done.outcome == "rejected":
            report.errors.append(RowError(row, "", done.reason))
            continue
        report.outcomes[done.outcome] += 1
        report.disagreements.extend((row, d) for d in done.disagreements)


def import_csv(data: bytes, store: ImportStore, *, kind: str | None = None, fmt: str = DEFAULT_FORMAT) -> ImportReport:
    """The whole file in this process (``relance import``, small drops).

    Raises ``ImportFileError`` when the file as a whole is unusable (nothing is written then)."""
    prepared = prepare(data, store, kind=kind, fmt=fmt)
    for chunk in chunks.split(prepared.rows):
        apply_rows(prepared.report.kind, chunk, store, prepared.report)
    prepared.report.errors.sort(key=lambda e: (e.row, e.column))
    return prepared.report


def _with_known_customers(parsed: ParsedFile, store: ImportStore, report: ImportReport) -> list[Any]:
    if not parsed.invoices:
        return []
    known = store.customers({i.customer_id for i in parsed.invoices})
    column = parsed.headers.get("customer_id", "")
    kept = []
    for invoice in parsed.invoices:
        if invoice.customer_id in known:
            kept.append(invoice)
            terms = payment_terms_problem(invoice, known[invoice.customer_id])
            if terms:
                report.warnings.append(RowError(parsed.row_of.get(invoice.id, 0), invoice.id, terms))
        else:
            report.errors.append(RowError(parsed.row_of.get(invoice.id, 0), column,
                                          f"client « {invoice.customer_id} » inconnu : importez d’abord le fichier "
                                          "des clients"))
    return kept


# -- big files: chunks through the import queue ---------------------------------------------------------------

class ImportSpace(Protocol):
    """Where an import reads its file and leaves chunks and reports (S3), and queues its chunks (SQS)."""

    bucket: str

    def get(self, key: str) -> bytes | None: ...  # None: no such object

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def delete(self, keys: Sequence[str]) -> None: ...

    def queue_chunks(self, messages: Sequence[dict[str, Any]]) -> None: ...


def base_of(key: str) -> str:
    return key[: -len(".csv")] if key.lower().endswith(".csv") else key


def write_report(space: ImportSpace, key: str, summary: dict[str, Any], errors: Sequence[RowError]) -> None:
    base = base_of(key)
    if errors:
        space.put(base + ERRORS_SUFFIX, errors_csv(errors), "text/csv; charset=utf-8")
    space.put(base + REPORT_SUFFIX, json.dumps(summary, ensure_ascii=False, indent=2).encode(), "application/json")


def split_import(prepared: CheckedImport, key: str, import_id: str, store: ImportStore, space: ImportSpace,
                 *, chunk_rows: int = chunks.CHUNK_ROWS) -> dict[str, Any]:
    """Store the checked rows as chunks, count them in the store, queue one message per chunk.

    Returns the report as it stands (the parse errors, progress 0 of N); the last chunk writes the final one.
    """
    report, parts = prepared.report, chunks.split(prepared.rows, chunk_rows)
    lots = f"{LOTS_PREFIX}{import_id}/"
    space.put(lots + "prepared.json", report.to_json(), "application/json")
    for n, part in enumerate(parts):
        space.put(f"{lots}{n:05d}.json", chunks.encode(report.kind, part), "application/json")
    store.start_import(import_id, chunks=len(parts), rows=len(prepared.rows))
    summary = {"file": key, "status": "en cours", **report.as_dict(),
               "progress": {"chunks_done": 0, "chunks": len(parts), "rows_done": 0,
                            "rows_to_write": len(prepared.rows)}}
    write_report(space, key, summary, report.errors)
    space.queue_chunks([{"import": import_id, "bucket": space.bucket, "file": key, "chunk": n,
                         "chunks": len(parts)} for n in range(len(parts))])
    return summary


def import_chunk(message: dict[str, Any], store: ImportStore, space: ImportSpace) -> dict[str, Any] | None:
    """One queued chunk: merge its rows, count it once, and if it was the last, write the final report.

    A chunk delivered twice is merged twice (nothing changes the second time) but counted once.
    Returns the final summary when this chunk completed the import, else None.
    """
    import_id, n = message["import"], int(message["chunk"])
    lots = f"{LOTS_PREFIX}{import_id}/"
    body = space.get(f"{lots}{n:05d}.json")
    if body is None:
        if store.chunk_counted(import_id, n):
            return None  # delivered again after the import finished and cleaned up
        raise LookupError(f"import chunk {lots}{n:05d}.json is missing")
    kind, rows = chunks.decode(body)
    part = ImportReport(kind, 0)
    apply_rows(kind, rows, store, part)
    space.put(f"{lots}{n:05d}.result.json", part.to_json(), "application/json")
    progress = store.chunk_done(import_id, n, rows=len(rows))
    if progress is None:  # counted before: a redelivery, maybe of a last chunk that died before its report
        progress = store.import_progress(import_id)
        if space.get(lots + "prepared.json") is None:
            return None  # the report was written and the chunks cleaned up
    if progress["chunks_done"] < progress["chunks"]:
        return None  # other chunks still to come
    report = ImportReport.from_json(_present(space, lots + "prepared.json"))
    for m in range(progress["chunks"]):
        report.add(ImportReport.from_json(_present(space, f"{lots}{m:05d}.result.json")))
    summary = {"file": message["file"], "status": "terminé", **report.as_dict(),
               "progress": {"chunks_done": progress["chunks_done"], "chunks": progress["chunks"],
                            "rows_done": progress["rows_done"], "rows_to_write": progress["rows"]}}
    write_report(space, message["file"], summary, report.errors)
    space.delete([lots + "prepared.json", *(f"{lots}{m:05d}{s}" for m in range(progress["chunks"])
                                            for s in (".json", ".result.json"))])
    return summary


def _present(space: ImportSpace, key: str) -> bytes:
    body = space.get(key)
    if body is None:
        raise LookupError(f"{key} is missing")
    return body


# -- preview: the exports read as an import would read them, nothing written ---------------------------------

class _ParsedCustomers:
    """What :func:`prepare` asks of a store, answered by the customers export being previewed."""

    def __init__(self, customers: Sequence[Any]) -> None:
        self.known = {c.id: c for c in customers}

    def customers(self, ids: Any) -> dict[str, Any]:
        return {i: self.known[i] for i in ids if i in self.known}


class ExportUnusable(ImportFileError):
    """One of the two exports is unusable as a whole; ``kind`` says which (customers or invoices)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class Preview:
    """The customers and invoices of two exports, and their import reports (same rows refused, same reasons)."""

    customers: list[Any]
    invoices: list[Any]
    reports: dict[str, ImportReport]


def preview_exports(customers: bytes, invoices: bytes, *, customers_fmt: str = DEFAULT_FORMAT,
                    invoices_fmt: str = DEFAULT_FORMAT) -> Preview:
    """Read a customers export and an invoices export as ``relance import`` would, without any store.

    The rows an import would refuse are refused here with the same report; the others are what a plan runs
    on. Raises ``ExportUnusable`` when a file as a whole is unusable."""
    try:
        people = prepare(customers, _ParsedCustomers(()), kind="customers", fmt=customers_fmt)  # type: ignore[arg-type]
    except ImportFileError as err:
        raise ExportUnusable("customers", str(err)) from None
    kept = [record for _, record in people.rows]
    people.report.outcomes["previewed"] = len(kept)
    try:
        bills = prepare(invoices, _ParsedCustomers(kept), kind="invoices", fmt=invoices_fmt)  # type: ignore[arg-type]
    except ImportFileError as err:
        raise ExportUnusable("invoices", str(err)) from None
    bills.report.outcomes["previewed"] = len(bills.rows)
    return Preview(kept, [record for _, record in bills.rows], {"customers": people.report, "invoices": bills.report})
