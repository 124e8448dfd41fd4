"""One file dropped under ``imports/`` (the import function's S3 event), whatever its format: an accounting
export (``app.importing``: merged at once, or split into queued chunks when big) or an e-invoice
(``app.einvoices``: one customer and one invoice, its original kept)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..imports import format_of
from ..imports.csvfile import ImportFileError, RowError
from ..ports import Documents, ImportStore
from .importing import ImportSpace, apply_rows, prepare, split_import, write_report


def import_file(space: ImportSpace, key: str, import_id: str, store: ImportStore, *, chunk_rows: int,
                documents: Callable[[], Documents | None]) -> dict[str, Any]:
    """The file's report summary. An e-invoice (one invoice a file) is imported at once, its original kept in
    ``documents()``; an export of up to ``chunk_rows`` rows is merged right away, a bigger one split into
    queued chunks (« en cours », ``progress`` set). A file that cannot be read at all is reported as
    ``unusable``; one deleted before it was read gives ``missing`` and no report."""
    data = space.get(key)
    if data is None:  # deleted before we read it: nothing to import, nothing to report
        return {"file": key, "imported": 0, "rejected_rows": 0, "errors": 0, "missing": True}
    fmt = format_of(key)
    try:
        if fmt == "einvoice":  # one invoice a file: imported right away, whatever the chunk size
            from .einvoices import import_einvoice  # loaded by the first e-invoice only

            done = import_einvoice(data, store, documents())
            summary: dict[str, Any] = {"file": key, "status": "terminé", **done.as_dict()}
            write_report(space, key, summary, done.report.errors)
            return summary
        prepared = prepare(data, store, fmt=fmt)
    except ImportFileError as err:
        summary = {"file": key, "imported": 0, "rejected_rows": 0, "errors": 1, "unusable": str(err)}
        write_report(space, key, summary, [RowError(0, "", str(err))])
        return summary
    if len(prepared.rows) > chunk_rows:
        return split_import(prepared, key, import_id, store, space, chunk_rows=chunk_rows)
    apply_rows(prepared.report.kind, prepared.rows, store, prepared.report)
    summary = {"file": key, "status": "terminé", **prepared.report.as_dict()}
    write_report(space, key, summary, prepared.report.errors)
    return summary
