"""What every import parser returns, whatever the format: records, row errors, or a file refused whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..domain.model import Customer, Invoice

KINDS = ("customers", "invoices")  # an e-invoice is "einvoices": one customer and one invoice


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # the row number a spreadsheet shows; the header is row 1 (0: the file as a whole)
    column: str  # the column header as written in the file; "" when the whole row is wrong
    reason: str  # French, for a finance assistant


@dataclass(frozen=True, slots=True)
class ParsedFile:
    kind: str  # "customers" | "invoices"
    customers: tuple[Customer, ...]
    invoices: tuple[Invoice, ...]
    errors: tuple[RowError, ...]
    rows: int  # data rows read, not counting the header and blank rows
    encoding: str  # "utf-8", "utf-8-sig", "cp1252" or "utf-8+cp1252" (a UTF-8 file with Windows-1252 rows)
    delimiter: str  # ";", "," or "\t"; "" for a format without columns (an e-invoice)
    row_of: Mapping[str, int] = field(default_factory=dict)  # record id → its row, for later checks
    headers: Mapping[str, str] = field(default_factory=dict)  # field name → the column header as written
    notes: tuple[RowError, ...] = ()  # imported all the same, but worth a look (an e-invoice's due date guessed)


class ImportFileError(ValueError):
    """The whole file is unusable; the message (French) says why and what to do."""
