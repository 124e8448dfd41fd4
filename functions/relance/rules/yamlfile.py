"""Read one YAML rule file into plain data, remembering where every key and value was written.

We walk ruamel.yaml's node graph ourselves rather than constructing objects, so that a duplicate key
names both its places, an alias bomb is stopped, and a stray YAML tag (an unquoted ``!= x``) gets a
hint instead of an obscure error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..domain.labels import file_problem

MAX_FILE_BYTES = 1_000_000
MAX_ALIAS_NODES = 200_000  # aliases can make a small file expand without limit: count what they repeat
YAML_TAG = "tag:yaml.org,2002:"

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Spot:
    """1-based positions of a value and of the key that introduces it."""

    line: int
    column: int
    key_line: int
    key_column: int


@dataclass(frozen=True, slots=True)
class YamlProblem:
    line: int
    column: int
    message: str
    severity: str = "error"


@dataclass(slots=True)
class YamlFile:
    name: str
    data: Any = None
    raw: bytes = b""
    spots: dict[JsonPath, Spot] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)

    def spot(self, path: JsonPath) -> Spot:
        """Where ``path`` was written, or its closest written parent."""
        while path not in self.spots and path:
            path = path[:-1]
        return self.spots.get(path, Spot(1, 1, 1, 1))


class _Stop(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def read_yaml_file(path: Path, display: str) -> YamlFile:
    out = YamlFile(display)
    try:
        raw = path.read_bytes()
    except OSError as err:
        out.problems.append(YamlProblem(1, 1, f"impossible de lire le fichier ({file_problem(err)})"))
        return out
    out.raw = raw
    if len(raw) > MAX_FILE_BYTES:
        out.problems.append(YamlProblem(1, 1, f"fichier trop volumineux ({len(raw) // 1024} Ko) : un fichier "
                                              f"de règles dépasse rarement quelques Ko — est-ce le bon fichier ?"))
        return out
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        out.problems.append(YamlProblem(line, column, "ce fichier n’est pas du texte UTF-8 (fichier binaire, ou "
                                                      "enregistré dans un autre encodage) : enregistrez-le en UTF-8"))
        return out
    return parse_yaml_text(text, out)


def parse_yaml_text(text: str, out: YamlFile) -> YamlFile:
    lines = text.splitlines()
    try:
        node = YAML(typ="rt").compose(text)
    except YAMLError as err:
        out.problems.append(_syntax_problem(err, lines))
        return out
    except RecursionError:
        out.problems.append(YamlProblem(1, 1, "fichier trop profondément imbriqué pour être lu"))
        return out
    if node is None:
        out.problems.append(YamlProblem(1, 1, "fichier vide : il ne définit aucune section", "warning"))
        return out
    walker = _Walker(out)
    try:
        out.data = walker.plain(node, ())
    except _Stop as stop:
        out.problems.append(YamlProblem(stop.line, stop.column, stop.message))
        out.data = None
    except RecursionError:
        out.problems.append(YamlProblem(1, 1, "fichier trop profondément imbriqué pour être lu"))
        out.data = None
    return out


def _syntax_problem(err: YAMLError, lines: list[str]) -> YamlProblem:
    """Where the mistake is and what to do, in French.

    YAML reports where it gave up, which is often far from the mistake: an unclosed quote swallows the lines
    after it until the next quote, and the error comes twenty lines below. So the common mistakes are looked for
    first where they are made (the quote that opens, the brace, the key without its space), then YAML's own
    place is explained."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    problem = str(getattr(err, "problem", "") or "")
    context = str(getattr(err, "context", "") or "")
    opened = getattr(err, "context_mark", None)
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    text = str(err)
    if "\t" in problem or "'\\t'" in problem or ("\t" in source[: column] and "tab" in text):
        return YamlProblem(line, column, "tabulation interdite : en YAML, indentez avec des espaces (remplacez la "
                                         "tabulation de cette ligne par des espaces)")
    if "unacceptable character" in text or "special characters are not allowed" in text:
        position = getattr(err, "position", None)
        return YamlProblem(line, column, "caractère non imprimable dans le fichier (fichier binaire ?) "
                           + (f"à la position {position}" if position is not None else ""))
    if "expected a single document" in text:
        return YamlProblem(line, column, "un seul document par fichier : retirez la ligne « --- » "
                                         "ou séparez le contenu en deux fichiers")
    quote = unclosed_quote(lines, line)
    if quote is not None:
        return quote
    if "while parsing a flow" in context and opened is not None:
        what = "crochet « [ » ouvert ici et jamais refermé" if "sequence" in context else \
            "accolade « { » ouverte ici et jamais refermée"
        closing = "]" if "sequence" in context else "}"
        return YamlProblem(opened.line + 1, opened.column + 1,
                           f"{what} : ajoutez « {closing} » à la fin de la valeur (YAML s’est arrêté ligne {line})")
    for number in ([opened.line + 1] if opened is not None else []) + [line, line - 1]:
        glued = _glued_colon(lines[number - 1] if 0 < number <= len(lines) else "")
        if glued:
            key, value = glued
            return YamlProblem(number, 1 + lines[number - 1].index(f"{key}:"),
                               f"il manque une espace après « : » dans « {key}:{value} » : écrivez « {key}: {value} »")
    if "could not find expected ':'" in text and "simple key" in context and opened is not None:
        missing = _missing_colon(lines[opened.line] if opened.line < len(lines) else "")
        if missing:
            return YamlProblem(opened.line + 1, opened.column + 1, missing)
    stripped = source.split("#", 1)[0]
    for marker in (": >", ": |", ": !", ": &", ": *", ": @", ": `", ": %"):
        if marker in stripped:
            return YamlProblem(line, column, f"la valeur commence par « {marker[2]} », un caractère spécial en "
                                             "YAML : mettez-la entre guillemets, par exemple \">= 300\"")
    if "mapping values are not allowed" in text:
        return _unexpected_colon(lines, line, column)
    if any(n in text for n in ("expected <block end>", "did not find expected key",
                               "did not find expected '-' indicator", "could not find expected ':'")):
        return YamlProblem(line, column, "indentation incohérente : " + _alignment(lines, line))
    hints = {
        "found undefined alias": "alias inconnu (« * ») : mettez la valeur entre guillemets",
        "found unexpected end of stream": "fin de fichier inattendue : un guillemet ou un crochet n’est pas refermé",
        "while scanning a quoted scalar": "guillemet non refermé : ajoutez le guillemet fermant à la fin de la valeur",
        "while parsing a flow": "crochet ou accolade non refermé(e)",
        "expected '<document start>'": "cette ligne ne se rattache à aucune clé : au premier niveau, chaque ligne "
                                       "est de la forme « clé: valeur » (vérifiez son indentation)",
    }
    for needle, message in hints.items():
        if needle in text:
            return YamlProblem(line, column, message)
    # YAML's own words are English and rarely point at the mistake: the advice covers what usually causes it.
    return YamlProblem(line, column, "YAML illisible ici : vérifiez cette ligne et la précédente (un guillemet "
                                     "ou un crochet non refermé, une indentation décalée, un « : » sans espace "
                                     "après, une valeur qui commence par un caractère spécial)")


_KEY = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w.]*)\s*:(?:\s|$)")
_GLUED = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w.]*):([^\s:/\\][^#]*?)\s*(?:#.*)?$")
_BLOCK_SCALAR = re.compile(r":\s+[|>][-+0-9]*\s*(?:#.*)?$")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _meaningful(lines: list[str], before: int) -> int | None:
    """The 1-based number of the last line before ``before`` that is neither blank nor a comment."""
    for number in range(before - 1, 0, -1):
        if lines[number - 1].strip() and not lines[number - 1].lstrip().startswith("#"):
            return number
    return None


def _alignment(lines: list[str], line: int) -> str:
    """What to align line ``line`` on: the keys around it."""
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    previous = _meaningful(lines, line)
    if previous is None or not here.strip():
        return "alignez cette ligne sur les clés de même niveau"
    was, now = _indent(lines[previous - 1]), _indent(here)
    if now == was:
        return (f"cette ligne et la précédente (ligne {previous}) commencent en colonne {now + 1}, mais n’ont pas "
                "le même rôle : vérifiez leurs « - » et leur indentation")
    return (f"cette ligne commence en colonne {now + 1}, la précédente (ligne {previous}) en colonne {was + 1} : "
            "alignez les clés d’un même bloc exactement sur la même colonne, avec des espaces")


def _unexpected_colon(lines: list[str], line: int, column: int) -> YamlProblem:
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    key = _KEY.match(here)
    if key is not None and key.end(1) + 1 < column:  # a second « : » after the key's: the value holds one
        value = here[key.end():].split(" #", 1)[0].strip()
        return YamlProblem(line, column, f"la valeur de « {key.group(1)} » contient « : » ({value}) : mettez-la entre "
                                         f"guillemets, {key.group(1)}: \"{value}\"")
    previous = _meaningful(lines, line)
    if previous is not None and _indent(here) > _indent(lines[previous - 1]):
        return YamlProblem(line, 1 + _indent(here),
                           f"cette ligne est plus indentée que la précédente (ligne {previous}, colonne "
                           f"{_indent(lines[previous - 1]) + 1}) : si c’est une clé du même bloc, alignez-la dessus ; "
                           "si c’est la suite d’une valeur, mettez la valeur entière entre guillemets")
    return YamlProblem(line, column, "un « : » inattendu : une valeur qui contient « : » doit être entre "
                                     "guillemets, ou l’indentation de cette ligne est fausse")


def _missing_colon(text: str) -> str | None:
    """``scenario particuliers``: a key and its value without the « : » between them."""
    words = text.split("#", 1)[0].strip().removeprefix("- ").split(None, 1)
    if len(words) == 2 and re.fullmatch(r"[A-Za-z_][\w.]*", words[0]) and ":" not in words[0]:
        return (f"il manque « : » après « {words[0]} » : écrivez « {words[0]}: {words[1]} » (une clé, deux-points, "
                "une espace, puis la valeur)")
    return None


def _glued_colon(text: str) -> tuple[str, str] | None:
    """``tone:formel`` (no space after the colon: YAML reads one word, not a key and its value)."""
    if "\"" in text or "'" in text or "{" in text or "[" in text:
        return None
    match = _GLUED.match(text)
    return (match.group(1), match.group(2)) if match else None


def _quote_end(text: str, start: int, quote: str) -> int | None:
    """Index of the quote closing the scalar opened before ``start`` on this text, or None."""
    i = start
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and text[i + 1: i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return None


def _opening_quote(text: str, start: int) -> tuple[int, str] | None:
    """The first quote from ``start`` that opens a quoted value (after « : », « - », « [ », « { », « , » or at the
    start), skipping comments and apostrophes inside words (« l'échéance »)."""
    before = " "
    for i in range(start, len(text)):
        c = text[i]
        if c == "#" and (i == 0 or text[i - 1] in " \t"):
            return None
        if c in "'\"" and ((before in ":-[{,?" and (i == 0 or text[i - 1] in " [{,")) or i == start == 0
                            or not text[:i].strip()):
            return i, c
        if not c.isspace():
            before = c if c in ":-[{,?" else "x"
    return None


def unclosed_quote(lines: list[str], failed_at: int) -> YamlProblem | None:
    """A quote opened on a line and not closed on it, at or before the line where YAML failed, whose value then
    runs over lines that look like keys (« channel: email »): the mistake is where the quote opens."""
    number, block_indent = 0, None
    while number < min(failed_at, len(lines)):
        number += 1
        text = lines[number - 1]
        if block_indent is not None:  # inside a « | » or « > » block: text, quotes and all
            if not text.strip() or _indent(text) > block_indent:
                continue
            block_indent = None
        if _BLOCK_SCALAR.search(text.split(" #", 1)[0] if '"' not in text else text):
            block_indent = _indent(text)
            continue
        start = 0
        while True:
            found = _opening_quote(text, start)
            if found is None:
                break
            column, quote = found
            end = _quote_end(text, column + 1, quote)
            if end is not None:
                start = end + 1
                continue
            # Open at the end of the line: where does it close, and what did it swallow on the way?
            swallowed_keys, closing = False, None
            for later in range(number + 1, len(lines) + 1):
                end = _quote_end(lines[later - 1], 0, quote)
                if end is not None:
                    closing = later
                    swallowed_keys = swallowed_keys or bool(_KEY.match(lines[later - 1][:end]))
                    break
                swallowed_keys = swallowed_keys or bool(_KEY.match(lines[later - 1]))
            if closing is None or swallowed_keys:
                sign = "« \" »" if quote == '"' else "« ' »"
                runs = ("jusqu’à la fin du fichier" if closing is None
                        else f"jusqu’au guillemet suivant, ligne {closing}")
                return YamlProblem(number, column + 1,
                                   f"guillemet {sign} ouvert ici et jamais refermé sur la ligne : la suite est lue "
                                   f"comme une seule valeur, {runs}. Ajoutez le guillemet fermant à la fin de "
                                   f"la valeur, par exemple {_closed(text, column, quote)}")
            number, text, start = closing, lines[closing - 1], (_quote_end(lines[closing - 1], 0, quote) or 0) + 1
            continue
    return None


def _closed(text: str, column: int, quote: str) -> str:
    value = text[column:].rstrip()
    if value.endswith(("}", "]")) and not value.startswith(quote + value[-1]):
        return f"« {text.strip()[:-1].rstrip()}{quote}{value[-1]} »"
    return f"« {text.strip()}{quote} »"


class _Walker:
    def __init__(self, out: YamlFile) -> None:
        self.out = out
        self.visits = 0  # every node visit: the work done, linear in the file plus the bounded alias expansion
        self.seen: set[int] = set()
        self.repeated = 0

    def plain(self, node: Node, path: JsonPath, key_mark: tuple[int, int] | None = None) -> Any:
        self.visits += 1
        # An alias is the anchored node itself, met again: only such repeats can blow up, so only they are
        # bounded (a valid 1 MB file of short flow lists has well over 200 000 nodes of its own).
        if id(node) in self.seen:
            self.repeated += 1
            if self.repeated > MAX_ALIAS_NODES:
                raise _Stop(node.start_mark.line + 1, node.start_mark.column + 1,
                            "fichier trop complexe (trop d’alias « * » imbriqués)")
        else:
            self.seen.add(id(node))
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        kl, kc = key_mark or (line, column)
        self.out.spots.setdefault(path, Spot(line, column, kl, kc))
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            return [self.plain(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        raise _Stop(line, column, "élément YAML non pris en charge")

    def _mapping(self, node: MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, tuple[int, int]] = {}
        merged: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            if str(key_node.tag) == YAML_TAG + "merge":
                value = self.plain(value_node, path)
                merged.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict))
                continue
            if not isinstance(key_node, ScalarNode):
                raise _Stop(key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                            "une clé doit être un simple mot, pas une liste ou un bloc")
            key = str(key_node.value)
            where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                first = seen[key]
                self.out.problems.append(YamlProblem(
                    *where, f"la clé « {key} » apparaît deux fois dans ce bloc (déjà ligne {first[0]}, "
                            f"colonne {first[1]}) : ne gardez qu’une des deux"))
                continue
            seen[key] = where
            result[key] = self.plain(value_node, (*path, key), where)
        for extra in merged:
            for key, value in extra.items():
                result.setdefault(key, value)
        return result

    @staticmethod
    def _scalar(node: ScalarNode) -> Any:
        tag, text = str(node.tag), str(node.value)
        if not tag.startswith(YAML_TAG):
            raise _Stop(node.start_mark.line + 1, node.start_mark.column + 1,
                        f"« {tag} » est lu comme une étiquette YAML : mettez la valeur entre guillemets, "
                        f"par exemple \"{tag} {text}\"".replace("  ", " "))
        kind = tag[len(YAML_TAG):]
        if node.style == ">":
            # ruamel.yaml's round-trip scanner marks where a folded scalar was folded with BEL characters, which
            # its constructor removes; reading the nodes ourselves, so must we (a « name: > » kept a \a).
            text = text.replace("\a", "")
        if node.style is not None and node.style in ("'", '"'):
            return text
        if kind == "int":
            try:
                return int(text.replace("_", ""), 0)
            except ValueError:
                return text
        if kind == "float":
            try:
                number = Decimal(text.replace("_", ""))
            except InvalidOperation:
                return text
            return number if number.is_finite() else text
        if kind == "bool":
            return text.lower() in ("true", "yes", "on")
        if kind == "null":
            return None
        return text  # str, and timestamps kept as written: dates are read where their field is known
