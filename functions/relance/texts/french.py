"""French grammar for the documents: « de Lyon », « au Havre », « la société … », « pièces n° 1 et 2 ».

The helpers the templates call (as filters or functions): one place for the language's small rules, so that a
template says « Fait {{ place | at }} » and not a chain of conditions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from markupsafe import Markup

from ..domain.model import Address

NO = "n°\u00a0"  # « n° 1 » never breaks after « n° »

COMPANY_FORMS = {
    "SAS": "société par actions simplifiée", "SASU": "société par actions simplifiée unipersonnelle",
    "SARL": "société à responsabilité limitée", "EURL": "entreprise unipersonnelle à responsabilité limitée",
    "SA": "société anonyme", "SNC": "société en nom collectif", "SCS": "société en commandite simple",
    "SCA": "société en commandite par actions", "SCI": "société civile immobilière", "SC": "société civile",
    "SCOP": "société coopérative de production", "SCM": "société civile de moyens",
    "SELARL": "société d’exercice libéral à responsabilité limitée",
    "SELAS": "société d’exercice libéral par actions simplifiée", "SE": "société européenne",
}
INDIVIDUAL_FORMS = {"EI", "EIRL", "ENTREPRENEUR INDIVIDUEL", "ENTREPRISE INDIVIDUELLE", "MICRO-ENTREPRENEUR",
                    "MICRO-ENTREPRISE", "AUTO-ENTREPRENEUR"}


def form_key(form: str) -> str:
    return form.strip().upper().replace(".", "")


def is_individual(legal_form: str) -> bool:
    return form_key(legal_form) in INDIVIDUAL_FORMS


def designation(name: str, legal_form: str) -> str:
    """How a document names a business party: « la société Atelier Bois & Fils », an individual by name."""
    key = form_key(legal_form)
    if key in COMPANY_FORMS:
        return f"la société {name}"
    if key == "ASSOCIATION":
        return f"l’association {name}"
    return name


def form_text(legal_form: str) -> str:
    """« société à responsabilité limitée (SARL) », « entrepreneur individuel », or the form as written."""
    key = form_key(legal_form)
    if key in COMPANY_FORMS:
        return f"{COMPANY_FORMS[key]} ({legal_form.strip()})"
    if key in INDIVIDUAL_FORMS:
        return "entrepreneur individuel"
    return legal_form.strip()


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def address_text(a: Address) -> str:
    """« 45 rue Garibaldi, 69003 Lyon », the country named when abroad."""
    from ..letters.pdf import COUNTRY_NAMES, DOMESTIC  # the postal tables; fpdf only where documents render

    parts = [a.line1, a.line2, f"{a.postal_code} {a.city}".strip()]
    code = a.country.strip().upper()
    if code not in DOMESTIC:
        parts.append(COUNTRY_NAMES.get(code, a.country).title())
    return ", ".join(p.strip() for p in parts if p and p.strip())


def starts_with_vowel(word: str) -> bool:
    first = unicodedata.normalize("NFKD", word[:1])[:1].upper()
    return first in "AEIOUY"


def of(city: str) -> str:
    """« de Lyon », « d’Annecy », « du Havre », « des Sables-d’Olonne »."""
    if city.startswith("Le "):
        return f"du {city[3:]}"
    if city.startswith("Les "):
        return f"des {city[4:]}"
    return f"d’{city}" if starts_with_vowel(city) else f"de {city}"


def at(city: str) -> str:
    """« à Lyon », « au Havre », « aux Sables-d’Olonne »."""
    if city.startswith("Le "):
        return f"au {city[3:]}"
    if city.startswith("Les "):
        return f"aux {city[4:]}"
    return f"à {city}"


def join(words: Sequence[str], last: str = " et ") -> str:
    """« a », « a et b », « a, b et c »."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + last + words[-1]


def plural(count: int, singular: str = "", several: str = "s") -> str:
    """The ending for ``count``: ``relance{{ n | plural }}``."""
    return several if count > 1 else singular


def piece_ref(numbers: Sequence[int]) -> str:
    """``pièce n° 1``, ``pièces n° 1 et 2``; nothing without a number."""
    if not numbers:
        return ""
    return f"pièce{plural(len(numbers))} {NO}{join([str(n) for n in numbers])}"


def cite(numbers: Sequence[int], *more: str) -> str:
    """`` (pièce n° 1)``, `` (envoi n° 1A…, pièce n° 3)``: a parenthesis of what is known, or nothing."""
    parts = [p for p in (*more, piece_ref(numbers)) if p]
    return f" ({', '.join(parts)})" if parts else ""


def typo(html: str) -> Markup:
    """No-break spaces before « : ; ? ! » and inside guillemets, as French typography wants."""
    html = str(html)
    for plain, fixed in ((" :", "\u00a0:"), (" ;", "\u202f;"), (" ?", "\u202f?"), (" !", "\u202f!"),
                         ("« ", "«\u00a0"), (" »", "\u00a0»")):
        html = html.replace(plain, fixed)
    return Markup(html)
