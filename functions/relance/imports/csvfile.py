"""CSV exports of accounting software (Sage, EBP, Pennylane, a spreadsheet…) → customers and invoices.

Pure: bytes in, values out. A bad cell never stops the import: it becomes a ``RowError`` that names the row,
the column as written in the file, and a reason in plain French for the finance assistant who will fix it.
Only a file that cannot be read at all (empty, binary, no recognisable header) raises ``ImportFileError``.

Row numbers are the ones a spreadsheet shows (header = row 1), because the assistant fixes the file in
Excel or LibreOffice: a quoted cell spanning several lines is one row there, and a blank line is a row.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TypeVar

from ..csvsafe import french_csv, neutralise
from ..domain.bounds import amount_problem, date_problem
from ..domain.model import Address, Customer, Invoice, activity_key
from .parsed import KINDS, ImportFileError, ParsedFile, RowError

# What one record may weigh, so that the store can hold it (a DynamoDB item is at most 400 KB, a key 2 KB,
# an index sort key 1 KB — the invoice number is part of several). Beyond, the row is refused, alone.
ID_MAX_BYTES = 200
CELL_MAX_BYTES = 32_768
ROW_MAX_BYTES = 200_000
DELIMITERS = (";", "\t", ",")  # in order of preference when the header does not decide
_DELIMITER_NAMES = {";": "point-virgule", "\t": "caractère de tabulation", ",": "virgule"}
T = TypeVar("T")


# -- columns -------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    label: str  # with its article, for « cellule vide : le numéro de facture est obligatoire »
    aliases: tuple[str, ...]  # best first: when two columns name the same field, the better alias wins
    required: bool = False


INVOICE_FIELDS = (
    _Field("id", "le numéro de facture",
           ("Numéro de facture", "N° facture", "N° de facture", "Numéro facture", "No facture", "N facture",
            "Référence facture", "Facture", "N° pièce", "Numéro de pièce", "Pièce", "Numéro", "N°",
            "invoice_id", "invoice_number", "invoice", "number", "id"), required=True),
    _Field("customer_id", "le code client",
           ("Code client", "N° client", "Numéro client", "Numéro de client", "Identifiant client", "Compte client",
            "Code tiers", "Compte tiers", "Tiers", "Client", "customer_id", "customer"), required=True),
    _Field("issue_date", "la date de facture",
           ("Date de facture", "Date facture", "Date d’émission", "Date de pièce", "Date pièce", "Date",
            "issue_date", "invoice_date"), required=True),
    _Field("due_date", "la date d’échéance",
           ("Date d’échéance", "Échéance", "Date échéance", "Date limite de paiement", "due_date", "due"),
           required=True),
    _Field("amount", "le montant TTC",
           ("Montant TTC", "Total TTC", "Montant", "TTC", "amount", "total"), required=True),
    _Field("amount_due", "le reste à payer",
           ("Reste à payer", "Montant restant dû", "Restant dû", "Reste dû", "Montant dû", "Solde", "Solde dû",
            "amount_due", "balance", "outstanding")),
    _Field("currency", "la devise", ("Devise", "Monnaie", "currency")),
    _Field("status", "le statut", ("Statut", "État", "status")),
    _Field("paid_on", "la date de paiement",
           ("Date de paiement", "Payée le", "Date de règlement", "Réglée le", "paid_on", "payment_date")),
    _Field("promise_to_pay_until", "la date de promesse de paiement",
           ("Promesse de paiement jusqu’au", "Promesse de paiement", "promise_to_pay_until")),
    _Field("completed_on", "la date de fin de travaux",
           ("Date de fin de travaux", "Fin des travaux", "Date de livraison", "Date de prestation",
            "completed_on")),
)

CUSTOMER_FIELDS = (
    _Field("id", "le code client",
           ("Code client", "Identifiant", "Identifiant client", "N° client", "Numéro client", "Numéro de client",
            "Compte client", "Code tiers", "Code", "customer_id", "id"), required=True),
    _Field("name", "la raison sociale",
           ("Raison sociale", "Nom", "Nom du client", "Nom client", "Dénomination", "Client", "Société", "name",
            "company"), required=True),
    _Field("kind", "le type de client", ("Type de client", "Type", "kind", "customer_type")),
    _Field("email", "l’adresse e-mail",
           ("E-mail", "Courriel", "Email", "Adresse e-mail", "Adresse électronique", "Mail")),
    _Field("phone", "le téléphone", ("Téléphone", "Tél", "Tel", "Téléphone fixe", "Portable", "Mobile", "phone")),
    _Field("tags", "les étiquettes", ("Étiquettes", "Étiquette", "Tags", "Tag")),
    _Field("language", "la langue", ("Langue", "language", "lang")),
    _Field("siren", "le SIREN", ("SIREN", "N° SIREN", "SIRET", "N° SIRET")),
    _Field("since", "la date d’entrée en relation", ("Client depuis", "Depuis", "since")),
    _Field("legal_form", "la forme juridique", ("Forme juridique", "legal_form")),
    _Field("activity", "l’activité de l’entreprise individuelle", ("Nature de l’activité", "activity")),
    _Field("line1", "l’adresse",
           ("Adresse", "Adresse 1", "Adresse ligne 1", "Rue", "address", "address1", "address_line1", "line1")),
    _Field("line2", "le complément d’adresse",
           ("Adresse 2", "Complément d’adresse", "Complément", "Adresse ligne 2", "address2", "address_line2",
            "line2")),
    _Field("postal_code", "le code postal", ("Code postal", "CP", "postal_code", "zip", "postcode")),
    _Field("city", "la ville", ("Ville", "Localité", "Commune", "city")),
    _Field("country", "le pays", ("Pays", "Code pays", "country")),
    _Field("account_manager", "le chargé de compte",
           ("Chargé de compte", "Commercial", "Responsable", "account_manager")),
)
_FIELDS = {"invoices": INVOICE_FIELDS, "customers": CUSTOMER_FIELDS}
_DUPLICATE_LABEL = {"invoices": "numéro de facture", "customers": "code client"}

_STOPWORDS = frozenset({"de", "d", "l", "la", "le", "les", "des"})


def _tokens(text: str) -> list[str]:
    """Lower-case ASCII words: accents, case, punctuation and spacing do not matter."""
    text = text.replace("°", "o").replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.findall(r"[a-z0-9]+", text)


def header_key(header: str) -> str:
    """What a header is matched on: « Date d’échéance » and « DATE ECHEANCE » give the same key."""
    return "_".join(t for t in _tokens(header) if t not in _STOPWORDS)


def extra_key(header: str) -> str:
    """The ``extra`` key of a free column: « Bon de commande » → ``bon_de_commande``."""
    return "_".join(_tokens(header))


def _table(fields: tuple[_Field, ...]) -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for f in fields:
        for rank, alias in enumerate(f.aliases):
            key = header_key(alias)
            if table.get(key, (f.name,))[0] != f.name:
                raise AssertionError(f"header alias {alias!r} names two fields")
            table.setdefault(key, (f.name, rank))
    return table


_TABLES = {kind: _table(fields) for kind, fields in _FIELDS.items()}


# -- the file as rows -------------------------------------------------------------------------------------

_SIGNATURES = (
    (b"PK\x03\x04", "c’est un classeur Excel (.xlsx) ou une archive, pas un fichier CSV"),
    (b"\xd0\xcf\x11\xe0", "c’est un classeur Excel (.xls), pas un fichier CSV"),
    (b"%PDF", "c’est un document PDF, pas un fichier CSV"),
    (b"\xff\xfe", "il est encodé en UTF-16"),
    (b"\xfe\xff", "il est encodé en UTF-16"),
)
_SAVE_AS = " : enregistrez-le depuis le tableur au format « CSV UTF-8 (délimité par des points-virgules) »"


def _decode(data: bytes) -> tuple[str, str]:
    """The file as text: UTF-8 (with or without BOM), Windows-1252, or UTF-8 with some Windows-1252 rows.

    A row pasted from an older tool into a UTF-8 export is decoded on its own, so the UTF-8 rows are never
    read as Windows-1252 (« BÃ¢tir »). A row in neither encoding gets U+FFFD and is refused as illisible.
    """
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise ImportFileError(f"Le fichier ne peut pas être lu : {what}{_SAVE_AS}.")
    if b"\x00" in data:
        raise ImportFileError(f"Le fichier ne peut pas être lu : il contient des données binaires{_SAVE_AS}.")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    # b"\n" never occurs inside a UTF-8 or a Windows-1252 character: each line can be decoded alone.
    lines = body.split(b"\n")
    utf8 = [_utf8(line) for line in lines]
    if bom and utf8[0] is None:
        raise ImportFileError(f"Le fichier annonce de l’UTF-8 mais contient des caractères invalides{_SAVE_AS}.")
    if not bom and not any(text is not None and not text.isascii() for text in utf8):
        try:
            lines[0].decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError(f"Le fichier n’est ni en UTF-8 ni en Windows-1252 (ANSI){_SAVE_AS}.") from None
        return body.decode("cp1252", errors="replace"), "cp1252"
    return "\n".join(text if text is not None else line.decode("cp1252", errors="replace")
                     for text, line in zip(utf8, lines, strict=True)), "utf-8+cp1252"


def decode_export(data: bytes) -> str:
    """The text the parser reads from ``data`` (raises ``ImportFileError`` like ``parse_csv``)."""
    return _decode(data)[0]


def _utf8(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _strip_sep_line(text: str) -> tuple[str, str | None]:
    """Excel's ``sep=;`` first line names the delimiter; Excel hides it, so the header stays row 1."""
    match = re.match(r"[ \t]*sep=(.)[ \t]*(?:\r\n|\r|\n|$)", text, re.IGNORECASE)
    if match and match.group(1) in DELIMITERS:
        return text[match.end():], match.group(1)
    return text, None


def _blank(cells: Sequence[str]) -> bool:
    return all(not c.strip() for c in cells)


def _first_record(text: str, delimiter: str) -> list[str]:
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if not _blank(cells):
                return cells
    except csv.Error:
        return []
    return []


def _sniff(text: str) -> str:
    """The delimiter that splits the header into the most known column names, then into the most cells."""
    def score(delimiter: str) -> tuple[int, int, int]:
        cells = _first_record(text, delimiter)
        known = sum(1 for c in cells if any(header_key(c) in table for table in _TABLES.values()))
        return known, len(cells), -DELIMITERS.index(delimiter)

    return max(DELIMITERS, key=score)


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Every record with its spreadsheet row number (blank rows included, so the numbers stay true)."""
    out: list[tuple[int, list[str]]] = []
    # The csv module refuses a cell over 128 KB by aborting the whole read; the row limits below refuse
    # such a row alone. (The limit is the process's: raising it harms no other reader.)
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            out.append((number, cells))
    except csv.Error:
        raise ImportFileError(f"Le fichier CSV est illisible vers la ligne {len(out) + 1} "
                              "(cellule trop longue ou guillemets mal fermés).") from None
    return out


def _ends_inside_quotes(text: str, delimiter: str) -> bool:
    """Whether a quote opened and never closed, so the csv module read the rest of the file as one cell."""
    if '"' not in text:
        return False
    start, plain, quoted, quote_in_quoted = range(4)
    state = start
    for match in re.finditer(rf'["\r\n{re.escape(delimiter)}]|[^"\r\n{re.escape(delimiter)}]+', text):
        token = match.group()
        ends_field = token in ("\r", "\n", delimiter)
        if state == quoted:
            state = quote_in_quoted if token == '"' else quoted
        elif state in (start, quote_in_quoted):  # after a closing quote, '"' is an escaped '""' and reopens
            state = quoted if token == '"' else start if ends_field else plain
        else:
            state = start if ends_field else plain
    return state == quoted


# -- cells ------------------------------------------------------------------------------------------------

class _Bad(Exception):
    """A cell that cannot be read; the message is the reason shown to the user."""


def _q(value: str, limit: int = 40) -> str:
    """A value as quoted in a reason: « 31/02/2026 », on one line and not too long."""
    shown = " ".join(value.split())
    if len(shown) > limit:
        shown = shown[:limit - 1] + "…"
    return f"«\u00a0{shown}\u00a0»"


def _line(text: str) -> str:
    return " ".join(text.split())


_DMY = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})")
_YMD = re.compile(r"([0-9]{4})([/.-])([0-9]{1,2})\2([0-9]{1,2})")
_TIME = re.compile(r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")


def parse_date(text: str) -> date:
    """``dd/mm/yyyy`` (or ``-``, ``.``), ``dd/mm/yy`` (20yy), ``yyyy-mm-dd`` (or ``/``); a time part is ignored."""
    text = text.strip()
    day_part = re.match(r"[0-9/.-]+", text)
    rest = text[day_part.end():] if day_part else text
    try:
        if day_part is None or not _TIME.fullmatch(rest):
            raise ValueError
        if match := _DMY.fullmatch(day_part.group()):
            day, _, month, year = match.groups()
            parsed = date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
        elif match := _YMD.fullmatch(day_part.group()):
            year, _, month, day = match.groups()
            parsed = date(int(year), int(month), int(day))
        else:
            raise ValueError
    except ValueError:
        raise _Bad(f"date invalide {_q(text)} (attendu JJ/MM/AAAA)") from None
    problem = date_problem(parsed)
    if problem:  # 31/12/9999, what some packages write for "no due date" (SPEC §3)
        raise _Bad(problem)
    return parsed


_SPACES = (" ", "\u00a0", "\u202f", "\u2009")


@dataclass(frozen=True, slots=True)
class _Money:
    value: Decimal
    in_euros: bool  # the cell itself said « € » or « EUR »
    text: str


def parse_amount(text: str) -> _Money:
    """« 1 234,56 € », « 1.234,56 », « 1,234.56 », « -50 », « EUR 99 » → exact ``Decimal`` with 2 places."""
    original = text.strip()
    bad = _Bad(f"montant invalide {_q(original)} (attendu par exemple 1 234,56)")
    s = original
    in_euros, sign = False, ""
    for _ in range(2):  # « -12 € », « € -12 », « -€12 »: the sign and the currency, in either order
        if s[:1] in ("-", "−", "+") and not sign:
            s, sign = s[1:].lstrip(), s[0]
        for affix in ("€", "EUR"):
            if not in_euros and s.upper().endswith(affix):
                s, in_euros = s[:-len(affix)].rstrip(), True
            elif not in_euros and s.upper().startswith(affix):
                s, in_euros = s[len(affix):].lstrip(), True
    negative = sign in ("-", "−")
    for space in _SPACES:
        s = s.replace(space, " ")
    if not re.fullmatch(r"[0-9](?:[0-9., ]*[0-9])?", s):
        raise bad
    decimal_mark = None
    if "," in s and "." in s:
        decimal_mark = "," if s.rfind(",") > s.rfind(".") else "."
    elif s.count(",") == 1 or s.count(".") == 1:
        decimal_mark = "," if "," in s else "."
    units, fraction = s.rsplit(decimal_mark, 1) if decimal_mark else (s, "")
    if not re.fullmatch(r"[0-9]*", fraction):
        raise bad
    separators = set(units) - set("0123456789")
    if separators:
        separator = separators.pop()
        if separators or not re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(separator)}[0-9]{{3}})+", units):
            raise bad
        units = units.replace(separator, "")
    if fraction[2:].strip("0"):
        raise _Bad(f"montant ambigu {_q(original)} : plus de deux chiffres après la virgule")
    value = Decimal(f"{units}.{fraction[:2].ljust(2, '0')}")
    problem = amount_problem(value)
    if problem:
        raise _Bad(f"{problem} : {_q(original)}")
    return _Money(-value if negative and value else value, in_euros, original)


def _amount_not_negative(text: str) -> _Money:
    money = parse_amount(text)
    if money.value < 0:
        raise _Bad(f"montant négatif {_q(text)} : un avoir ne s’importe pas comme une facture "
                   "(seul le reste à payer peut être négatif)")
    return money


def _words(text: str) -> str:
    return " ".join(_tokens(text))


_STATUSES = {
    "open": ("ouverte", "ouvert", "open", "a venir", "en retard", "en attente", "en cours", "impayee", "impaye",
             "non payee", "non reglee", "partiellement payee", "partiellement reglee", "unpaid", "overdue"),
    "paid": ("payee", "paye", "paid", "reglee", "regle", "soldee", "solde"),
    "cancelled": ("annulee", "annule", "cancelled", "canceled"),
    "disputed": ("litige", "en litige", "contestee", "disputed"),
    "litigation": ("contentieux", "au contentieux", "litigation"),
}
_STATUS_OF = {word: status for status, words in _STATUSES.items() for word in words}


def _status(text: str) -> str:
    status = _STATUS_OF.get(_words(text))
    if status is None:
        raise _Bad(f"statut inconnu {_q(text)} (attendu : ouverte, payée, annulée, litige ou contentieux)")
    return status


def _currency(text: str) -> str:
    word = _words(text)
    if text.strip() == "€" or word in ("euro", "euros"):
        return "EUR"
    if re.fullmatch(r"[a-z]{3}", word):
        return word.upper()
    raise _Bad(f"devise inconnue {_q(text)} (attendu un code à trois lettres, par exemple EUR)")


_KINDS = {
    "business": ("professionnel", "professionnelle", "pro", "entreprise", "societe", "b2b", "business", "company"),
    "consumer": ("particulier", "particuliere", "b2c", "consumer", "individual"),
}
_KIND_OF = {word: kind for kind, words in _KINDS.items() for word in words}


def _activity(text: str) -> str:
    key = activity_key(text)
    if key is None:
        raise _Bad(f"activité inconnue {_q(text)} (attendu : commerciale, artisanale, libérale ou agricole)")
    return key


def _customer_kind(text: str) -> str:
    kind = _KIND_OF.get(_words(text))
    if kind is None:
        raise _Bad(f"type de client inconnu {_q(text)} (attendu : professionnel ou particulier)")
    return kind


_LANGUAGES = {"francais": "fr", "french": "fr", "anglais": "en", "english": "en", "allemand": "de",
              "german": "de", "espagnol": "es", "spanish": "es", "italien": "it", "italian": "it",
              "neerlandais": "nl", "dutch": "nl", "portugais": "pt", "portuguese": "pt"}


def _language(text: str) -> str:
    word = _words(text)
    if word in _LANGUAGES:
        return _LANGUAGES[word]
    if re.fullmatch(r"[a-z]{2}(?: [a-z]{2})?", word):  # fr, FR, fr-FR, fr_BE
        return word[:2]
    raise _Bad(f"langue inconnue {_q(text)} (attendu par exemple fr ou en)")


_COUNTRIES = {"france": "FR", "fra": "FR", "belgique": "BE", "belgium": "BE", "suisse": "CH", "switzerland": "CH",
              "luxembourg": "LU", "monaco": "MC", "allemagne": "DE", "germany": "DE", "espagne": "ES",
              "spain": "ES", "italie": "IT", "italy": "IT", "portugal": "PT", "pays bas": "NL",
              "netherlands": "NL", "royaume uni": "GB", "united kingdom": "GB", "irlande": "IE", "ireland": "IE",
              "autriche": "AT", "austria": "AT", "canada": "CA", "etats unis": "US", "united states": "US"}


def _country(text: str) -> str:
    word = _words(text)
    if word in _COUNTRIES:
        return _COUNTRIES[word]
    if re.fullmatch(r"[a-z]{2}", word):
        return word.upper()
    raise _Bad(f"pays inconnu {_q(text)} (attendu un code à deux lettres, par exemple FR)")


def _siren(text: str) -> str:
    digits = "".join(text.split())
    if re.fullmatch(r"[0-9]{9}|[0-9]{14}", digits):
        return digits[:9]
    raise _Bad(f"SIREN invalide {_q(text)} (attendu 9 chiffres, ou un SIRET de 14 chiffres)")


def _email(text: str) -> str:
    if re.fullmatch(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+", text):
        return text
    if re.search(r"@.*[,;\s].*@", text):
        raise _Bad(f"adresse e-mail invalide {_q(text)} : une seule adresse par client")
    raise _Bad(f"adresse e-mail invalide {_q(text)}")


def _tags(text: str) -> tuple[str, ...]:
    tags = (_line(t) for t in re.split(r"[|,;]", text))
    return tuple(dict.fromkeys(t for t in tags if t))


# -- rows -------------------------------------------------------------------------------------------------

class _Row:
    """One data row: reads its cells by field, collecting a ``RowError`` for every cell it cannot read."""

    def __init__(self, number: int, cells: list[str], columns: dict[str, int], headers: list[str],
                 fields: dict[str, _Field]) -> None:
        self.number = number
        self.cells = cells
        self.columns = columns
        self.headers = headers
        self.fields = fields
        self.errors: list[RowError] = []

    def raw(self, field: str) -> str:
        index = self.columns.get(field)
        return self.cells[index].strip() if index is not None and index < len(self.cells) else ""

    def fail(self, field: str, reason: str) -> None:
        self.errors.append(RowError(self.number, self.headers[self.columns[field]], reason))

    def read(self, field: str, parse: Callable[[str], T]) -> T | None:
        text = self.raw(field)
        if not text:
            if self.fields[field].required:
                self.fail(field, f"cellule vide : {self.fields[field].label} est obligatoire")
            return None
        try:
            return parse(text)
        except _Bad as bad:
            self.fail(field, str(bad))
            return None


def _identifier(text: str) -> str:
    value = _line(text)
    size = len(value.encode())
    if size > ID_MAX_BYTES:
        raise _Bad(f"identifiant trop long ({_bytes(size)} ; au plus {ID_MAX_BYTES}) : {_q(value)}")
    return value


def _too_big(row: _Row) -> bool:
    """Refuse a cell or a row the store could not hold (and say which), before reading it."""
    for index, cell in enumerate(row.cells[:len(row.headers)]):
        size = len(cell.encode())
        if size > CELL_MAX_BYTES:
            row.errors.append(RowError(row.number, row.headers[index],
                                       f"cellule trop longue ({_bytes(size)} ; au plus {_bytes(CELL_MAX_BYTES)})"))
    total = sum(len(cell.encode()) for cell in row.cells)
    if total > ROW_MAX_BYTES:
        row.errors.append(RowError(row.number, "", f"ligne trop volumineuse ({_bytes(total)} ; au plus "
                                                   f"{_bytes(ROW_MAX_BYTES)}) : raccourcissez les colonnes libres"))
    return bool(row.errors)


def _bytes(size: int) -> str:
    return f"{size:,}".replace(",", "\u202f") + " octets"


def _show_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _invoice(row: _Row, extra: MappingProxyType[str, str]) -> Invoice | None:
    invoice_id = row.read("id", _identifier)
    customer_id = row.read("customer_id", _identifier)
    issue_date = row.read("issue_date", parse_date)
    due_date = row.read("due_date", parse_date)
    amount = row.read("amount", _amount_not_negative)
    amount_due = row.read("amount_due", parse_amount)
    currency = row.read("currency", _currency)
    status = row.read("status", _status)
    paid_on = row.read("paid_on", parse_date)
    promise = row.read("promise_to_pay_until", parse_date)
    completed_on = row.read("completed_on", parse_date)
    if amount is not None and amount_due is not None and amount_due.value > amount.value:
        row.fail("amount_due", f"reste à payer {_q(amount_due.text)} supérieur au montant TTC {_q(amount.text)}")
    if issue_date and due_date and due_date < issue_date:
        row.fail("due_date", f"échéance {_q(_show_date(due_date))} antérieure à la date de facture "
                             f"{_q(_show_date(issue_date))}")
    in_euros = [m for m in (amount, amount_due) if m is not None and m.in_euros]
    if currency not in (None, "EUR") and in_euros:
        row.fail("currency", f"devise {_q(currency)} alors que le montant {_q(in_euros[0].text)} est en euros")
    if row.errors or not (invoice_id and customer_id and issue_date and due_date and amount):
        return None
    due = amount_due.value if amount_due is not None else amount.value
    return Invoice(
        id=invoice_id, customer_id=customer_id, issue_date=issue_date, due_date=due_date,
        amount=amount.value, amount_due=due, currency=currency or "EUR",
        status=status or ("paid" if due <= 0 else "open"),
        paid_on=paid_on, promise_to_pay_until=promise, completed_on=completed_on, extra=extra,
    )


def _customer(row: _Row, extra: MappingProxyType[str, str]) -> Customer | None:
    customer_id = row.read("id", _identifier)
    name = row.read("name", _line)
    kind = row.read("kind", _customer_kind) or "business"
    email = row.read("email", _email) or ""
    phone = row.read("phone", _line) or ""
    tags = row.read("tags", _tags) or ()
    language = row.read("language", _language) or "fr"
    siren = row.read("siren", _siren) or ""
    since = row.read("since", parse_date)
    legal_form = row.read("legal_form", _line) or ""
    activity = row.read("activity", _activity) or ""
    country = row.read("country", _country) or "FR"
    # A multi-line « Adresse » cell: its first line is line 1, the rest goes before the « Adresse 2 » cell.
    lines = [_line(t) for t in row.raw("line1").splitlines() if t.strip()]
    line2 = ", ".join([*lines[1:], *([_line(row.raw("line2"))] if row.raw("line2") else [])])
    postal_code = _line(row.raw("postal_code"))
    if country == "FR" and re.fullmatch(r"[0-9]{4}", postal_code):
        postal_code = "0" + postal_code  # a spreadsheet dropped the leading zero of « 01000 »
    account_manager = row.read("account_manager", _line) or ""
    if row.errors or not (customer_id and name):
        return None
    return Customer(
        id=customer_id, name=name, kind=kind,  # type: ignore[arg-type]
        email=email, phone=phone, tags=tags, language=language, siren=siren, since=since,
        address=Address(line1=lines[0] if lines else "", line2=line2, postal_code=postal_code,
                        city=_line(row.raw("city")), country=country),
        account_manager=account_manager, extra=extra, legal_form=legal_form, activity=activity,
    )


# -- the file ---------------------------------------------------------------------------------------------

def _map_columns(headers: list[str], kind: str) -> tuple[dict[str, int], dict[int, str]]:
    """Which column holds which field (the best alias wins), and the ``extra`` key of every other column."""
    table = _TABLES[kind]
    best: dict[str, tuple[int, int]] = {}
    for index, header in enumerate(headers):
        found = table.get(header_key(header))
        if found and (found[0] not in best or found[1] < best[found[0]][0]):
            best[found[0]] = (found[1], index)
    columns = {field: index for field, (_, index) in best.items()}
    taken = set(columns.values())
    extras: dict[int, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        if index in taken:
            continue
        key = extra_key(header) or f"colonne_{index + 1}"
        unique, n = key, 2
        while unique in used:
            unique, n = f"{key}_{n}", n + 1
        used.add(unique)
        extras[index] = unique
    return columns, extras


def _detect(headers: list[str]) -> str:
    invoice = {_TABLES["invoices"].get(header_key(h), ("",))[0] for h in headers}
    customer = {_TABLES["customers"].get(header_key(h), ("",))[0] for h in headers}
    if "due_date" in invoice:
        return "invoices"
    looks_like_invoices = bool({"amount", "issue_date"} & invoice)
    if "name" in customer and ("id" in customer or not looks_like_invoices):
        return "customers"
    if looks_like_invoices:
        raise ImportFileError("Ce fichier ressemble à des factures mais n’a pas de colonne d’échéance "
                              "(« Échéance » ou « Date d’échéance ») : elle est nécessaire pour relancer.")
    raise ImportFileError(
        "En-tête non reconnu : impossible de savoir si le fichier contient des clients ou des factures. "
        "La première ligne doit nommer les colonnes, par exemple « Numéro de facture », « Code client », "
        "« Date de facture », « Échéance », « Montant TTC » pour des factures, ou « Code client », "
        f"« Raison sociale » pour des clients. Première ligne lue : {_q(' | '.join(headers), 120)}.")


def _check_required(columns: dict[str, int], kind: str) -> None:
    missing = [f for f in _FIELDS[kind] if f.required and f.name not in columns]
    if missing:
        names = " ; ".join(f"« {f.aliases[0]} » (ou « {f.aliases[1]} »)" for f in missing)
        what = "de factures" if kind == "invoices" else "de clients"
        raise ImportFileError(f"Colonne obligatoire absente pour un fichier {what} : {names}.")


def parse_csv(data: bytes, *, kind: str | None = None) -> ParsedFile:
    """Read a CSV export into customers or invoices; bad cells become ``RowError``, not exceptions.

    ``kind`` is ``"customers"`` or ``"invoices"``; ``None`` tells it from the header.
    Raises ``ImportFileError`` only when the file as a whole cannot be used.
    """
    if kind not in (None, *KINDS):
        raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
    text, encoding = _decode(data)
    text, delimiter = _strip_sep_line(text)
    if not text.translate({ord(c): None for c in ';,\t"'}).strip():
        raise ImportFileError("Le fichier est vide.")
    delimiter = delimiter or _sniff(text)
    records = _records(text, delimiter)
    header_at = next((i for i, (_, cells) in enumerate(records) if not _blank(cells)), None)
    if header_at is None:
        raise ImportFileError("Le fichier est vide.")
    headers = [h.replace("\ufeff", "").strip() for h in records[header_at][1]]
    kind = kind or _detect(headers)
    columns, extras = _map_columns(headers, kind)
    _check_required(columns, kind)
    fields = {f.name: f for f in _FIELDS[kind]}
    build = _invoice if kind == "invoices" else _customer
    unterminated = _ends_inside_quotes(text, delimiter)

    built: list[Customer | Invoice] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    rows = 0
    data_records = records[header_at + 1:]
    for position, (number, cells) in enumerate(data_records):
        if _blank(cells):
            continue
        rows += 1
        row = _Row(number, cells, columns, headers, fields)
        if unterminated and position == len(data_records) - 1:
            errors.append(RowError(number, "", "guillemet ouvert jamais refermé : la fin du fichier a été lue "
                                               "comme une seule cellule"))
            continue
        surplus = cells[len(headers):]
        if not _blank(surplus):
            errors.append(RowError(number, "", f"{len(cells)} cellules pour {len(headers)} colonnes d’en-tête "
                                               f"(un {_DELIMITER_NAMES[delimiter]} en trop dans une cellule, "
                                               "sans guillemets ?)"))
            continue
        if any("\ufffd" in cell for cell in cells):
            errors.append(RowError(number, "", "caractère illisible : la ligne n’est ni en UTF-8 ni en "
                                               f"Windows-1252{_SAVE_AS}"))
            continue
        if _too_big(row):
            errors.extend(row.errors)
            continue
        record_id = _line(row.raw("id"))
        if record_id and record_id in first_seen:
            row.fail("id", f"{_DUPLICATE_LABEL[kind]} déjà présent ligne {first_seen[record_id]}")
        elif record_id:
            first_seen[record_id] = number
        extra = MappingProxyType({key: cells[i].strip() for i, key in extras.items()
                                  if i < len(cells) and cells[i].strip()})
        record = build(row, extra)
        errors.extend(row.errors)
        if record is not None:
            built.append(record)
    return ParsedFile(
        kind=kind,
        customers=tuple(r for r in built if isinstance(r, Customer)),
        invoices=tuple(r for r in built if isinstance(r, Invoice)),
        errors=tuple(errors), rows=rows, encoding=encoding, delimiter=delimiter,
        row_of=MappingProxyType(dict(first_seen)),
        headers=MappingProxyType({name: headers[index] for name, index in columns.items()}),
    )


# -- the error report ---------------------------------------------------------------------------------------

def errors_csv(errors: Iterable[RowError]) -> bytes:
    """The error report: « ligne;colonne;motif », UTF-8 with BOM and « ; », as French Excel opens it."""
    return french_csv([("ligne", "colonne", "motif"),
                       *((error.row, neutralise(error.column), neutralise(error.reason)) for error in errors)])
