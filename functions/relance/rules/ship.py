"""Build time: check the rules fully and write the record :mod:`rules.shipped` reads at cold start.

    python -m relance.rules.ship rules/ $ARTIFACTS_DIR/rules/   # the Makefile's build-RulesLayer

Apart from ``shipped`` so that the loader, which reads records, never imports what writes them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .loader import load_rules_recorded
from .shipped import CHECKED_FILE, FORMAT, _encode, checker_fingerprint, encode_data


def write_record(source: Path, target: Path) -> Any:
    """Check ``source`` fully (templates included) and, when it passes, write the record into ``target``.

    Returns the LoadResult: its diagnostics say why nothing was written."""
    result, record = load_rules_recorded(source)
    if result.ok and record is not None:
        target.mkdir(parents=True, exist_ok=True)
        payload = {"format": FORMAT, "digest": result.rules.digest, "checker": checker_fingerprint(),
                   "timezone": result.rules.calendar.timezone, "sections": record["sections"],
                   "places": record["places"], "data": encode_data(record["data"])}
        (target / CHECKED_FILE).write_text(json.dumps(payload, default=_encode, ensure_ascii=False,
                                                      separators=(",", ":")), encoding="utf-8")
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m relance.rules.ship SOURCE_DIR TARGET_DIR", file=sys.stderr)
        return 2
    result = write_record(Path(argv[0]), Path(argv[1]))
    for diagnostic in result.diagnostics:
        print(diagnostic, file=sys.stderr)
    if not result.ok:
        print(f"{argv[0]}: rules invalid, the layer is not built", file=sys.stderr)
        return 1
    print(f"{argv[1]}/{CHECKED_FILE}: rules checked, digest {result.rules.digest[:12]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
