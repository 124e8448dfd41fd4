"""The published JSON Schema of a rule file, and its errors told in plain French."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .conditions import closest, did_you_mean

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

JsonPath = tuple[str | int, ...]
# Ten years either side of the due date: beyond it even a judgment can no longer be enforced (art. L111-4 CPCE;
# a trade debt is time-barred after five, art. L110-4 C. com.), and due date + delay stays far from date.max.
MAX_AT_DAYS = 3650
_FAR_DELAY = re.compile(r"J[+-][0-9]+")
SECTIONS = ("version", "segments", "scenarios", "calendar", "pause", "tones", "company", "legal", "contact", "rates",
            "courts", "portal", "fallback_language", "replies")
_TYPE_NAMES = {"string": "un texte", "integer": "un nombre entier", "number": "un nombre", "boolean": "true ou false",
               "object": "un bloc de clés (« clé: valeur »)", "array": "une liste (lignes commençant par « - »)",
               "null": "vide"}


def schema_text() -> str:
    return resources.files("relance.rules").joinpath("schema.json").read_text(encoding="utf-8")


@cache
def schema() -> dict[str, Any]:
    return json.loads(schema_text())


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # ~90 ms: paid when rules are checked, not when they are loaded

    return Draft202012Validator(schema())


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "un bloc de clés"
    if isinstance(value, list):
        return "une liste"
    if value is None:
        return "une valeur vide"
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return f"le nombre {value}"
    return f"le texte « {value} »"


def _name(path: JsonPath) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "élément"


def schema_problems(data: Any) -> Iterator[tuple[JsonPath, bool, str]]:
    """(path, points at the key?, message) for every schema violation, in file order."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    # A misspelt required key ("chanel") is one mistake: say "unknown key, did you mean channel", not also
    # "channel is missing".
    misspelt: set[tuple[JsonPath, str]] = set()
    for err in errors:
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = list(err.schema.get("properties", {}))
            for key in err.instance:
                if key not in allowed and (near := closest(str(key), allowed)):
                    misspelt.add((tuple(err.absolute_path), near))
    for err in errors:
        if err.validator == "required" and isinstance(err.instance, dict):
            missing = [k for k in err.validator_value if k not in err.instance]
            if all((tuple(err.absolute_path), k) in misspelt for k in missing):
                continue
        yield from _translate(err)


def _translate(err: ValidationError) -> Iterator[tuple[JsonPath, bool, str]]:
    path: JsonPath = tuple(err.absolute_path)
    name, value, kind = _name(path), err.instance, err.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(err.schema.get("properties", {}))
        for key in value:
            if key not in allowed:
                what = "section" if not path else "clé"
                hint = did_you_mean(str(key), allowed) or (
                    f" (clés possibles : {', '.join(allowed)})" if allowed else "")
                yield (*path, key), True, f"{what} inconnue « {key} »{hint}"
        return
    if kind == "required" and isinstance(value, dict):
        for key in err.validator_value:
            if key not in value:
                where = f" dans « {name} »" if path else ""
                yield path, True, f"il manque la clé « {key} »{where}"
        return
    if kind == "type" and name == "at":
        yield path, False, _pattern_message(path, name, value)
        return
    if kind == "type":
        expected = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        wanted = " ou ".join(_TYPE_NAMES.get(t, t) for t in expected)
        hint = ""
        if "string" in expected and isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = f" : écrivez-le entre guillemets, \"{value}\""
        yield path, False, f"« {name} » doit être {wanted}, pas {_describe(value)}{hint}"
        return
    if kind == "enum":
        choices = [str(c) for c in err.validator_value]
        yield path, False, (f"« {value} » n’est pas une valeur possible pour « {name} » ({', '.join(choices)})"
                            + did_you_mean(str(value), choices))
        return
    if kind == "const":
        yield path, False, f"« {name} » doit valoir {err.validator_value}, pas {_describe(value)}"
        return
    if kind == "pattern" and path and path[-1] in ("scenarios",) and isinstance(value, str):
        # propertyNames: the bad value is a key of the mapping; point at it.
        yield (*path, value), True, (_line_break_message("nom de scénario", value, None)
                                     or f"nom de scénario « {value} » invalide : lettres minuscules sans accent, "
                                        "chiffres et _ seulement (exemple : grands_comptes)")
        return
    if kind == "pattern":
        yield path, False, _pattern_message(path, name, value)
        return
    if kind == "propertyNames":
        yield (*path, value), True, (f"nom « {value} » invalide : lettres minuscules sans accent, chiffres et _ "
                                     "seulement (exemple : grands_comptes)")
        return
    if kind in ("minItems", "minProperties"):
        yield path, False, f"« {name} » est vide : ajoutez au moins un élément"
        return
    if kind in ("minLength",):
        yield path, False, f"« {name} » ne peut pas être vide"
        return
    if kind in ("minimum", "exclusiveMinimum"):
        strict = "strictement " if kind == "exclusiveMinimum" else ""
        yield path, False, f"« {name} » doit être {strict}supérieur ou égal à {err.validator_value}, pas {value}"
        return
    if kind == "maximum":
        yield path, False, f"« {name} » doit être au plus {err.validator_value}, pas {value}"
        return
    if kind == "uniqueItems":
        yield path, False, f"« {name} » contient deux fois la même valeur"
        return
    if kind == "oneOf" and name == "late_interest":
        yield path, False, ("late_interest vaut legal (taux BCE + 10 points) ou le taux annuel de vos CGV, "
                            f"par exemple 15 — pas {_describe(value)}")
        return
    if kind == "oneOf" and name == "holidays" and isinstance(value, dict) and not isinstance(
            value.get("subdivision", ""), str):
        yield (*path, "subdivision"), False, (f"« subdivision » doit être un texte : écrivez-la entre guillemets, "
                                              f"\"{value['subdivision']}\"")
        return
    if kind == "oneOf" and name == "holidays":
        yield path, False, ("holidays vaut FR, none, ou {country: FR, subdivision: \"57\"} — "
                            f"pas {_describe(value)}")
        return
    if kind == "anyOf":
        yield path, False, (f"valeur de condition invalide pour « {name} » : une valeur, une liste de valeurs, "
                            "\">= 300\", {contains: x} ou {exists: true}")
        return
    yield path, False, f"valeur invalide pour « {name} » ({err.message})"


_PATTERN_LABELS = {"at": "délai", "id": "identifiant", "siren": "SIREN", "template": "nom de modèle",
                   "postal_code": "code postal", "vat_number": "numéro de TVA", "share_capital": "capital social",
                   "tones": "ton"}
# What YAML lets into a value without being seen: a line break from a « > » or « | » block, or written as \n.
_INVISIBLE = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x85": "\\x85", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def visible(text: str) -> str:
    """``text`` with its line breaks and control characters written out (\\n), so a message can show them."""
    return "".join(_INVISIBLE.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c) for c in text)


def _line_break_message(label: str, value: Any, key: str | None) -> str | None:
    """The message for a patterned value that only fails by an invisible character, or None."""
    if not isinstance(value, str) or visible(value) == value:
        return None
    clean = "".join(value.split()) if key in ("at", "id", "siren", "template", "tones", None) else " ".join(
        value.split())
    fix = f"{key}: {clean}" if key and key != "tones" else clean
    return (f"{label} « {visible(value)} » invalide : la valeur contient un retour à la ligne ou un caractère "
            f"invisible (bloc « > » ou « | », ou \\n entre guillemets) — écrivez-la sur la ligne de la clé : {fix}")


def far_delay_message(at: str) -> str:
    return (f"délai {at} trop éloigné de l’échéance : au plus {MAX_AT_DAYS} jours (dix ans) avant ou après, "
            f"de J-{MAX_AT_DAYS} à J+{MAX_AT_DAYS} — au-delà, même un jugement ne peut plus être exécuté")


def _pattern_message(path: JsonPath, name: str, value: Any) -> str:
    if (message := _line_break_message(_PATTERN_LABELS.get(name, f"valeur de « {name} »"), value, name)):
        return message
    if name == "at" and isinstance(value, str) and _FAR_DELAY.fullmatch(value):
        return far_delay_message(value)
    if name == "at":
        return (f"délai « {value} » invalide : écrivez J suivi de + ou - et d’un nombre de jours "
                "(J-3, J+0, J+15)")
    if name == "id":
        return (f"identifiant « {value} » invalide : lettres minuscules sans accent, chiffres et _ seulement "
                "(exemple : relance_1)")
    if name == "siren":
        return f"SIREN « {value} » invalide : 9 chiffres, sans espace, entre guillemets"
    if name == "template":
        return f"nom de modèle « {value} » invalide : lettres minuscules, chiffres, - et _ (exemple : preventif)"
    if name == "postal_code":
        return f"code postal « {value} » invalide"
    if name == "vat_number":
        return (f"numéro de TVA « {value} » invalide : le code pays puis le numéro, sans espace "
                "(exemple : FR08841273659)")
    if name == "fallback_language":
        return (f"langue de repli « {value} » invalide : un code de langue en minuscules, à deux lettres "
                "(exemple : en)")
    if name == "share_capital":
        return f"capital social « {value} » invalide : un montant en euros, sans symbole (exemple : \"50000\")"
    return f"« {value} » n’a pas la forme attendue pour « {name} »"
