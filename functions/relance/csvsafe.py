"""CSV injection: the one rule for every CSV relance writes (the import's error report, the dashboard's CSV).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (OWASP « CSV
Injection »), and some also after a leading tab or carriage return; Excel and LibreOffice read the full-width
forms (``＝ ＋ － ＠``) as the same signs. Such a cell gets a leading apostrophe: shown as text, never run.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: a leading apostrophe when it would start a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
