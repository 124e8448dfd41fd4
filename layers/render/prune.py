"""Keep, in a built render layer, only Babel's locale data for the languages rules/templates/ is written in.

Babel ships ~1 000 locales (34 MB); relance formats only in a template's own language (``*.<lang>.j2``), so the
layer needs ``root`` and those languages with their regional variants. Usage: ``prune.py LAYER_DIR TEMPLATES_DIR``.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path


def template_languages(templates: Path) -> set[str]:
    found = {m.group(1).lower() for p in templates.rglob("*.j2") if (m := re.search(r"\.([A-Za-z]{2,3})\.j2$", p.name))}
    return found | {"fr", "en"}


def prune(layer: Path, templates: Path) -> int:
    keep = template_languages(templates)
    removed = 0
    for data in (layer / "python" / "babel" / "locale-data").glob("*.dat"):
        base = data.stem.split("_", 1)[0].lower()
        if data.stem != "root" and base not in keep:
            data.unlink()
            removed += 1
    return removed


if __name__ == "__main__":
    count = prune(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"render layer: {count} Babel locales removed, kept those of {sorted(template_languages(Path(sys.argv[2])))}")
