"""Rules checked when the layer is built ship with their digest, and load without being checked again.

``sam build`` (the Makefile's ``build-RulesLayer``) runs the whole check — YAML, JSON Schema, semantics and
every template — and writes ``.checked.json`` beside the rules: the digest of the rule files, the fingerprint
of the checker that passed them, the merged sections and where each step and segment was written. A function
whose rule files and checker still have those digests builds its rules from that record: no YAML parser, no
JSON Schema, no holiday library at cold start. Any mismatch — a file edited in the layer, another relance —
and the rules go through the full check, as if the record were not there.

    python -m relance.rules.ship rules/ $ARTIFACTS_DIR/rules/   # check rules/, write the record there
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

CHECKED_FILE = ".checked.json"
FORMAT = 2  # 2: the calendar's time zone, read without building the rules (recorded_timezone)
_PACKAGE = Path(__file__).resolve().parents[1]


def rules_digest(files: Iterable[tuple[str, bytes]]) -> str:
    """The digest of the rule files (name and bytes, in order): the one :class:`Rules` carries."""
    digest = hashlib.sha256()
    for name, raw in files:
        digest.update(name.encode() + b"\0" + raw + b"\0")
    return digest.hexdigest()


def checker_fingerprint() -> str:
    """The code and data that decide whether rules pass: the rules package and the domain (schema, loader,
    conditions, rates, courts). A record written by another version of them is not trusted."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for folder in ("rules", "domain"):
        for path in sorted((_PACKAGE / folder).iterdir()):
            if path.suffix in (".py", ".json") and path.is_file():
                digest.update(f"{folder}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def shipped_record(directory: Path) -> dict[str, Any] | None:
    """The record of the rule files of ``directory`` as they are now, when one holds; else None."""
    if not directory.is_dir():
        return None
    try:
        files = [(p.name, p.read_bytes()) for p in rule_files(directory)]
    except OSError:
        return None
    return read_record(directory, rules_digest(files)) if files else None


def recorded_timezone(directory: Path) -> str | None:
    """The time zone of the rules' calendar, as the check that passed them built it: the company's, the one
    source of every « today ». None when no record holds (the caller loads the rules).

    A function that reads no other rule (the payment webhook) learns it without building the rules."""
    record = shipped_record(directory)
    timezone = record.get("timezone") if record is not None else None
    return timezone if isinstance(timezone, str) and timezone else None


def read_record(directory: Path, digest: str) -> dict[str, Any] | None:
    """The record beside the rules, when it was written for exactly these files by this checker; else None."""
    try:
        record = json.loads((directory / CHECKED_FILE).read_bytes(), object_hook=_decode)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # unreadable or truncated: the full check will say what is wrong with the rules, if anything
    if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("digest") != digest \
            or record.get("checker") != checker_fingerprint():
        return None
    return record


def encode_data(value: Any) -> Any:
    """Plain YAML data as JSON can hold it: a decimal keeps its digits, a mapping with other keys than
    strings keeps them (the YAML reader yields dict, list, str, int, Decimal, bool and None)."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode_data(v) for k, v in value.items()}
        return {"$map": [[encode_data(k), encode_data(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode_data(v) for v in value]
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"cannot record a {type(value).__name__} in {CHECKED_FILE}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$decimal" in obj:
            return Decimal(obj["$decimal"])
        if "$map" in obj:
            return {k: v for k, v in obj["$map"]}
    return obj
