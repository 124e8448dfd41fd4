"""argparse in French: the help, the usage line and every usage error of ``relance``.

argparse writes its own words in English (« usage: », « error: », « the following arguments are required »…)
through gettext, with no French catalogue. Rather than patch the module, :class:`FrenchParser` replaces what
a person reads: the help option and the section titles, the usage prefix (:class:`FrenchFormatter`), and the
error line, whose message argparse has already formatted in English and which :func:`french_error` rewrites
from the known patterns (an unknown message is shown as it is rather than lost). A usage error names the
command (« relance plan : erreur : argument --on : … ») and where to find its help.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from datetime import date
from difflib import SequenceMatcher, get_close_matches
from typing import Any, NoReturn

DATE_METAVAR = "JJ/MM/AAAA"
_FRENCH_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def parse_day(text: str) -> date:
    """23/11/2026 (as people write it), 23.11.2026, or 2026-11-23 (ISO); ValueError with a French message."""
    text = text.strip()
    match = _FRENCH_DATE.fullmatch(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"« {text} » n’est pas une date : écrivez JJ/MM/AAAA (23/11/2026) ou AAAA-MM-JJ "
                         "(2026-11-23)") from None


def _shared_start(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def near(word: str, choices: Iterable[str]) -> str:
    """« — vouliez-vous dire … ? » for the closest of ``choices``, or nothing."""
    found = get_close_matches(word, sorted(set(choices)), n=5, cutoff=0.5)
    if not found:
        return ""
    # Equally close, the one that starts as typed: « pay » → « paid » rather than « plan ».
    best = max(found, key=lambda c: (round(SequenceMatcher(None, word, c).ratio(), 6),
                                     _shared_start(word, c), -found.index(c)))
    return f" — vouliez-vous dire « {best} » ?"


def _names(listed: str) -> list[str]:
    return [name.strip().strip("'\"") for name in listed.split(",") if name.strip()]


def _choices(match: re.Match[str]) -> str:
    value, options = match.group("value").strip("'\""), _names(match.group("choices"))
    return f"« {value} » n’est pas un choix possible (choix : {', '.join(options)}){near(value, options)}"


def _count(match: re.Match[str]) -> str:
    return f"{match.group(1)} valeurs attendues"


# argparse's messages, as formatted (Python 3.11 to 3.13), and their French. Longest, most specific first.
_MESSAGES: tuple[tuple[re.Pattern[str], Any], ...] = tuple((re.compile(pattern), french) for pattern, french in (
    (r"^argument (?P<name>.+?): (?P<rest>.*)$", None),  # the argument's name, then its own message (recursive)
    (r"^the following arguments are required: (.*)$", r"arguments obligatoires manquants : \1"),
    (r"^unrecognized arguments: (.*)$", r"arguments inconnus : \1"),
    (r"^invalid choice: (?P<value>.+?) \(choose from (?P<choices>.*)\)$", _choices),
    (r"^expected one argument$", "une valeur est attendue après cette option"),
    (r"^expected at most one argument$", "une valeur au plus est attendue"),
    (r"^expected at least one argument$", "au moins une valeur est attendue"),
    (r"^expected (\d+) arguments?$", _count),
    (r"^ambiguous option: (\S+) could match (.*)$", r"option ambiguë : \1 peut désigner \2"),
    (r"^not allowed with argument (.*)$", r"incompatible avec \1"),
    (r"^one of the arguments (.*) is required$", r"l’un de ces arguments est obligatoire : \1"),
    (r"^ignored explicit argument (.*)$", r"valeur en trop : \1"),
    (r"^invalid (\S+) value: (.*)$", r"valeur invalide : \2"),
))


def french_error(message: str) -> str:
    """argparse's English ``message`` in French; our own messages (already French) are left as they are."""
    for pattern, french in _MESSAGES:
        match = pattern.match(message)
        if match is None:
            continue
        if french is None:
            return f"argument {match.group('name')} : {french_error(match.group('rest'))}"
        return match.expand(french) if isinstance(french, str) else french(match)
    return message


_NBSP = "\u00a0"
_TIGHT = (("« ", "«" + _NBSP), (" »", _NBSP + "»"), (" :", _NBSP + ":"), (" ;", _NBSP + ";"), (" ?", _NBSP + "?"),
          (" !", _NBSP + "!"))


def typeset(text: str) -> str:
    """Non-breaking spaces inside « » and before : ; ? ! — the help is wrapped, never between them."""
    for plain, tight in _TIGHT:
        text = text.replace(plain, tight)
    return text


class FrenchFormatter(argparse.HelpFormatter):
    """« utilisation : » before the usage line (argparse's « usage: »), and French typography in the help."""

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[Any], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, f"utilisation{_NBSP}: " if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return super()._split_lines(typeset(text), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return super()._fill_text(typeset(text), width, indent)


def heading(title: str) -> str:
    """A section title: argparse appends « : », French wants a (non-breaking) space before it."""
    return title + _NBSP


class FrenchParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors are French; its sub-commands are French parsers too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        add_help, parents = kwargs.pop("add_help", True), kwargs.pop("parents", [])
        kwargs.setdefault("formatter_class", FrenchFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = heading("arguments")
        self._optionals.title = heading("options")
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="afficher cette aide et quitter")
        for parent in parents:  # after -h, as argparse does
            self._add_container_actions(parent)
            self._defaults.update(parent._defaults)

    def add_subparsers(self, **kwargs: Any) -> Any:
        if "title" in kwargs:
            kwargs["title"] = heading(kwargs["title"])
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}{_NBSP}: erreur{_NBSP}: {french_error(message)}\n"
                     f"(« {self.prog} --help » affiche l’aide)\n")


def date_argument(text: str) -> date:
    """``type=`` of a date option: the French or the ISO form, within SPEC §3's bounds."""
    from .domain.bounds import date_problem

    try:
        day = parse_day(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    problem = date_problem(day)  # SPEC §3: past them, calendar arithmetic overflows
    if problem:
        raise argparse.ArgumentTypeError(f"« {text} » : {problem}")
    return day


def subcommand(parser: argparse.ArgumentParser, *names: str) -> argparse.ArgumentParser:
    """The parser of ``relance NAME…`` (« relance invoice paid »), to name a usage error found after parsing."""
    for name in names:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or name not in sub.choices:
            break
        parser = sub.choices[name]
    return parser
