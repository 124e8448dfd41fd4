"""Imports from accounting software: one parser per format, chosen by the format's name.

Every parser takes the file's bytes (and the kind when the caller knows it: ``customers`` or ``invoices``)
and returns a :class:`~relance.imports.parsed.ParsedFile`: records, row errors named in French, or an
``ImportFileError`` when the file as a whole is unusable. ``relance import`` and the import function both
reach a parser through :func:`parse_export` (in ``app.importing.prepare``), so a new format is one module
and one entry in :data:`FORMATS` — CSV exports, and e-invoices (Factur-X PDF, CII or UBL XML: one customer
and one invoice a file).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import PurePosixPath
from typing import Protocol

from .parsed import ImportFileError, ParsedFile

DEFAULT_FORMAT = "csv"


class Parser(Protocol):
    def __call__(self, data: bytes, *, kind: str | None = None) -> ParsedFile: ...


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    label: str  # French, for messages: « export CSV »
    suffixes: tuple[str, ...]  # lower case, with the dot
    module: str  # imported when a file of this format is read, not before: a format pays for its own parser
    function: str

    def parser(self) -> Parser:
        parse: Parser = getattr(import_module(self.module), self.function)
        return parse


FORMATS: dict[str, Format] = {
    "csv": Format("csv", "export CSV", (".csv",), f"{__name__}.csvfile", "parse_csv"),
    "einvoice": Format("einvoice", "facture électronique (Factur-X, CII, UBL)", (".pdf", ".xml"),
                       f"{__name__}.einvoice", "parse_einvoice"),
}


def format_of(name: str) -> str:
    """The format a file's name says. Any other name (``clients.txt``, no suffix) is read as CSV, as always."""
    suffix = PurePosixPath(name).suffix.lower()
    return next((f.name for f in FORMATS.values() if suffix in f.suffixes), DEFAULT_FORMAT)


def parse_export(data: bytes, *, fmt: str = DEFAULT_FORMAT, kind: str | None = None) -> ParsedFile:
    """Parse an export with its format's parser; raises ``ImportFileError`` for an unknown format."""
    known = FORMATS.get(fmt)
    if known is None:
        raise ImportFileError(f"format d’import inconnu « {fmt} » (formats connus : {', '.join(FORMATS)})")
    return known.parser()(data, kind=kind)
