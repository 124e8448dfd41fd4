"""One pipeline from the rules directory to checked, compiled :class:`Rules`.

read (positions, duplicate keys) → merge sections across files → JSON Schema → semantic checks
(→ templates, for ``relance check``). Every finding is a :class:`Diagnostic` naming FILE:LINE:COL.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.approval import StepApproval
from ..domain.calendar import CalendarSettings
from ..domain.conditions import Predicate
from ..domain.contact import LIMIT_KEYS, ContactLimits, ContactPolicy
from ..domain.model import Address
from ..domain.policy import (
    Company,
    Legal,
    Pause,
    Place,
    Replies,
    Rules,
    Scenario,
    Segment,
    Step,
)
from ..domain.portal import PortalPolicy
from ..domain.terms import DEFAULT_TONES, POSTAL_CHANNELS, TEMPLATED_CHANNELS
from .conditions import ConditionError, compile_condition, did_you_mean, referenced_values
from .diagnostics import ERROR, WARNING, Diagnostic
from .schema import MAX_AT_DAYS, SECTIONS, JsonPath, far_delay_message
from .shipped import rule_files, rules_digest, shipped_record

if TYPE_CHECKING:
    from ..domain.claim import Rates
    from ..domain.courts import CourtTable
    from .yamlfile import YamlFile

SUGGESTION_BUDGET = 50_000  # name comparisons for « vouliez-vous dire » per load: enough for any honest mistake


@dataclass(slots=True)
class LoadResult:
    rules: Rules | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # With the template check: which file each channel × tone × language uses (``templates.TemplateChoice``).
    templates: list[Any] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def ok(self) -> bool:
        return self.rules is not None and not self.errors


def _email() -> Any:
    """The e-mail checks (the standard library's e-mail parser): only the full check runs them, rules shipped
    with their record passed them when the layer was built and load without that import (cold start)."""
    from ..domain import email

    return email


class RulesError(Exception):
    """The rules cannot be used; ``diagnostics`` says why and where."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == ERROR]
        super().__init__("\n".join(str(d) for d in errors) or "invalid rules")
        self.diagnostics = diagnostics


def load_rules(directory: str | Path, *, check_templates: bool = False) -> LoadResult:
    """Load, check and compile the rules of ``directory``. Never raises on bad content.

    Rules that ship with the record of their check (rules.shipped: the layer's build wrote it for these very
    files and this checker) are built from it without being checked again, unless templates are to be checked.
    """
    directory = Path(directory)
    if not check_templates and (record := shipped_record(directory)) is not None:
        return _ShippedLoader(directory, record).run_recorded(record)
    return _Loader(directory).run(check_templates)


def load_rules_recorded(directory: str | Path) -> tuple[LoadResult, dict[str, Any] | None]:
    """The full check, templates included, and what :mod:`rules.shipped` records of rules that pass it."""
    loader = _Loader(Path(directory), record=True)
    result = loader.run(check_templates=True)
    if not result.ok:
        return result, None
    return result, {"sections": {k: Path(v.name).name for k, v in loader.section_file.items()},
                    "places": loader.places,
                    "data": loader.merged}


def load_rules_or_raise(directory: str | Path, *, check_templates: bool = False) -> Rules:
    result = load_rules(directory, check_templates=check_templates)
    if not result.ok or result.rules is None:
        raise RulesError(result.diagnostics)
    return result.rules


class _Loader:
    validate = True  # False: rules checked when the layer was built (rules.shipped), checks that only report skip

    def __init__(self, directory: Path, *, record: bool = False) -> None:
        self.directory = directory
        self.places: dict[str, list[Any]] = {}
        self.record = record
        self.merged: dict[str, Any] = {}
        self.diagnostics: list[Diagnostic] = []
        self.section_file: dict[str, YamlFile] = {}
        self.suggested: dict[str, str] = {}
        self.comparisons_left = SUGGESTION_BUDGET

    # -- reporting -------------------------------------------------------------------------------
    def report(self, severity: str, where: tuple[YamlFile, JsonPath] | Place, message: str,
               *, on_key: bool = False) -> None:
        if isinstance(where, Place):
            self.diagnostics.append(Diagnostic(where.file, where.line, where.column, severity, message))
            return
        doc, path = where
        spot = doc.spot(path)
        line, column = (spot.key_line, spot.key_column) if on_key else (spot.line, spot.column)
        self.diagnostics.append(Diagnostic(doc.name, line, column, severity, message))

    def suggest(self, word: str, choices: Iterable[str]) -> str:
        """« vouliez-vous dire » for names the file defines itself, within a budget of comparisons.

        Each suggestion compares the word with every name: thousands of wrong references to thousands of
        scenarios would cost their product. Past the budget, messages go without a suggestion.
        """
        if word in self.suggested:
            return self.suggested[word]
        names = choices if isinstance(choices, (list, tuple, dict)) else list(choices)
        if self.comparisons_left < len(names):
            return ""
        self.comparisons_left -= len(names)
        self.suggested[word] = did_you_mean(word, list(names))
        return self.suggested[word]

    def error(self, path: JsonPath, message: str, *, on_key: bool = False) -> None:
        self.report(ERROR, self.at(path), message, on_key=on_key)

    def warning(self, path: JsonPath, message: str, *, on_key: bool = False) -> None:
        self.report(WARNING, self.at(path), message, on_key=on_key)

    def at(self, path: JsonPath) -> tuple[YamlFile, JsonPath]:
        doc = self.section_file.get(str(path[0])) if path else None
        if doc is None:
            from .yamlfile import YamlFile

            doc = next(iter(self.section_file.values()), YamlFile(str(self.directory)))
        return doc, path

    def place(self, path: JsonPath, *, on_key: bool = False) -> Place:
        doc, _ = self.at(path)
        spot = doc.spot(path)
        place = Place(doc.name, *((spot.key_line, spot.key_column) if on_key else (spot.line, spot.column)))
        if self.record:  # the file by its name in the rules directory: the layer puts it elsewhere
            self.places[_place_key(path, on_key)] = [Path(place.file).name, place.line, place.column]
        return place

    # -- pipeline --------------------------------------------------------------------------------
    def run(self, check_templates: bool) -> LoadResult:
        if not self.directory.is_dir():
            name = str(self.directory)
            self.diagnostics.append(Diagnostic(name, 1, 1, ERROR, "dossier de règles introuvable"))
            return LoadResult(None, self.diagnostics)
        files = rule_files(self.directory)
        if not files:
            name = str(self.directory)
            self.diagnostics.append(Diagnostic(name, 1, 1, ERROR, "aucun fichier .yaml dans ce dossier de règles"))
            return LoadResult(None, self.diagnostics)
        from .schema import schema_problems
        from .yamlfile import read_yaml_file

        merged = self.merged
        read: list[tuple[str, bytes]] = []
        for path in files:
            doc = read_yaml_file(path, str(path))
            read.append((path.name, doc.raw))
            for p in doc.problems:
                self.diagnostics.append(Diagnostic(doc.name, p.line, p.column, p.severity, p.message))
            if doc.data is None:
                continue
            if not isinstance(doc.data, dict):
                self.diagnostics.append(Diagnostic(doc.name, 1, 1, ERROR, "un fichier de règles est une suite de "
                                                   "sections « nom: … » (version, segments, scenarios…)"))
                continue
            self._merge(doc, merged)
            for path_, on_key, message in schema_problems(doc.data):
                self.report(ERROR, (doc, path_), message, on_key=on_key)
        if self._has_errors():
            return LoadResult(None, sorted(self.diagnostics))
        rules = self._build(merged, rules_digest(read))
        choices: list[Any] = []
        if rules is not None and check_templates:
            from .templates import check_templates as run_template_checks
            from .templates import template_choices

            uses = self._template_uses(rules)
            self.diagnostics.extend(run_template_checks(rules, uses))
            choices = template_choices(rules, uses)
            self._fallback_written(rules)
        if self._has_errors():
            return LoadResult(None, sorted(self.diagnostics), choices)
        return LoadResult(rules, sorted(self.diagnostics), choices)

    def _fallback_written(self, rules: Rules) -> None:
        """A fallback language nobody writes in gives French: say so at the key."""
        from .templates import template_file_languages

        written = template_file_languages(rules.directory / "templates")
        if rules.fallback_language not in written | {"fr"}:
            self.warning(("fallback_language",),
                         f"aucun modèle n’est écrit dans la langue de repli « {rules.fallback_language} » (langues "
                         f"des modèles : {', '.join(sorted(written | {'fr'}))}) : les clients dont la langue n’a pas "
                         "de modèles recevront du français")

    def _has_errors(self) -> bool:
        return any(d.severity == ERROR for d in self.diagnostics)

    def _merge(self, doc: YamlFile, merged: dict[str, Any]) -> None:
        for section, value in doc.data.items():
            if section in self.section_file:
                first = self.section_file[section]
                spot = first.spot((section,))
                self.report(ERROR, (doc, (section,)),
                            f"la section « {section} » est déjà définie dans {first.name} (ligne {spot.key_line}) : "
                            "une section ne peut figurer que dans un seul fichier", on_key=True)
                continue
            if section in SECTIONS:
                self.section_file[section] = doc
                merged[section] = value

    # -- semantic checks -------------------------------------------------------------------------
    def _build(self, data: dict[str, Any], digest: str) -> Rules | None:
        for section in ("version", "segments", "scenarios"):
            if section not in data:
                doc, _ = self.at(())
                self.report(ERROR, Place(doc.name, 1, 1),
                            f"aucun fichier ne définit la section obligatoire « {section} »")
        if self._has_errors():
            return None
        tones = tuple(data.get("tones", DEFAULT_TONES))
        scenarios = self._scenarios(data["scenarios"], tones)
        segments = self._segments(data["segments"], scenarios)
        pauses = self._pauses(data.get("pause", []))
        calendar = self._calendar(data.get("calendar", {}))
        company = self._company(data.get("company", {}))
        rates = self._rates(data["rates"]) if "rates" in data else None
        legal = self._legal(data.get("legal", {}), rates)
        courts = self._courts(data["courts"]) if "courts" in data else None
        contact = self._contact(data["contact"] or {}) if "contact" in data else None
        portal = self._portal(data.get("portal") or {})
        replies = Replies(**{k: v for k, v in (data.get("replies") or {}).items() if k == "pause_days"})
        used = {s.scenario for s in segments}
        for name in scenarios:
            if name not in used:
                self.warning(("scenarios", name), f"le scénario « {name} » n’est utilisé par aucun segment",
                             on_key=True)
        channels = {step.channel for name in used if name in scenarios for step in scenarios[name].steps}
        if channels & set(POSTAL_CHANNELS) and (missing := company.missing()):
            where = ("company",) if "company" in data else ()
            used_postal = ", ".join(sorted(channels & set(POSTAL_CHANNELS)))
            self.warning(where, f"les scénarios envoient des courriers ou des dossiers ({used_postal}) mais "
                                f"la section company est incomplète : il manque {', '.join(missing)}",
                         on_key=True)
        if self._has_errors() or calendar is None:
            return None
        return Rules(directory=self.directory, segments=tuple(segments), scenarios=scenarios, calendar=calendar,
                     pauses=tuple(pauses), tones=tones, company=company, legal=legal, version=data["version"],
                     digest=digest, rates=rates, courts=courts, contact=contact, portal=portal,
                     fallback_language=data.get("fallback_language", "fr"), replies=replies)

    def _condition(self, node: Any, path: JsonPath) -> Predicate | None:
        try:
            return compile_condition(node, ())
        except ConditionError as err:
            for problem in err.problems:
                self.error((*path, *problem.path), problem.message, on_key=problem.on_key)
            return None

    def _scenarios(self, data: dict[str, Any], tones: tuple[str, ...]) -> dict[str, Scenario]:
        scenarios: dict[str, Scenario] = {}
        for name, body in data.items():
            steps: list[Step] = []
            seen: dict[str, JsonPath] = {}
            previous_at: int | None = None
            previous_tone: tuple[int, str] | None = None
            after_litigation: str | None = None
            for i, raw in enumerate(body["steps"]):
                path: JsonPath = ("scenarios", name, "steps", i)
                step_id, channel = raw["id"], raw["channel"]
                at = int(raw["at"][1:])
                if step_id in seen:
                    first = self.place((*seen[step_id], "id"))
                    self.error((*path, "id"), f"l’étape « {step_id} » existe déjà dans le scénario « {name} » "
                                              f"(ligne {first.line}) : chaque étape a un identifiant unique")
                seen.setdefault(step_id, path)
                if previous_at is not None and at <= previous_at:
                    self.error((*path, "at"), f"le délai {raw['at']} doit venir après celui de l’étape précédente "
                                              f"({_at_label(previous_at)}) : les étapes vont dans l’ordre du temps")
                if abs(at) > MAX_AT_DAYS:
                    self.error((*path, "at"), far_delay_message(raw["at"]))
                previous_at = at
                tone = raw.get("tone")
                if tone is None and channel != "litigation":
                    self.error(path, f"il manque le ton (tone) de l’étape « {step_id} » ({', '.join(tones)})",
                               on_key=True)
                elif tone is not None and tone not in tones:
                    self.error((*path, "tone"), f"ton inconnu « {tone} » (tons définis : {_some(tones)})"
                                                + self.suggest(str(tone), tones))
                elif tone is not None:
                    rank = tones.index(tone)
                    if previous_tone is not None and rank < previous_tone[0]:
                        self.warning((*path, "tone"), f"le ton redescend de « {previous_tone[1]} » à « {tone} » : "
                                                      "une relance devient normalement de plus en plus ferme")
                    previous_tone = (rank, tone)
                if after_litigation is not None:
                    self.warning(path, f"l’étape « {step_id} » ne sera jamais atteinte : après l’injonction de "
                                       f"payer (« {after_litigation} »), les relances s’arrêtent", on_key=True)
                if channel == "litigation":
                    after_litigation = step_id
                    if not any(st.channel == "registered_letter" for st in steps):
                        # A warning, not an error: the notice may have been sent outside relance.
                        self.warning(path, f"l’injonction de payer « {step_id} » n’est précédée d’aucune mise en "
                                           "demeure (étape registered_letter) dans ce scénario : sans mise en "
                                           "demeure enregistrée, le dossier sera refusé", on_key=True)
                when = self._condition(raw["when"], (*path, "when")) if "when" in raw else None
                steps.append(Step(id=step_id, at=at, channel=channel, tone=tone,
                                  template=raw.get("template"), when=when, place=self.place(path),
                                  approval=self._approval(raw, path, step_id)))
            scenarios[name] = Scenario(name=name, steps=tuple(steps), place=self.place(("scenarios", name),
                                                                                    on_key=True))
        return scenarios

    def _approval(self, raw: dict[str, Any], path: JsonPath, step_id: str) -> StepApproval | None:
        """``approval: required`` with its optional ``approval_timeout_days`` and ``then`` (domain.approval)."""
        timeout, then = raw.get("approval_timeout_days"), raw.get("then")
        if raw.get("approval") != "required":
            for key in ("approval_timeout_days", "then"):
                if key in raw:
                    self.error((*path, key), f"« {key} » ne sert qu’avec « approval: required » : ajoutez-la à "
                                             f"l’étape « {step_id} » ou retirez cette ligne", on_key=True)
            return None
        if timeout is not None and then is None:
            self.error((*path, "approval_timeout_days"), f"après {timeout} jours sans réponse, que faire de l’étape "
                                                         f"« {step_id} » ? Ajoutez « then: send » (elle part) ou "
                                                         "« then: hold » (elle ne part pas)", on_key=True)
        elif then is not None and timeout is None:
            self.error((*path, "then"), f"« then: {then} » s’applique après un délai sans réponse : ajoutez "
                                        f"« approval_timeout_days: 5 » (par exemple) à l’étape « {step_id} »",
                       on_key=True)
        if timeout is None or then is None:
            return StepApproval()
        return StepApproval(timeout_days=int(timeout), then=str(then))

    def _segments(self, data: list[dict[str, Any]], scenarios: dict[str, Scenario]) -> list[Segment]:
        segments: list[Segment] = []
        names: dict[str, int] = {}
        catch_all: str | None = None
        for i, raw in enumerate(data):
            path: JsonPath = ("segments", i)
            name, scenario = raw["name"], raw["scenario"]
            if name in names:
                self.warning((*path, "name"), f"deux segments s’appellent « {name} » (le n° {names[name] + 1} "
                                              "et celui-ci) : donnez-leur des noms différents")
            names.setdefault(name, i)
            if scenario not in scenarios:
                self.error((*path, "scenario"), f"scénario inconnu « {scenario} »"
                                                + (self.suggest(scenario, scenarios)
                                                   or f" (scénarios définis : {_some(scenarios)})"))
            if catch_all is not None:
                self.warning(path, f"le segment « {name} » ne sera jamais utilisé : le segment « {catch_all} », "
                                   "placé avant lui, n’a pas de condition et prend toutes les factures", on_key=True)
            when = self._condition(raw["when"], (*path, "when")) if "when" in raw else None
            if "when" not in raw and catch_all is None:
                catch_all = name
            segments.append(Segment(name=name, scenario=scenario, when=when, place=self.place(path)))
        if catch_all is None and data:
            self.warning(("segments", len(data) - 1), "le dernier segment a une condition : une facture qui ne "
                         "correspond à aucun segment ne sera jamais relancée. Ajoutez en dernier un segment sans "
                         "« when » (attrape-tout)", on_key=True)
        return segments

    def _pauses(self, data: list[dict[str, Any]]) -> list[Pause]:
        out = []
        for i, raw in enumerate(data):
            when = self._condition(raw["when"], ("pause", i, "when"))
            if when is not None:
                out.append(Pause(name=raw["name"], when=when))
        return out

    def _calendar(self, data: dict[str, Any]) -> CalendarSettings | None:
        timezone = data.get("timezone", "Europe/Paris")
        if self.validate and timezone not in _timezones():
            self.error(("calendar", "timezone"), f"fuseau horaire inconnu « {timezone} »"
                       + (did_you_mean(timezone, _timezones()) or " (exemple : Europe/Paris)"))
        raw = data.get("holidays", "FR")
        country: str | None
        subdivision: str | None = None
        if isinstance(raw, str):
            country = None if raw.lower() == "none" else raw
        else:
            country, subdivision = raw["country"], raw.get("subdivision")
        if country is not None and self.validate:
            import holidays

            supported = holidays.list_supported_countries()
            if country not in supported:
                self.error(("calendar", "holidays"), f"pays inconnu « {country} » pour les jours fériés "
                           "(code ISO à deux lettres, par exemple FR, ou none)" + did_you_mean(country, supported))
                return None
            if subdivision is not None and subdivision not in supported[country]:
                self.error(("calendar", "holidays", "subdivision"),
                           f"subdivision « {subdivision} » inconnue pour {country} "
                           f"(possibles : {', '.join(supported[country])})")
                return None
        return CalendarSettings(timezone=timezone, business_days_only=data.get("business_days_only", True),
                                country=country, subdivision=subdivision,
                                min_gap_days=data.get("min_gap_days", 3))

    def _company(self, data: dict[str, Any]) -> Company:
        """Every company value is one line: the name and the address go into every e-mail's headers, which
        refuse a line break, and into the letters' letterhead. The trailing newline of a folded scalar
        (``name: >``) is dropped; a line break or a control character inside is an error here rather than
        a failed e-mail at send time. The IBAN, SIREN and VAT number are checked by their keys."""
        address = Address(**{k: self._one_line(("company", "address", k), v)
                             for k, v in data.get("address", {}).items()})
        fields = {k: self._one_line(("company", k), v) for k, v in data.items() if k != "address"}
        if fields.get("iban"):  # written in groups of four, as on a RIB: normalised
            fields["iban"] = "".join(fields["iban"].split()).upper()
        if self.validate:
            self._identifiers(data, fields)
        company = Company(address=address, **fields)
        if self.validate and company.email and (problem := _email().address_problem(company.email)):
            self.error(("company", "email"), f"l’adresse « {company.email} » {problem} : c’est l’expéditeur des "
                                             "e-mails, par exemple compta@votre-entreprise.fr")
        return company

    def _identifiers(self, data: dict[str, Any], fields: dict[str, str]) -> None:
        from stdnum import iban as iban_number
        from stdnum.fr import siren as siren_number
        from stdnum.fr import tva as vat

        if fields.get("iban") and not iban_number.is_valid(fields["iban"]):
            self.error(("company", "iban"), f"IBAN « {data['iban']} » invalide (clé de contrôle fausse) : "
                                            "recopiez-le depuis le RIB de la banque")
        # The SIREN's Luhn key (La Poste's SIREN, 356000000, excepted by the library).
        if fields.get("siren") and not siren_number.is_valid(fields["siren"]):
            self.error(("company", "siren"), f"SIREN « {fields['siren']} » invalide (clé de contrôle fausse) : "
                                             "recopiez-le depuis l’extrait Kbis ou l’avis de situation INSEE")
        if fields.get("vat_number", "").upper().startswith("FR") and not vat.is_valid(fields["vat_number"]):
            self.error(("company", "vat_number"), f"numéro de TVA « {fields['vat_number']} » invalide : sa clé ne "
                                                  "correspond pas au SIREN")

    def _one_line(self, path: JsonPath, value: Any) -> str:
        text = str(value).strip()
        if self.validate and (problem := _email().header_problem(text)):
            field_ = ".".join(str(p) for p in path)
            suggestion = " ".join(text.split())
            self.error(path, f"« {field_} » {problem} : il doit tenir sur une seule ligne (il va dans l’en-tête des "
                             f"e-mails et sur les courriers). Écrivez par exemple {path[-1]}: \"{suggestion}\"")
        return text

    def _legal(self, data: dict[str, Any], extended: Rates | None) -> Legal:
        rate = data.get("late_interest", "legal")
        if rate != "legal":
            from ..domain.claim import Rates, cgv_rate_warning

            rates = extended or Rates.load()
            # The latest half-year the rate tables cover: what the CGV are measured against today.
            if message := cgv_rate_warning(Decimal(str(rate)), rates, rates.verified_until):
                self.warning(("legal", "late_interest"), message)
        return Legal(
            late_interest=rate if rate == "legal" else Decimal(str(rate)),
            recovery_indemnity=Decimal(str(data.get("recovery_indemnity", 40))),
            formal_notice_deadline_days=data.get("formal_notice_deadline_days", 8),
            postal_delay_days=data.get("postal_delay_days", 3),
            litigation_min_amount=Decimal(str(data.get("litigation_min_amount", 0))),
            partial_payments=data.get("partial_payments", "principal_first"),
        )

    def _contact(self, data: dict[str, Any]) -> ContactPolicy:
        """The contact policy (SPEC §2.8); a cap that can never bite or never be reached is an error."""
        limits = _limits(ContactLimits(), data)
        consumer = _limits(limits, data.get("consumer") or {})
        checked: list[tuple[JsonPath, ContactLimits, dict[str, Any]]] = [(("contact",), limits, data)]
        if consumer != limits:  # the same values, told twice, would be the same mistake twice
            checked.append((("contact", "consumer"), consumer, data.get("consumer") or {}))
        for where, values, given in checked:
            who = " pour les particuliers" if len(where) > 1 else ""
            if values.max_messages_in_window < values.max_messages_per_day:
                key = "max_messages_in_window" if "max_messages_in_window" in given else "max_messages_per_day"
                self.error((*where, key) if key in given else where,
                           f"max_messages_in_window ({values.max_messages_in_window}) est plus petit que "
                           f"max_messages_per_day ({values.max_messages_per_day}){who} : un client ne recevrait "
                           "jamais autant de messages en un jour qu’annoncé. Donnez à la fenêtre au moins autant "
                           "de messages qu’à une journée", on_key=key in given)
            elif values.max_messages_in_window > values.window_days * values.max_messages_per_day:
                key = "max_messages_in_window" if "max_messages_in_window" in given else "window_days"
                self.warning((*where, key) if key in given else where,
                             f"max_messages_in_window ({values.max_messages_in_window}) ne peut jamais être "
                             f"atteint{who} : en {values.window_days} jour(s) à {values.max_messages_per_day} "
                             f"message(s) par jour, un client en reçoit au plus "
                             f"{values.window_days * values.max_messages_per_day}", on_key=key in given)
        return ContactPolicy(limits, consumer)

    def _portal(self, data: dict[str, Any]) -> PortalPolicy:
        """The debtor portal's section: its links' lifetimes and what a debtor may choose alone."""
        base = PortalPolicy()
        values = {key: data[key] for key in ("link_days", "letter_link_days", "promise_max_days",
                                             "dispute_pause_days", "online_payment") if key in data}
        if "dispute_reasons" in data:
            reasons = data["dispute_reasons"] or {}
            values["dispute_reasons"] = tuple((str(k), str(v)) for k, v in reasons.items())
        policy = replace(base, **values)
        if policy.letter_link_days < policy.link_days:
            where = ("portal", "letter_link_days") if "letter_link_days" in data else ("portal",)
            self.warning(where, f"letter_link_days ({policy.letter_link_days}) est plus "
                         f"court que link_days ({policy.link_days}) : le lien d’un courrier vit moins longtemps que "
                         "celui d’un e-mail, alors que la poste prend déjà plusieurs jours", on_key=True)
        if policy.letter_link_days < 15:
            self.warning(("portal", "letter_link_days") if "letter_link_days" in data else ("portal",),
                         f"un lien de courrier valable {policy.letter_link_days} jours risque d’avoir expiré quand "
                         "le client le lit (la poste, puis le temps de répondre) : 15 jours au moins", on_key=True)
        return policy

    def _rates(self, data: dict[str, Any]) -> Rates | None:
        """The shipped rates completed by the rule editor's ``rates`` section (SPEC §5), checked like them."""
        from ..domain.claim import Rates

        name = self.section_file["rates"].name
        try:
            return Rates.load().extended(data, name)
        except ValueError as error:
            self.error(("rates",), f"taux incohérents : {error} (les semestres se suivent sans trou, les lignes BCE "
                                   "sont dans l’ordre des dates, verified_until ne dépasse pas le dernier semestre)",
                       on_key=True)
            return None

    def _courts(self, data: list[dict[str, Any]]) -> CourtTable | None:
        """The shipped table of courts completed by the rule editor's ``courts`` section."""
        from ..domain.courts import CourtTable

        try:
            return CourtTable.load().extended(data, self.section_file["courts"].name)
        except ValueError as error:
            self.error(("courts",), str(error), on_key=True)
            return None

    def _template_uses(self, rules: Rules) -> dict[tuple[str, str | None, str | None, str], Place]:
        """Each (channel, tone, template override, language) a scenario can need, with the step that needs it."""
        uses: dict[tuple[str, str | None, str | None, str], Place] = {}
        doc = self.section_file["segments"]
        # Thousands of segments may share one long scenario: walk a scenario's steps once per language, not once
        # per segment (segments × steps grew with the square of the file). Languages are ISO codes: a bounded set.
        done: set[tuple[str, str]] = set()
        for index, segment in enumerate(rules.segments):
            scenario = rules.scenarios.get(segment.scenario)
            if scenario is None:
                continue
            languages = {"fr"} | referenced_values(_raw(doc.data, ("segments", index, "when")), "customer.language")
            for language in sorted(languages):
                if (scenario.name, language) in done:
                    continue
                done.add((scenario.name, language))
                for step in scenario.steps:
                    if step.channel in TEMPLATED_CHANNELS:
                        uses.setdefault((step.channel, step.tone, step.template, language), step.place or Place("?"))
        return uses


class _Section:
    """A rule file as the record names it: no YAML was read, every place comes from the record."""

    def __init__(self, name: str) -> None:
        self.name = name


class _ShippedLoader(_Loader):
    """Rules checked when the layer was built: compiled from the record, without the checks that only report."""

    validate = False

    def __init__(self, directory: Path, record: dict[str, Any]) -> None:
        super().__init__(directory)
        self.places = record["places"]
        self.section_file = {section: _Section(str(directory / name))  # type: ignore[misc]
                             for section, name in record["sections"].items()}

    def run_recorded(self, record: dict[str, Any]) -> LoadResult:
        rules = self._build(record["data"], record["digest"])
        if self._has_errors():
            return LoadResult(None, sorted(self.diagnostics))
        return LoadResult(rules, sorted(self.diagnostics))

    def place(self, path: JsonPath, *, on_key: bool = False) -> Place:
        found = self.places.get(_place_key(path, on_key))
        if found is not None:
            return Place(str(self.directory / found[0]), found[1], found[2])
        doc = self.section_file.get(str(path[0])) if path else None
        return Place(doc.name if doc is not None else str(self.directory))

    def report(self, severity: str, where: tuple[YamlFile, JsonPath] | Place, message: str,
               *, on_key: bool = False) -> None:
        place = where if isinstance(where, Place) else self.place(where[1], on_key=on_key)
        self.diagnostics.append(Diagnostic(place.file, place.line, place.column, severity, message))

    def at(self, path: JsonPath) -> tuple[YamlFile, JsonPath]:
        doc = self.section_file.get(str(path[0])) if path else None
        return (doc or _Section(str(self.directory))), path  # type: ignore[return-value]


def _place_key(path: JsonPath, on_key: bool) -> str:
    return repr((tuple(path), on_key))


def _limits(base: ContactLimits, data: dict[str, Any]) -> ContactLimits:
    return replace(base, **{key: data[key] for key in LIMIT_KEYS if key in data})


def _raw(data: Any, path: Iterable[str | int]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _some(names: Collection[str], shown: int = 12) -> str:
    """The first names of a list for a message, « … » for the rest (a message per mistake must stay short)."""
    return ", ".join(islice(names, shown)) + (f"… ({len(names)} en tout)" if len(names) > shown else "")


def _at_label(at: int) -> str:
    return f"J{at:+d}" if at else "J+0"


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
