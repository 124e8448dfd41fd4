"""The Fichier des Écritures Comptables (FEC, art. A47 A-1 du livre des procédures fiscales), read.

18 columns in this order, a header line, ``|`` or tab between them, ISO-8859-15 or UTF-8, amounts with a
decimal comma (a point is accepted), dates YYYYMMDD::

    JournalCode JournalLib EcritureNum EcritureDate CompteNum CompteLib CompAuxNum CompAuxLib PieceRef PieceDate
    EcritureLib Debit Credit EcritureLet DateLet ValidDate Montantdevise Idevise

Only the customer accounts matter here: 411… (clients) and 416… (clients douteux, where a receivable moves when
its payment is in doubt — it leaves 411 without being paid). What is still open per invoice is read from the
lettrage: unlettered lines count whole; a lettered group that does not balance (a partial lettering) leaves
its remainder on the invoice it lettered. The FEC has no due dates: it never sets one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from .parsed import ImportFileError

COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
           "ValidDate", "Montantdevise", "Idevise")
CUSTOMER_ACCOUNTS = ("411", "416")
DOUBTFUL = "416"
OPENING_JOURNALS = ("AN", "RAN", "OUV", "ANO")  # à-nouveaux: the opening balances of the year
MAX_FEC_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    line: int  # in the file, the header is line 1
    journal: str
    account: str  # CompteNum
    customer: str  # CompAuxNum
    customer_name: str  # CompAuxLib
    piece: str  # PieceRef
    on: date
    label: str  # EcritureLib
    amount: Decimal  # debit − credit
    letter: str  # EcritureLet, "" when not lettered

    @property
    def opening(self) -> bool:
        return self.journal.upper() in OPENING_JOURNALS or "nouveau" in self.label.lower()


@dataclass(frozen=True, slots=True)
class OpenItem:
    """What the books leave open for one invoice (PieceRef) of one customer (CompAuxNum)."""

    customer: str
    customer_name: str
    piece: str
    open_411: Decimal
    open_416: Decimal  # moved to doubtful receivables
    opening: bool  # an à-nouveau line: a balance carried from earlier years, not one invoice

    @property
    def open(self) -> Decimal:
        return self.open_411 + self.open_416


@dataclass(frozen=True, slots=True)
class Fec:
    entries: tuple[Entry, ...]  # the customer accounts' lines
    first_day: date | None  # the earliest EcritureDate of the file (the fiscal year's start, as near as it gets)
    delimiter: str
    encoding: str
    lines: int  # data lines read (all accounts)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("iso-8859-15"), "iso-8859-15"


def _amount(text: str, line: int, column: str) -> Decimal:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".") or "0"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ImportFileError(f"ligne {line} : montant illisible « {text[:30]} » ({column})") from None
    if not value.is_finite():
        raise ImportFileError(f"ligne {line} : montant illisible « {text[:30]} » ({column})")
    return value


def _day(text: str, line: int) -> date:
    text = text.strip()
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 and text.isdigit() \
            else date.fromisoformat(text[:10])
    except ValueError:
        raise ImportFileError(f"ligne {line} : date d’écriture illisible « {text[:20]} » (EcritureDate, AAAAMMJJ "
                              "attendu)") from None


def read_fec(data: bytes) -> Fec:
    """The customer-account lines of a FEC; ``ImportFileError`` (French) for a file that is not one."""
    if len(data) > MAX_FEC_BYTES:
        raise ImportFileError("FEC trop volumineux")
    text, encoding = _decode(data)
    rows = text.splitlines()
    if not rows:
        raise ImportFileError("FEC vide")
    header = rows[0]
    delimiter = "\t" if header.count("\t") >= 17 else "|"
    names = [n.strip() for n in header.split(delimiter)]
    if len(names) < 18 or [n.lower() for n in names[:18]] != [c.lower() for c in COLUMNS]:
        raise ImportFileError("ce n’est pas un FEC : la première ligne doit nommer les 18 colonnes réglementaires "
                              f"dans l’ordre ({'|'.join(COLUMNS[:4])}|…), séparées par « | » ou une tabulation")
    entries: list[Entry] = []
    first: date | None = None
    read = 0
    for n, row in enumerate(rows[1:], start=2):
        if not row.strip():
            continue
        read += 1
        cells = row.split(delimiter)
        if len(cells) < 18:
            raise ImportFileError(f"ligne {n} : {len(cells)} colonnes au lieu de 18")
        day = _day(cells[3], n)
        first = day if first is None or day < first else first
        account = cells[4].strip()
        if not account.startswith(CUSTOMER_ACCOUNTS):
            continue
        entries.append(Entry(n, cells[0].strip(), account, cells[6].strip(), cells[7].strip(), cells[8].strip(), day,
                             cells[10].strip(), _amount(cells[11], n, "Debit") - _amount(cells[12], n, "Credit"),
                             cells[13].strip()))
    return Fec(tuple(entries), first, delimiter, encoding, read)


def open_items(fec: Fec) -> dict[tuple[str, str], OpenItem]:
    """(CompAuxNum, PieceRef) → what is open in 411 and 416, from the lettrage."""
    open_by: dict[tuple[str, str, bool], Decimal] = defaultdict(Decimal)
    names: dict[str, str] = {}
    opening: set[tuple[str, str]] = set()
    groups: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    for e in fec.entries:
        names.setdefault(e.customer, e.customer_name)
        if e.opening:
            opening.add((e.customer, e.piece))
        if e.letter:
            groups[(e.account[:3], e.customer, e.letter.upper())].append(e)
        else:
            open_by[(e.customer, e.piece, e.account.startswith(DOUBTFUL))] += e.amount
            open_by.setdefault((e.customer, e.piece, not e.account.startswith(DOUBTFUL)), Decimal(0))
    for (prefix, customer, _), lines in groups.items():
        rest = sum((e.amount for e in lines), Decimal(0))
        if rest:
            anchor = max(lines, key=lambda e: e.amount)  # the invoice's debit line carries what is left
            open_by[(customer, anchor.piece, prefix == DOUBTFUL)] += rest
            open_by.setdefault((customer, anchor.piece, prefix != DOUBTFUL), Decimal(0))
        for e in lines:  # a fully lettered invoice is known, at zero
            open_by.setdefault((customer, e.piece, prefix == DOUBTFUL), Decimal(0))
            open_by.setdefault((customer, e.piece, prefix != DOUBTFUL), Decimal(0))
    return {(c, p): OpenItem(c, names.get(c, ""), p, open_by[(c, p, False)], open_by[(c, p, True)],
                             (c, p) in opening)
            for (c, p, doubtful) in list(open_by) if not doubtful}
