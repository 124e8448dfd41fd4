"""``relance check``'s template checks: every template a scenario needs exists, parses and renders.

Each template is rendered against made-up business and consumer debtors, so an unknown variable,
a filter misused or an attempt to reach Python internals is refused here rather than at send time.
"""

from __future__ import annotations

import re
import sys
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType, TracebackType

from jinja2 import TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SecurityError

from ..domain.model import Address, Customer, Invoice
from ..domain.render import (
    CHANNELS_WITH_SUBJECT,
    CONTEXT_NAMES,
    SUBJECT_LINE,
    SUBJECT_PREFIX,
    InvoiceView,
    LegalView,
    StepView,
    environment,
    legal_view,
    message_context,
    template_candidates,
)
from .conditions import did_you_mean
from .loader import ERROR, WARNING, Diagnostic
from .model import Company, Place, Rules

_TEMPLATE_CHECK_DAY = date(2026, 3, 2)


class _AnyExtra(dict):
    """Free columns in a check: any name is accepted, since the real export decides which exist."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def check_templates(rules: Rules, uses: dict[tuple[str, str | None, str | None, str], Place]) -> list[Diagnostic]:
    templates_dir = rules.directory / "templates"
    found: dict[Path, tuple[str, str | None]] = {}
    out: list[Diagnostic] = []
    for (channel, tone, template, language), place in sorted(uses.items(), key=lambda kv: str(kv[0])):
        names = template_candidates(channel, tone, template, language)
        path = next((templates_dir / n for n in names if (templates_dir / n).is_file()), None)
        if path is None:
            tried = " ou ".join(str(templates_dir / n) for n in names)
            what = f"modèle « {template} »" if template else f"ton {tone}"
            out.append(Diagnostic(place.file, place.line, place.column, ERROR,
                                  f"modèle manquant pour un message {channel} ({what}, langue {language}) : "
                                  f"créez {tried}"))
            continue
        found.setdefault(path, (channel, tone))
    for path, (channel, tone) in sorted(found.items()):
        out.extend(_check_one(path, channel, tone, rules))
    return out


def _check_one(path: Path, channel: str, tone: str | None, rules: Rules) -> list[Diagnostic]:
    name = str(path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [Diagnostic(name, 1, 1, ERROR, "ce modèle n’est pas du texte UTF-8 : enregistrez-le en UTF-8")]
    except OSError as err:
        return [Diagnostic(name, 1, 1, ERROR, f"impossible de lire ce modèle ({err.strerror})")]
    env = environment()
    try:
        tree = env.parse(source)
        compiled = env.from_string(source)
    except TemplateSyntaxError as err:
        return [Diagnostic(name, err.lineno or 1, 1, ERROR, _syntax_message(err.message or ""))]
    problems: list[Diagnostic] = []
    for variable in sorted(meta.find_undeclared_variables(tree) - set(CONTEXT_NAMES)):
        problems.append(Diagnostic(name, _line_of(source, variable), 1, ERROR,
                                   f"variable inconnue « {variable} »" + (did_you_mean(variable, CONTEXT_NAMES) or
                                   f" (variables disponibles : {', '.join(CONTEXT_NAMES)})")))
    if problems:
        return problems
    if channel in CHANNELS_WITH_SUBJECT and not SUBJECT_LINE.match(source.lstrip("\n")):
        problems.append(Diagnostic(name, 1, 1, ERROR, f"la première ligne d’un modèle {channel} doit être "
                                                      f"l’objet du message : « {SUBJECT_PREFIX} … »"))
    for kind in ("business", "consumer"):
        try:
            compiled.render(_sample_context(rules, kind, channel, tone))
        except SecurityError as err:
            problems.append(Diagnostic(name, _error_line(err, source), 1, ERROR,
                                       f"le modèle tente un accès interdit ({err}) : un modèle n’affiche que les "
                                       "variables prévues"))
            break
        except UndefinedError as err:
            problems.append(Diagnostic(name, _error_line(err, source), 1, ERROR,
                                       f"{_undefined_hint(str(err))} (pour un client "
                                       f"{'professionnel' if kind == 'business' else 'particulier'})"))
            break
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as err:
            problems.append(Diagnostic(name, _error_line(err, source), 1, ERROR,
                                       f"le modèle ne peut pas être rempli : {err}"))
            break
    if not problems:
        problems.extend(_unprotected_free_columns(compiled, name, source, rules, channel, tone))
    return problems


def _unprotected_free_columns(compiled, name: str, source: str, rules: Rules, channel: str,
                              tone: str | None) -> list[Diagnostic]:
    """A free column missing from an export must not break a send: warn when a template needs it."""
    try:
        compiled.render(_sample_context(rules, "business", channel, tone, free_columns=False))
    except UndefinedError as err:
        column = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", str(err))
        label = next((g for g in column.groups() if g), "?") if column else "?"
        return [Diagnostic(name, _error_line(err, source), 1, WARNING,
                           f"la colonne libre « {label} » peut manquer dans l’export : protégez-la avec "
                           f"« is defined », par exemple {{% if ….extra.{label} is defined %}}…{{% endif %}}")]
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError, SecurityError):
        return []
    return []


# What a rule editor sees when Jinja2 names one of our objects in an error.
_OBJECT_NAMES = {"Customer": "customer", "Company": "company", "InvoiceView": "invoices[…]",
                 "LegalView": "legal", "StepView": "step", "Address": "address", "Decimal": "un montant",
                 "date": "une date"}
_ATTRIBUTES = {"customer": Customer, "company": Company, "invoices[…]": InvoiceView, "legal": LegalView,
               "step": StepView, "address": Address}


def _undefined_hint(message: str) -> str:
    match = re.search(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '([^']+)'", message)
    if match:
        owner = _OBJECT_NAMES.get(match.group(1), match.group(1))
        attribute = match.group(2)
        known = _ATTRIBUTES.get(owner)
        choices = [f.name for f in fields(known)] if known is not None else []
        near = did_you_mean(attribute, choices)
        listed = f" (disponibles : {', '.join(choices)})" if choices and not near else ""
        return f"« {owner}.{attribute} » n’existe pas{near}{listed}"
    match = re.search(r"'([^']+)' is undefined", message)
    if match:
        return f"« {match.group(1)} » n’existe pas"
    return f"élément inconnu dans le modèle ({message})"


def _syntax_message(message: str) -> str:
    if m := re.search(r"Encountered unknown tag '(\w+)'", message):
        ends = [t for t in re.findall(r"'(\w+)'", message.split("looking for", 1)[-1]) if t.startswith("end")]
        hint = f" : le bloc ouvert plus haut se ferme par {{% {ends[0]} %}}" if ends else ""
        return f"balise inconnue « {m.group(1)} »{hint}"
    if m := re.search(r"No filter named '(\w+)'", message):
        filters = ", ".join(("money", "longdate", "shortdate", "percent", "length", "join", "default", "upper"))
        return f"filtre inconnu « {m.group(1)} » (filtres : {filters}…)"
    if "Unexpected end of template" in message:
        ends = [t for t in re.findall(r"'(\w+)'", message) if t.startswith("end")]
        tag = ends[0] if ends else "endif / endfor"
        return f"le modèle se termine alors qu’un bloc n’est pas refermé : ajoutez {{% {tag} %}}"
    if "unexpected '}'" in message or "expected token" in message:
        return f"expression mal fermée : vérifiez les {{{{ … }}}} et {{% … %}} ({message})"
    return f"erreur de syntaxe dans le modèle : {message}"


def _line_of(source: str, word: str) -> int:
    for number, line in enumerate(source.splitlines(), 1):
        if re.search(rf"\b{re.escape(word)}\b", line):
            return number
    return 1


def _error_line(err: BaseException, source: str) -> int:
    """The template line Jinja2 attributes to a runtime error (its rewritten traceback)."""
    tb: TracebackType | None = err.__traceback__ or sys.exc_info()[2]
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return min(max(line, 1), max(source.count("\n") + 1, 1))


def _sample_context(rules: Rules, kind: str, channel: str, tone: str | None, *,
                    free_columns: bool = True) -> dict[str, object]:
    today = _TEMPLATE_CHECK_DAY
    extra = MappingProxyType(_AnyExtra() if free_columns else {})
    customer = Customer(
        id="C-EXEMPLE", name="Client Exemple" if kind == "business" else "Camille Exemple", kind=kind,  # type: ignore[arg-type]
        email="compta@client.example", tags=("exemple",), siren="123456789" if kind == "business" else "",
        address=Address("1 rue de l’Exemple", "", "69001", "Lyon", "FR"), account_manager="commercial@exemple.example",
        extra=extra,
    )
    invoices = [
        Invoice(id=f"F-EX-{n}", customer_id=customer.id, issue_date=today - timedelta(days=45 + n),
                due_date=today - timedelta(days=15 + n), amount=Decimal("1234.50"), amount_due=Decimal("1000.00"),
                extra=extra)
        for n in (1, 2)
    ]
    return message_context(customer=customer, invoices=invoices, company=rules.company, legal=legal_view(rules.legal),
                           step=StepView("exemple", "J+15", channel, tone), today=today)
