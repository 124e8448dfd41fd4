"""Which court hears an injonction de payer against a debtor (SPEC §5, CPC 1406): its type, seat and exact name.

Pure: the table of courts is an argument. The type follows the debtor's nature — a merchant or a commercial
company goes to the commercial court, a consumer or a civil debtor (SCI, association, liberal profession…) to
the civil one. The seat and the name come from a cited table (``courts.json`` next to this module, see
``COURTS.md``), which a rule editor may complete in the rules directory; a court is never made up from the
debtor's city: outside the table, ``city`` and ``name`` are ``None`` and a French warning says what to do.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .fmt import money, shortdate
from .model import Address, Customer, activity_key

if TYPE_CHECKING:
    from .policy import Rules

COMMERCIAL = "tribunal_de_commerce"
CIVIL = "tribunal_judiciaire"
PROXIMITY_CEILING = Decimal(10000)  # COJ D212-19-1: a tribunal de proximité hears civil claims up to 10 000 €
DIRECTORY = "https://www.justice.fr/recherche/annuaires"

# Legal forms, written without accents, dots or case (« S.A.R.L. » → « sarl »).
COMMERCIAL_FORMS = frozenset({"sarl", "eurl", "sas", "sasu", "sa", "snc", "sca", "scs", "societe anonyme",
                              "societe par actions simplifiee", "societe a responsabilite limitee",
                              "societe en nom collectif", "scop", "sem", "commercant"})
# SEL*: L721-5 Code de commerce sends them to the civil courts whatever their form.
CIVIL_FORMS = frozenset({"sci", "scp", "scm", "sccv", "sc", "societe civile", "societe civile immobiliere",
                         "selarl", "selas", "selasu", "selafa", "selca", "sel", "association", "association loi 1901",
                         "fondation", "gaec", "earl", "scea", "gfa", "syndicat de coproprietaires",
                         "syndicat des coproprietaires", "profession liberale"})
INDIVIDUAL_FORMS = frozenset({"ei", "eirl", "entreprise individuelle", "micro entreprise", "micro entrepreneur",
                              "auto entrepreneur", "entrepreneur individuel", "gie"})
ACTIVITY_COURT = {"commerciale": COMMERCIAL, "artisanale": COMMERCIAL, "liberale": CIVIL, "agricole": CIVIL}


def _plain(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: « Saint-Étienne » → « saint etienne »."""
    ascii_ = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_.replace(".", "")).split())


def form_key(legal_form: str) -> str:
    return _plain(legal_form)


def commune_key(city: str) -> str:
    """« LYON 3E », « Lyon 03 », « Paris 15e arrondissement », « St-Brieuc Cedex 1 » → the commune alone."""
    words = _plain(city).split()
    if "cedex" in words:
        words = words[:words.index("cedex")]
    while words and (re.fullmatch(r"\d+(e|er|eme)?", words[-1]) or words[-1] in ("arrondissement", "arr")):
        words.pop()
    words = ["saint" if w == "st" else "sainte" if w == "ste" else w for w in words]
    return " ".join(words)


# -- the table -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Seat:
    city: str
    name: str


_UNVERIFIED = "unverified"  # no tribunal_de_proximite key: whether one is competent was not checked


@dataclass(frozen=True, slots=True)
class CommuneCourts:
    commune: str
    postal_codes: tuple[str, ...]
    civil: Seat
    proximity: Seat | str | None  # a seat; None: the tribunal judiciaire itself; _UNVERIFIED
    commercial: Seat
    source: str
    insee: str = ""


@dataclass(frozen=True, slots=True)
class CourtTable:
    communes: tuple[CommuneCourts, ...]
    verified_until: date
    source: str = "courts.json"

    @classmethod
    def load(cls) -> CourtTable:
        """The table shipped with the package (``relance/domain/courts.json``)."""
        return _packaged()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "courts.json") -> CourtTable:
        """Parse and check a table; a malformed one is a ``ValueError`` naming the entry (in French)."""
        try:
            verified_until = date.fromisoformat(str(data["verified_until"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{source} : verified_until manquant ou invalide ({error})") from error
        rows = data.get("communes")
        if not isinstance(rows, list):
            raise ValueError(f"{source} : « communes » doit être une liste")
        return cls(tuple(parse_commune(row, f"{source} : communes[{i}]") for i, row in enumerate(rows)),
                   verified_until, source)

    def extended(self, rows: Iterable[Mapping[str, Any]], source: str, verified_until: date | None = None
                 ) -> CourtTable:
        """This table with a rule editor's entries added; one for the same commune replaces the shipped one."""
        extra = [parse_commune(row, f"{source} : courts[{i}]") for i, row in enumerate(rows)]
        replaced = {commune_key(e.commune) for e in extra}
        kept = tuple(e for e in self.communes if commune_key(e.commune) not in replaced)
        return CourtTable((*extra, *kept), max(self.verified_until, verified_until or self.verified_until),
                          f"{self.source} complété par {source}")

    def lookup(self, address: Address) -> CommuneCourts | None:
        """The commune of ``address`` (postal code and commune name must both match), or ``None``."""
        code, name = address.postal_code.strip(), commune_key(address.city)
        for entry in self.communes:
            if code in entry.postal_codes and commune_key(entry.commune) == name:
                return entry
        return None


def parse_commune(row: Any, where: str) -> CommuneCourts:
    if not isinstance(row, Mapping):
        raise ValueError(f"{where} : une entrée est un objet (commune, postal_codes, tribunal_judiciaire, "
                         "commercial, source)")

    def seat(key: str) -> Seat:
        value = row.get(key)
        if not (isinstance(value, Mapping) and isinstance(value.get("city"), str) and value["city"].strip()
                and isinstance(value.get("name"), str) and value["name"].strip()):
            raise ValueError(f"{where}.{key} : attendu {{city: ville du siège, name: nom exact du tribunal}}")
        return Seat(value["city"].strip(), value["name"].strip())

    commune, source = row.get("commune"), row.get("source")
    if not isinstance(commune, str) or not commune_key(commune):
        raise ValueError(f"{where}.commune : nom de la commune manquant")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{where}.source : chaque entrée cite sa source (texte, annuaire…)")
    codes = row.get("postal_codes")
    if isinstance(codes, str | int):
        codes = [codes]
    if not isinstance(codes, list) or not codes or not all(re.fullmatch(r"\d{5}", str(c)) for c in codes):
        raise ValueError(f"{where}.postal_codes : liste de codes postaux à cinq chiffres, par exemple [\"69100\"]")
    proximity: Seat | str | None = _UNVERIFIED
    if "tribunal_de_proximite" in row:
        proximity = None if row["tribunal_de_proximite"] is None else seat("tribunal_de_proximite")
    return CommuneCourts(commune=commune.strip(), postal_codes=tuple(str(c) for c in codes),
                         civil=seat("tribunal_judiciaire"), proximity=proximity, commercial=seat("commercial"),
                         source=source.strip(), insee=str(row.get("insee", "") or ""))


@cache
def _packaged() -> CourtTable:
    text = resources.files(__package__).joinpath("courts.json").read_text(encoding="utf-8")
    return CourtTable.from_json(json.loads(text), "tribunaux livrés avec relance (courts.json)")


# -- the court of one debtor ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Court:
    type: str | None  # COMMERCIAL, CIVIL, or None when the debtor's nature does not say
    city: str | None
    name: str | None
    warning: str | None = None
    source: str | None = None  # the table entry's citation

    def as_json(self) -> dict[str, str | None]:
        """SPEC §4, ``relance dossier``: ``{type, city, name}``."""
        return {"type": self.type, "city": self.city, "name": self.name}


def court_type(customer: Customer) -> tuple[str | None, str | None]:
    """The kind of court for the debtor's nature, and a French warning when it cannot be told."""
    if customer.kind == "consumer":
        return CIVIL, None
    form = form_key(customer.legal_form)
    if not form or form in COMMERCIAL_FORMS:
        return COMMERCIAL, None
    if form in CIVIL_FORMS:
        return CIVIL, None
    if form in INDIVIDUAL_FORMS:
        kind = ACTIVITY_COURT.get(activity_key(customer.activity) or "")
        if kind is None:
            return None, (f"{customer.name} ({customer.legal_form}) : activité inconnue, le tribunal compétent "
                          "dépend de sa nature (commerciale ou artisanale : tribunal de commerce ; libérale ou "
                          "agricole : tribunal judiciaire) — renseignez « activity » pour ce client")
        return kind, None
    return None, (f"{customer.name} : forme juridique « {customer.legal_form} » non reconnue, le tribunal compétent "
                  "(de commerce ou judiciaire) n’a pas pu être déterminé")


def court_for(customer: Customer, table: CourtTable, amount: Decimal | None = None, on: date | None = None) -> Court:
    """The court of ``customer``'s registered office or domicile for a claim of ``amount`` (SPEC §5)."""
    kind, warning = court_type(customer)
    if kind is None:
        return Court(None, None, None, warning)
    entry = table.lookup(customer.address)
    where = " ".join(part for part in (customer.address.postal_code, customer.address.city) if part) or "?"
    if entry is None:
        return Court(kind, None, None, f"tribunal compétent inconnu pour {where} : la table des tribunaux ne couvre "
                                       f"pas cette commune — cherchez-le dans l’annuaire des juridictions "
                                       f"({DIRECTORY}) et ajoutez-le aux règles (section courts)")
    seat: Seat | None
    if kind == COMMERCIAL:
        seat = entry.commercial
    elif (amount is not None and amount > PROXIMITY_CEILING) or entry.proximity is None:
        seat = entry.civil
    elif isinstance(entry.proximity, Seat):
        seat = entry.proximity
    else:
        return Court(kind, None, None, f"{where} : le tribunal de proximité compétent jusqu’à "
                                       f"{money(PROXIMITY_CEILING)} n’est pas vérifié dans la table des tribunaux "
                                       f"(au-delà : {entry.civil.name}) — cherchez-le dans l’annuaire des "
                                       f"juridictions ({DIRECTORY}) et ajoutez-le aux règles (section courts)",
                     entry.source)
    stale = None
    if on is not None and on > table.verified_until:
        stale = (f"table des tribunaux non vérifiée après le {shortdate(table.verified_until)} : vérifiez "
                 f"« {seat.name} » dans l’annuaire des juridictions ({DIRECTORY})")
    return Court(kind, seat.city, seat.name, stale, entry.source)


def courts_of(rules: Rules) -> CourtTable:
    """The rules' table (shipped + rule editor's entries) or the shipped one."""
    return rules.courts or _packaged()
