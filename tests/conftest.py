"""Shared test helpers: rule directories written from text, the bundled sample."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_RULES = REPO / "rules"

MINIMAL_RULES = """\
version: 1
segments:
  - name: tous
    scenario: standard
scenarios:
  standard:
    steps:
      - {id: preventif, at: J-3, channel: email, tone: courtois}
      - {id: relance_1, at: J+5, channel: email, tone: courtois}
      - {id: appel, at: J+15, channel: phone, tone: factuel}
      - {id: mise_en_demeure, at: J+30, channel: registered_letter, tone: formel}
"""


@pytest.fixture
def rules_dir(tmp_path: Path):
    """Write rule files (name → YAML text) into a fresh directory and return it."""

    def write(files: dict[str, str] | str | None = None, *, templates: dict[str, str] | None = None) -> Path:
        root = tmp_path / "rules"
        root.mkdir(exist_ok=True)
        if files is None:
            files = MINIMAL_RULES
        if isinstance(files, str):
            files = {"rules.yaml": files}
        for name, text in files.items():
            (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
        for name, text in (templates or {}).items():
            path = root / "templates" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return write
