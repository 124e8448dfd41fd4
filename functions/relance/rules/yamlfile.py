"""Read one YAML rule file into plain data, remembering where every key and value was written.

We walk ruamel.yaml's node graph ourselves rather than constructing objects, so that a duplicate key
names both its places, an alias bomb is stopped, and a stray YAML tag (an unquoted ``!= x``) gets a
hint instead of an obscure error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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
        out.problems.append(YamlProblem(1, 1, f"impossible de lire le fichier ({err.strerror})"))
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
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    problem = str(getattr(err, "problem", "") or "")
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in problem or "'\\t'" in problem or ("\t" in source[: column] and "tab" in str(err)):
        return YamlProblem(line, column, "tabulation interdite : en YAML, indentez avec des espaces")
    if "unacceptable character" in str(err) or "special characters are not allowed" in str(err):
        position = getattr(err, "position", None)
        return YamlProblem(line, column, "caractère non imprimable dans le fichier (fichier binaire ?) "
                           + (f"à la position {position}" if position is not None else ""))
    if "expected a single document" in str(err):
        return YamlProblem(line, column, "un seul document par fichier : retirez la ligne « --- » "
                                         "ou séparez le contenu en deux fichiers")
    stripped = source.split("#", 1)[0]
    for marker in (": >", ": |", ": !", ": &", ": *", ": @", ": `", ": %"):
        if marker in stripped:
            return YamlProblem(line, column, f"la valeur commence par « {marker[2]} », un caractère spécial en "
                                             "YAML : mettez-la entre guillemets, par exemple \">= 300\"")
    hints = {
        "mapping values are not allowed": "un « : » inattendu : une valeur qui contient « : » doit être entre "
                                          "guillemets, ou l’indentation de cette ligne est fausse",
        "could not find expected ':'": "il manque « : » entre une clé et sa valeur, ou l’indentation est fausse",
        "did not find expected key": "indentation incohérente : alignez cette ligne sur les clés de même niveau",
        "did not find expected '-' indicator": "indentation incohérente dans une liste : alignez les « - »",
        "found undefined alias": "alias inconnu (« * ») : mettez la valeur entre guillemets",
        "found unexpected end of stream": "fin de fichier inattendue : un guillemet ou un crochet n’est pas refermé",
        "while scanning a quoted scalar": "guillemet non refermé",
        "while parsing a flow": "crochet ou accolade non refermé(e)",
        "expected <block end>": "indentation incohérente : cette ligne n’est pas alignée avec les précédentes",
    }
    text = str(err)
    for needle, message in hints.items():
        if needle in text:
            return YamlProblem(line, column, message)
    return YamlProblem(line, column, f"YAML illisible ici ({problem or 'erreur de syntaxe'})")


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
