"""Conditions (``when``) compiled once into plain Python callables.

User text is never evaluated: a condition is a tree of mappings whose leaves are compared with
typed field values. Compilation reports problems with the path inside the condition, so the
loader can point at the exact line. What a compiled condition looks at and how it compares
(:class:`~relance.domain.conditions.Facts`, the fields) is the domain's: :mod:`relance.domain.conditions`.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..domain import codes
from ..domain.bounds import date_problem
from ..domain.conditions import (
    DATE,
    DECIMAL,
    FIELDS,
    INT,
    ISO_DATE,
    LIST,
    MISSING,
    TEXT,
    Getter,
    Predicate,
    all_of,
    any_of,
    field_of,
    loose_compare,
    loose_equal,
    parse_iso_date,
    present,
)
from ..domain.model import INVOICE_STATUSES

KNOWN_VALUES = {"customer.kind": ("business", "consumer"), "invoice.status": INVOICE_STATUSES}
# Fields whose values are ISO codes: (the code list, what one is called, how it is written, where aliases are).
CODED_FIELDS: dict[str, tuple[frozenset[str], str, str, str]] = {
    "customer.country": (codes.COUNTRIES, "un code pays", "deux lettres majuscules, par exemple FR", "country"),
    "customer.language": (codes.LANGUAGES, "un code de langue", "deux lettres minuscules, par exemple fr",
                          "language"),
    "invoice.currency": (codes.CURRENCIES, "un code de devise", "trois lettres majuscules, par exemple EUR",
                         "currency"),
}
COMBINATORS = ("all", "any", "not")
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, "<=": operator.le, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
}
_COMPARISON = re.compile(r"^\s*(>=|<=|!=|>|<)\s*(.+?)\s*$")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")


@dataclass(frozen=True, slots=True)
class Problem:
    """A mistake in a condition; ``path`` is relative to the condition, ``on_key`` points at the key."""

    path: tuple[str | int, ...]
    message: str
    on_key: bool = False


class ConditionError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def closest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    near = closest(word, choices)
    return f" — vouliez-vous dire « {near} » ?" if near else ""


def _date_problem(text: str, fld: str) -> str | None:
    """Why ``text``, written AAAA-MM-JJ, is no usable date (with the date probably meant), or None."""
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        swapped = f"{year:04d}-{day:02d}-{month:02d}"
        hint = f" — vouliez-vous dire « {swapped} » (jour et mois inversés) ?" if parse_iso_date(swapped) else \
            " (écrivez AAAA-MM-JJ, le mois entre 01 et 12)"
        return f"« {text} » n’est pas une date possible pour « {fld} » : il n’y a pas de mois {month}{hint}"
    parsed = parse_iso_date(text)
    if parsed is None:
        last = max(d for d in range(28, 32) if parse_iso_date(f"{year:04d}-{month:02d}-{d:02d}"))
        where = f"le {day} {_MONTHS[month - 1]} {year} n’existe pas" if day else "il n’y a pas de jour 0"
        return (f"« {text} » n’est pas une date possible pour « {fld} » : {where} — vouliez-vous dire "
                f"« {year:04d}-{month:02d}-{last:02d} » (le dernier jour du mois) ?")
    if problem := date_problem(parsed):
        return f"« {text} » n’est pas une date possible pour « {fld} » : {problem}"
    return None


def _typed(value: Any, kind: str | None, where: tuple[str | int, ...], fld: str) -> Any:
    """Read a rule's value as the field's type; ``ValueError`` carries a message for the editor."""
    if isinstance(value, bool) and kind in (DECIMAL, INT, DATE):
        raise ValueError(f"« {fld} » est un(e) {kind} : « {value} » ne convient pas")
    if kind in (DECIMAL, INT):
        try:
            number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(f"« {fld} » est un {kind} : « {value} » n’en est pas un (exemple : 300 ou 1500.50)") \
                from None
        if not number.is_finite():
            raise ValueError(f"« {fld} » est un {kind} : « {value} » n’en est pas un")
        return number
    if kind == DATE:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        if ISO_DATE.fullmatch(text) and (problem := _date_problem(text, fld)):
            raise ValueError(problem)
        parsed = parse_iso_date(text)
        if parsed is None:
            raise ValueError(f"« {fld} » est une date : écrivez-la AAAA-MM-JJ (exemple : 2026-03-31), "
                             f"pas « {value} »")
        return parsed
    if kind == TEXT:
        if isinstance(value, (dict, list)):
            raise ValueError(f"« {fld} » est un texte : une valeur simple est attendue")
        if fld in CODED_FIELDS:
            return _code(fld, value)
        if isinstance(value, (bool, int, float, Decimal)):
            # YAML reads 1e3, 0x1F or 1_000 as numbers: written back as text they would no longer be what was typed.
            raise ValueError(f"« {fld} » est un texte : écrivez « {value} » entre guillemets, comme il figure dans "
                             f"vos données (exemple : \"{value}\")")
        return str(value)
    # Extra fields are kept as written and compared loosely at run time; a value written as a date must be one.
    if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()) and (
            problem := _date_problem(value.strip(), fld)):
        raise ValueError(problem)
    return value


def _code(fld: str, value: Any) -> str:
    """``value`` if it is a code of ``fld``'s ISO list; otherwise the closest code in the message."""
    allowed, what, how, aliases = CODED_FIELDS[fld]
    text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
    if text in allowed:
        return text
    near = codes.ALIASES[aliases].get(text.upper())
    if near is None:
        near = next((c for c in (text.upper(), text.lower()) if c in allowed), None) or closest(text, allowed)
    hint = f" — vouliez-vous dire « {near} » ?" if near else ""
    raise ValueError(f"« {text} » n’est pas {what} pour « {fld} » ({how}){hint}")


def _leaf(fld: str, value: Any, where: tuple[str | int, ...]) -> Predicate:
    known = field_of(fld)
    if known is None:
        near = closest(fld, list(FIELDS))
        hint = f" — vouliez-vous dire « {near} » ?" if near else (
            ". Les champs libres s’écrivent invoice.extra.NOM ou customer.extra.NOM")
        raise ConditionError([Problem(where, f"champ inconnu « {fld} »{hint}", on_key=True)])
    kind, get = known

    try:
        if isinstance(value, Mapping):
            return _operator_leaf(fld, kind, get, value, where)
        if isinstance(value, list):
            if not value:
                raise ValueError(f"la liste de valeurs de « {fld} » est vide : aucune facture ne pourrait "
                                 "correspondre")
            if kind == LIST:
                raise ValueError(f"« {fld} » est une liste : écrivez {{contains: {value[0]}}} pour tester "
                                 "qu’elle contient une valeur")
            choices = []
            for i, v in enumerate(value):
                try:
                    choices.append(_typed(v, kind, where, fld))
                    _check_known_values(fld, choices[-1:])
                except ValueError as err:
                    raise ConditionError([Problem((*where, i), str(err))]) from None
            if kind is None:
                return lambda f: any(loose_equal(get(f), c) for c in choices)
            allowed = frozenset(choices)
            return lambda f: get(f) in allowed
        if isinstance(value, str) and (m := _COMPARISON.match(value)):
            op = OPERATORS[m.group(1)]
            if kind == LIST:
                raise ValueError(f"« {fld} » est une liste : on ne peut pas la comparer avec « {m.group(1)} »")
            operand = _typed(m.group(2), kind, where, fld)
            _check_known_values(fld, [operand])
            if kind is None:
                return lambda f: loose_compare(op, get(f), operand)
            if op is operator.ne:
                return lambda f: get(f) != operand
            return lambda f: (v := get(f)) is not MISSING and op(v, operand)
        if value is None:
            raise ConditionError([Problem(where, f"« {fld} » n’a pas de valeur : écrivez {{exists: false}} pour "
                                                 "tester un champ absent", on_key=True)])
        if kind == LIST:
            raise ValueError(f"« {fld} » est une liste : écrivez {{contains: {value}}} pour tester qu’elle "
                             "contient cette valeur")
        expected = _typed(value, kind, where, fld)
        _check_known_values(fld, [expected])
        if kind is None:  # loose_equal is False on MISSING: an absent free column costs no call
            return lambda f: (v := get(f)) is not MISSING and loose_equal(v, expected)
        return lambda f: get(f) == expected
    except ValueError as err:
        raise ConditionError([Problem(where, str(err))]) from None


def _check_known_values(fld: str, values: list[Any]) -> None:
    allowed = KNOWN_VALUES.get(fld)
    if allowed is None:
        return
    for v in values:
        if v not in allowed:
            raise ValueError(f"« {v} » n’est pas une valeur possible de « {fld} » ({', '.join(allowed)})"
                             + did_you_mean(str(v), allowed))


def _operator_leaf(fld: str, kind: str | None, get: Getter, spec: Mapping[str, Any],
                   where: tuple[str | int, ...]) -> Predicate:
    if len(spec) != 1 or next(iter(spec)) not in ("contains", "exists"):
        keys = ", ".join(str(k) for k in spec) or "rien"
        raise ValueError(f"pour « {fld} », seuls {{contains: …}} et {{exists: true|false}} sont possibles, "
                         f"pas « {keys} »")
    (op, arg), = spec.items()
    if op == "exists":
        if not isinstance(arg, bool):
            raise ValueError(f"exists attend true ou false, pas « {arg} »")
        # An empty text or list (no e-mail, no account manager) counts as absent.
        return (lambda f: present(get(f))) if arg else (lambda f: not present(get(f)))
    if kind not in (LIST, None):
        raise ValueError(f"« {fld} » n’est pas une liste : contains ne s’applique qu’aux listes (customer.tags…)")
    if isinstance(arg, (dict, list)) or arg is None:
        raise ValueError("contains attend une seule valeur")
    needle = str(arg)
    if kind == LIST:  # customer.tags: always a tuple of texts
        return lambda f: needle in get(f)
    return lambda f: (v := get(f)) is not MISSING and isinstance(v, (list, tuple)) and \
        any(str(x) == needle for x in v)


def compile_condition(node: Any, where: tuple[str | int, ...] = ()) -> Predicate:
    """Compile a ``when`` mapping; raise :class:`ConditionError` with every problem found."""
    if not isinstance(node, Mapping) or not node:
        raise ConditionError([Problem(where, "une condition est une liste de « champ: valeur » "
                                             "(exemple : customer.kind: business)")])
    parts: list[Predicate] = []
    problems: list[Problem] = []
    for key, value in node.items():
        here = (*where, key)
        try:
            if key in ("all", "any"):
                if not isinstance(value, list) or not value:
                    raise ConditionError([Problem(here, f"« {key} » attend une liste de conditions (« - … »)")])
                subs: list[Predicate] = []
                sub_problems: list[Problem] = []
                for i, sub in enumerate(value):
                    try:
                        subs.append(compile_condition(sub, (*here, i)))
                    except ConditionError as err:
                        sub_problems.extend(err.problems)
                if sub_problems:
                    raise ConditionError(sub_problems)
                parts.append(all_of(subs) if key == "all" else any_of(subs))
            elif key == "not":
                inner = compile_condition(value, here)
                parts.append(lambda f, inner=inner: not inner(f))
            else:
                parts.append(_leaf(str(key), value, here))
        except ConditionError as err:
            problems.extend(err.problems)
    if problems:
        raise ConditionError(problems)
    return parts[0] if len(parts) == 1 else all_of(parts)


def referenced_values(node: Any, fld: str) -> set[str]:
    """Every literal value a condition compares ``fld`` with by equality (e.g. the languages a segment routes)."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == fld:
                if isinstance(value, list):
                    found.update(str(v) for v in value)
                elif isinstance(value, (str, int)) and not _COMPARISON.match(str(value)):
                    found.add(str(value))
            elif key in COMBINATORS:
                for sub in value if isinstance(value, list) else [value]:
                    found |= referenced_values(sub, fld)
    return found
