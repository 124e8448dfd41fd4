"""``relance check``'s template checks: every template file present parses and renders, and every template a
scenario needs exists.

Every ``.j2`` file under ``templates/`` is checked, whatever its language and whether or not a segment routes
on it today: a typo in ``courtois.en.j2`` would otherwise fail every e-mail to an English customer. Each is
rendered against several made-up debtors — business and consumer, with and without e-mail, phone, SIREN or
address complement, one invoice or a dozen, overdue or not yet due — so that the branches one debtor never
takes are rendered too; and in the budgeted sandbox (``domain.sandbox``), so that a template that would
exhaust the e-mail function (a huge text, a loop that never ends) is refused here, at its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2 import TemplateSyntaxError, UndefinedError, nodes

from ..domain.labels import file_problem
from ..domain.model import Address, Customer, Invoice, Payment
from ..domain.plans import Installment, PaymentPlan, is_plan_step
from ..domain.policy import Company, Place, Rules, plan_step
from ..domain.render import (
    CONTEXT_NAMES,
    SUBJECT_LINE,
    SUBJECT_PREFIX,
    InvoiceView,
    LegalView,
    StepView,
    environment,
    legal_view,
    message_context,
    plan_view,
    resolve_template,
    template_candidates,
    template_languages,
)
from ..domain.sandbox import (
    LIMITS,
    RENDER_FAILURES,
    compile_template,
    describe_failure,
    loop_iterable,
    template_line,
)
from ..domain.terms import CHANNELS_WITH_SUBJECT, TEMPLATED_CHANNELS
from .conditions import did_you_mean
from .diagnostics import ERROR, WARNING, Diagnostic
from .legal_lint import lint_rendered

_TEMPLATE_CHECK_DAY = date(2026, 3, 2)
_FILE_NAME = re.compile(r"^(?P<name>[a-z0-9_-]+)\.(?P<language>[a-z]{2,3})\.j2$")


class _AnyExtra(dict):
    """Free columns in a check: any name is accepted, since the real export decides which exist."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


Uses = dict[tuple[str, str | None, str | None, str], Place]


def template_file_languages(templates_dir: Path) -> set[str]:
    """The languages some message template is written in (``courtois.en.j2`` → ``en``)."""
    if not templates_dir.is_dir():
        return set()
    return {m.group("language") for p in templates_dir.glob("*/*.j2")
            if p.parent.name in TEMPLATED_CHANNELS and (m := _FILE_NAME.match(p.name))}


def check_templates(rules: Rules, uses: Uses) -> list[Diagnostic]:
    templates_dir = rules.directory / "templates"
    out: list[Diagnostic] = []
    written = template_file_languages(templates_dir)
    for (channel, tone, template, language), place in sorted(uses.items(), key=lambda kv: str(kv[0])):
        names = template_candidates(channel, tone, template, language)
        if language != "fr" and language not in written and \
                resolve_template(templates_dir, channel, tone, template, language, rules.fallback_language):
            continue  # a language without any template: its customers get the fallback one (template_choices)
        if not any((templates_dir / n).is_file() for n in names):
            tried = " ou ".join(str(templates_dir / n) for n in names)
            what = f"modèle « {template} »" if template else f"ton {tone}"
            out.append(Diagnostic(place.file, place.line, place.column, ERROR,
                                  f"modèle manquant pour un message {channel} ({what}, langue {language}) : "
                                  f"créez {tried}" + _near_template(templates_dir, channel, template, language)))
    files = sorted(p for p in templates_dir.rglob("*.j2") if p.is_file()) if templates_dir.is_dir() else []
    steps = _steps_by_file(rules, templates_dir, files)
    for path in files:
        relative = path.relative_to(templates_dir)
        channel = relative.parts[0] if len(relative.parts) == 2 else ""
        if channel == "documents":
            out.extend(_check_document(path))
            continue
        named = _FILE_NAME.match(path.name)
        if channel not in TEMPLATED_CHANNELS or named is None:
            out.append(Diagnostic(str(path), 1, 1, WARNING,
                                  "ce modèle ne sera jamais utilisé : un modèle se range dans templates/<canal>/"
                                  "<ton ou nom>.<langue>.j2, avec pour canal email, letter, registered_letter ou "
                                  "phone (par exemple templates/email/courtois.fr.j2)"))
            continue
        name = named.group("name")
        own = steps.get(path) or [StepView("exemple", "J+15", channel, name if name in rules.tones else None)]
        out.extend(_check_one(path, channel, own, named.group("language"), rules,
                              formal_notice=channel == "registered_letter" and path in steps))
    return out


def _near_template(templates_dir: Path, channel: str, template: str | None, language: str) -> str:
    """« — vouliez-vous dire « preventif » ? » for a ``template:`` misspelt, among the channel's templates."""
    if not template:
        return ""
    suffix = f".{language}.j2"
    folder = templates_dir / channel
    names = [p.name[: -len(suffix)] for p in folder.glob(f"*{suffix}")] if folder.is_dir() else []
    return did_you_mean(template, [n for n in names if n != "default"])


def _check_document(path: Path) -> list[Diagnostic]:
    """A document's template overridden in ``templates/documents/`` (the requête, the filing guide…): it must
    replace one that relance ships, and parse."""
    from ..texts import template_names

    names = [n for n in template_names() if not n.startswith("_")]
    if path.name not in template_names():
        return [Diagnostic(str(path), 1, 1, WARNING, "ce modèle de document ne remplace aucun de ceux de relance ("
                           + ", ".join(names) + ") : il ne sera jamais utilisé")]
    try:
        environment().parse(path.read_text(encoding="utf-8-sig"))
    except TemplateSyntaxError as err:
        return [Diagnostic(str(path), err.lineno or 1, 1, ERROR, _syntax_message(err.message or ""))]
    return []


def _steps_by_file(rules: Rules, templates_dir: Path, files: list[Path]) -> dict[Path, list[StepView]]:
    """The steps each template file writes for, so that it is rendered with what each of them gives it. An
    e-mail step may write a letter too (no address, a bounce): with the letter template of its tone."""
    languages = sorted({m.group("language") for p in files if (m := _FILE_NAME.match(p.name))} | {"fr"})
    out: dict[Path, dict[tuple[str, str, str | None], StepView]] = {}
    for scenario in rules.scenarios.values():
        for step in scenario.steps:
            if step.channel not in TEMPLATED_CHANNELS:
                continue
            ways = [(step.channel, step.template)] + ([("letter", None)] if step.channel == "email" else [])
            for channel, template in ways:
                for language in languages:
                    names = template_candidates(channel, step.tone, template, language)
                    path = next((templates_dir / n for n in names if (templates_dir / n).is_file()), None)
                    if path is not None:
                        view = StepView(step.id, step.at_label, channel, step.tone)
                        out.setdefault(path, {}).setdefault((view.id, view.at, view.tone), view)
    # A payment plan's messages (SPEC §2.9): any invoice may get a plan, whatever its scenario.
    for step_id in ("installment_2", "plan_default_2"):
        step = plan_step(step_id, rules.tones)
        assert step is not None
        for language in languages:
            for name in template_candidates(step.channel, step.tone, step.template, language):
                if (templates_dir / name).is_file():
                    view = StepView(step.id, step.at_label, step.channel, step.tone)
                    out.setdefault(templates_dir / name, {}).setdefault((view.id, view.at, view.tone), view)
    return {path: list(views.values()) for path, views in out.items()}


def _check_one(path: Path, channel: str, steps: list[StepView], language: str, rules: Rules, *,
               formal_notice: bool = False) -> list[Diagnostic]:
    name = str(path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [Diagnostic(name, 1, 1, ERROR, "ce modèle n’est pas du texte UTF-8 : enregistrez-le en UTF-8")]
    except OSError as err:
        return [Diagnostic(name, 1, 1, ERROR, f"impossible de lire ce modèle ({file_problem(err)})")]
    if len(source) > LIMITS.max_chars:
        return [Diagnostic(name, 1, 1, ERROR, f"ce modèle fait {len(source)} caractères : un message en fait quelques "
                                              "milliers — est-ce le bon fichier ?")]
    env = environment()
    try:
        compiled, undeclared, tree = compile_template(env, source)
    except TemplateSyntaxError as err:
        return [Diagnostic(name, err.lineno or 1, 1, ERROR, _syntax_message(err.message or ""))]
    except (RecursionError, MemoryError) as err:
        return [Diagnostic(name, 1, 1, ERROR, describe_failure(err))]
    if "step" not in undeclared:
        steps = steps[:1]  # the steps differ only by what ``step`` says: one is enough when it is not read
    problems: list[Diagnostic] = []
    for variable in sorted(undeclared - set(CONTEXT_NAMES)):
        problems.append(Diagnostic(name, _line_of(source, variable), 1, ERROR,
                                   f"variable inconnue « {variable} »" + (did_you_mean(variable, CONTEXT_NAMES) or
                                   f" (variables disponibles : {', '.join(CONTEXT_NAMES)})")))
    problems.extend(_unknown_attributes(tree, name))
    if problems:
        return problems
    if channel in CHANNELS_WITH_SUBJECT and not SUBJECT_LINE.match(source.lstrip("\n")):
        problems.append(Diagnostic(name, 1, 1, ERROR, f"la première ligne d’un modèle {channel} doit être "
                                                      f"l’objet du message : « {SUBJECT_PREFIX} … » (« Subject: … » "
                                                      "dans un modèle anglais)"))
    failure = _first_failure(compiled, source, name, rules, steps, language)
    if failure is not None:
        return [*problems, failure]
    if not problems:
        problems.extend(_unprotected_free_columns(compiled, name, source, rules, steps[0], language))
        problems.extend(_legal_lint(compiled, name, source, rules, steps[-1], language, formal_notice))
    return problems


def _legal_lint(compiled: Any, name: str, source: str, rules: Rules, step: StepView, language: str,
                formal_notice: bool) -> list[Diagnostic]:
    """What the template says for the made-up debtors, read as the law would (``legal_lint``): warnings."""
    contexts = [_sample_context(rules, debtor, step, language) for debtor in _DEBTORS]

    def render(i: int) -> str | None:
        try:
            return str(compiled.render(contexts[i]))
        except RENDER_FAILURES:
            return None

    debtors = [(d.label, d.kind, Decimal(str(c["total"]))) for d, c in zip(_DEBTORS, contexts, strict=True)]
    return [Diagnostic(name, line, 1, WARNING, message)
            for line, message in lint_rendered(render, debtors, formal_notice=formal_notice,
                                               deadline_days=rules.legal.formal_notice_deadline_days,
                                               indemnity=rules.legal.recovery_indemnity, source=source,
                                               language=language)]


# The shape of each variable, for the attribute check that covers every branch (rendering covers the branches
# the made-up debtors take). ``extra`` holds the export's free columns: any name may exist.
_SHAPES: dict[str, type] = {"customer": Customer, "company": Company, "legal": LegalView, "step": StepView}
_NESTED: dict[tuple[type, str], type] = {(Customer, "address"): Address, (Company, "address"): Address}
_ORDER_KEEPING = frozenset({"sort", "reverse", "list", "unique", "selectattr", "rejectattr", "select", "reject"})


def _unknown_attributes(tree: nodes.Template, name: str) -> list[Diagnostic]:
    """``customer.nmae`` in any branch, even one no made-up debtor takes (``{% if today.month == 12 %}``)."""
    rebound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    out: dict[tuple[int, str], Diagnostic] = {}

    def shape(node: nodes.Node, scope: dict[str, tuple[type, str]]) -> tuple[type, str] | None:
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            known = _SHAPES.get(node.name)
            return (known, node.name) if known is not None and node.name not in rebound else None
        if isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name) and node.node.name == "invoices" \
                and "invoices" not in rebound and not isinstance(node.arg, nodes.Slice):
            return InvoiceView, "invoices[…]"
        if isinstance(node, nodes.Getattr):
            owner = shape(node.node, scope)
            nested = _NESTED.get((owner[0], node.attr)) if owner else None
            return (nested, f"{owner[1]}.{node.attr}") if owner and nested else None
        return None

    def iterates_invoices(node: nodes.Node) -> bool:
        while isinstance(node, nodes.Filter) and node.name in _ORDER_KEEPING:
            node = node.node
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Slice):
            node = node.node
        return isinstance(node, nodes.Name) and node.name == "invoices" and "invoices" not in rebound

    def visit(node: nodes.Node, scope: dict[str, tuple[type, str]]) -> None:
        if isinstance(node, nodes.For):
            iterable = loop_iterable(node)
            visit(iterable, scope)
            inner = dict(scope)
            if isinstance(node.target, nodes.Name):
                if iterates_invoices(iterable):
                    inner[node.target.name] = (InvoiceView, "invoices[…]")
                else:
                    inner.pop(node.target.name, None)
            for child in (*node.body, *node.else_, *([node.test] if node.test else [])):
                visit(child, inner)
            return
        if isinstance(node, nodes.Getattr):
            owner = shape(node.node, scope)
            if owner is not None and node.attr not in {f.name for f in fields(owner[0])} \
                    and not hasattr(owner[0], node.attr):
                choices = [f.name for f in fields(owner[0])]
                near = did_you_mean(node.attr, choices)
                listed = "" if near else f" (disponibles : {', '.join(choices)})"
                out.setdefault((node.lineno, node.attr), Diagnostic(
                    name, node.lineno, 1, ERROR, f"« {owner[1]}.{node.attr} » n’existe pas{near}{listed}"))
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(tree, {})
    return list(out.values())


def _first_failure(compiled: Any, source: str, name: str, rules: Rules, steps: list[StepView],
                   language: str) -> Diagnostic | None:
    """The first debtor × step this template cannot be rendered for, as an error at its line."""
    for step in steps:
        for debtor in _DEBTORS:
            try:
                compiled.render(_sample_context(rules, debtor, step, language))
            except RENDER_FAILURES as err:
                message = _undefined_hint(str(err)) if isinstance(err, UndefinedError) else describe_failure(err)
                return Diagnostic(name, template_line(err, source), 1, ERROR,
                                  f"{message} (pour {debtor.label}{_step_label(step, steps)})")
    return None


def _step_label(step: StepView, steps: list[StepView]) -> str:
    return f", à l’étape « {step.id} »" if len(steps) > 1 or step.id != "exemple" else ""


def _unprotected_free_columns(compiled: Any, name: str, source: str, rules: Rules, step: StepView,
                              language: str) -> list[Diagnostic]:
    """A free column missing from an export must not break a send: warn when a template needs it."""
    try:
        compiled.render(_sample_context(rules, _DEBTORS[0], step, language, free_columns=False))
    except UndefinedError as err:
        column = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", str(err))
        label = next((g for g in column.groups() if g), "?") if column else "?"
        return [Diagnostic(name, template_line(err, source), 1, WARNING,
                           f"la colonne libre « {label} » peut manquer dans l’export : protégez-la avec "
                           f"« is defined », par exemple {{% if ….extra.{label} is defined %}}…{{% endif %}}")]
    except RENDER_FAILURES:
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
        filters = ", ".join(("money", "longdate", "shortdate", "percent", "days", "mentions", "phone", "length", "join",
                             "default", "upper"))
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


@dataclass(frozen=True, slots=True)
class _Debtor:
    """One made-up debtor a template is rendered for: together they take the branches a template may have."""

    label: str
    kind: str
    full: bool  # e-mail, phone, SIREN, address complement, account manager
    due_in_days: tuple[int, ...]  # one invoice each, negative when overdue
    partly_paid: bool = True
    others_due_in_days: tuple[int, ...] = ()  # the customer's other open invoices: the statement of account


_DEBTORS = (
    _Debtor("un client professionnel avec deux factures échues et deux autres ouvertes", "business", True,
            (-16, -17), others_due_in_days=(-40, 12)),
    _Debtor("un client particulier avec deux factures échues et une autre pas encore échue", "consumer", True,
            (-16, -17), others_due_in_days=(9,)),
    _Debtor("un client professionnel sans e-mail, téléphone, SIREN ni complément d’adresse, avec une seule "
            "facture échue", "business", False, (-20,), partly_paid=False),
    _Debtor("un client particulier sans e-mail ni téléphone, avec une seule facture pas encore échue", "consumer",
            False, (3,), partly_paid=False),
    _Debtor("un client professionnel avec douze factures, échues ou non", "business", True,
            (-90, -60, -45, -30, -20, -15, -8, -1, 0, 2, 5, 30)),
)


def _sample_context(rules: Rules, debtor: _Debtor, step: StepView, language: str, *,
                    free_columns: bool = True) -> dict[str, object]:
    today = _TEMPLATE_CHECK_DAY
    extra = MappingProxyType(_AnyExtra() if free_columns else {})
    business = debtor.kind == "business"
    customer = Customer(
        id="C-EXEMPLE", name="Client Exemple" if business else "Camille Exemple", kind=debtor.kind,  # type: ignore[arg-type]
        email="compta@client.example" if debtor.full else "", phone="04 00 00 00 00" if debtor.full else "",
        tags=("exemple",), language=language, siren="123456789" if business and debtor.full else "",
        address=Address("1 rue de l’Exemple", "Bâtiment B" if debtor.full else "", "69001", "Lyon", "FR"),
        account_manager="commercial@exemple.example" if debtor.full else "", extra=extra,
    )
    invoices = [
        Invoice(id=f"F-EX-{n}", customer_id=customer.id, issue_date=today + timedelta(days=due - 30),
                due_date=today + timedelta(days=due), amount=Decimal("1234.50"),
                amount_due=Decimal("1000.00") if debtor.partly_paid and n % 2 else Decimal("1234.50"), extra=extra)
        for n, due in enumerate(debtor.due_in_days, 1)
    ]
    others = [
        Invoice(id=f"F-EX-AUTRE-{n}", customer_id=customer.id, issue_date=today + timedelta(days=due - 30),
                due_date=today + timedelta(days=due), amount=Decimal("480.00"), amount_due=Decimal("480.00"),
                extra=extra)
        for n, due in enumerate(debtor.others_due_in_days, 1)
    ]
    # With and without a portal link (a deployment without the portal gives ""): both branches are rendered.
    link = "https://paiement.exemple.fr/l/exemple.0123456789" if debtor.full else ""
    # A plan step's message: the first invoice under a plan of three installments agreed 40 days ago, the first
    # one paid (SPEC §2.9).
    plan = None
    if is_plan_step(step.id):
        first = invoices[0]
        third = (first.amount_due / 3).quantize(Decimal("0.01"))
        agreed = today - timedelta(days=40)
        sample = PaymentPlan(agreed, (Installment(today - timedelta(days=25), third),
                                      Installment(today - timedelta(days=5), third),
                                      Installment(today + timedelta(days=25), first.amount_due - 2 * third)))
        invoices[0] = replace(first, payment_plan=sample, amount_due=first.amount_due - third,
                              payments=(*first.payments, Payment(agreed + timedelta(days=14), third)))
        plan = plan_view(invoices[:1], step.id, today, rules.payment_plans.broken_after_days)
    return message_context(customer=customer, invoices=invoices, company=rules.company,
                           legal=legal_view(rules.legal, language),
                           step=step, today=today, others=others,
                           portal_link=link, language=language, plan=plan)


# --- which file each message uses -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """The file a channel × tone (or named template) × customer language resolves to, and why."""

    channel: str
    tone: str | None
    template: str | None  # a step's ``template:`` override
    language: str  # the customer's
    file: str | None  # relative to templates/; None: no file, the message cannot be written
    file_language: str | None
    via: str  # "template" (the step names it), "tone", "default" (default.<lang>.j2), "missing"

    @property
    def fallback(self) -> bool:
        """Written in another language than the customer's (the rules' ``fallback_language``, or French)."""
        return self.file_language is not None and self.file_language != self.language

    def as_json(self) -> dict[str, object]:
        return {"channel": self.channel, "tone": self.tone, "template": self.template, "language": self.language,
                "file": self.file, "file_language": self.file_language, "via": self.via,
                "fallback": self.fallback}

    def describe(self) -> str:
        """One line in French for ``relance check``."""
        what = f"modèle « {self.template} »" if self.template else f"ton {self.tone}" if self.tone else "sans ton"
        head = f"{self.channel} × {what} × {self.language} : "
        if self.file is None:
            return head + "aucun modèle"
        how = {"default": " (modèle de secours : pas de modèle pour ce ton)"}.get(self.via, "")
        if self.fallback:
            how += f" (pas de modèle en « {self.language} » : langue de repli « {self.file_language} »)"
        return f"{head}{self.file}{how}"


def template_choices(rules: Rules, uses: Uses) -> list[TemplateChoice]:
    """Every channel × tone × language the scenarios can need, with the file it resolves to: the languages are
    those segments route on, those templates are written in, French and the fallback language."""
    templates_dir = rules.directory / "templates"
    languages = sorted({language for *_, language in uses} | template_file_languages(templates_dir)
                       | set(template_languages("fr", rules.fallback_language)))
    needs = sorted({(c, t, o) for c, t, o, _ in uses}, key=str)
    for scenario in rules.scenarios.values():  # an e-mail without an address goes as a letter of its tone
        needs.extend(("letter", s.tone, None) for s in scenario.steps
                     if s.channel == "email" and ("letter", s.tone, None) not in needs)
    out = []
    for channel, tone, template in needs:
        for language in languages:
            found = resolve_template(templates_dir, channel, tone, template, language, rules.fallback_language)
            if found is None:
                out.append(TemplateChoice(channel, tone, template, language, None, None, "missing"))
                continue
            path, written_in = found
            via = "template" if template else "tone" if path.name.startswith(f"{tone}.") else "default"
            out.append(TemplateChoice(channel, tone, template, language, path.relative_to(templates_dir).as_posix(),
                                      written_in, via))
    return sorted(out, key=lambda c: (c.channel, c.template or "", c.tone or "", c.language))
