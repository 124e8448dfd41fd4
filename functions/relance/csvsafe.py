"""The CSV relance writes (the import's error report, the dashboard's CSV, the FEC reconciliation): as French
Excel opens it (``french_csv``), and safe from CSV injection (``neutralise``).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (OWASP « CSV
Injection »), and some also after a leading tab or carriage return; Excel and LibreOffice read the full-width
forms (``＝ ＋ － ＠``) as the same signs. Such a cell gets a leading apostrophe: shown as text, never run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: a leading apostrophe when it would start a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def french_csv(rows: Iterable[Sequence[object]]) -> bytes:
    """``rows`` (the header first) as French Excel opens a CSV: UTF-8 with a BOM, « ; » between cells, CRLF.
    Cells are written as they are: ``neutralise`` those that hold text from outside."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
