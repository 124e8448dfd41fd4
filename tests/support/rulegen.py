"""A large, valid rule file for load-time figures and work counts: many segments with conditions routing
to a few long scenarios, so that both the segments and the steps grow with the size asked for."""

from __future__ import annotations

from pathlib import Path

from relance.domain.terms import DEFAULT_TONES

SAMPLE_RULES = Path(__file__).resolve().parents[2] / "rules"
COMPANY = """\
company:
  name: Atelier Test
  legal_form: SAS
  siren: "732829320"
  address: {line1: 1 rue Neuve, postal_code: "69001", city: Lyon, country: FR}
  email: compta@test.example
  iban: FR7630006000011234567890189
  signatory: Camille Test, présidente
"""
SCENARIOS = 4
_CHANNELS = ("email", "email", "phone", "letter")
_TONES = DEFAULT_TONES


def _segment(i: int) -> str:
    return (f"  - name: segment_{i}\n"
            f"    when:\n"
            f"      customer.kind: {'business' if i % 2 else 'consumer'}\n"
            f"      customer.language: [fr, en]\n"
            f"      invoice.amount_due: \">= {100 + i}\"\n"
            f"      any:\n"
            f"        - customer.tags: {{contains: tag_{i}}}\n"
            f"        - invoice.extra.chantier: {{exists: true}}\n"
            f"        - invoice.due_date: \"< 2026-0{1 + i % 9}-1{i % 10}\"\n"
            f"    scenario: scenario_{i % SCENARIOS}\n")


def _step(k: int, steps: int) -> str:
    tone = _TONES[min(3, k * 4 // steps)]
    at = k - 1000
    if k % 10:
        return f"      - {{id: etape_{k}, at: J{at:+d}, channel: {_CHANNELS[k % 4]}, tone: {tone}}}\n"
    return (f"      - id: etape_{k}\n        at: J{at:+d}\n        channel: email\n        tone: {tone}\n"
            f"        when: {{customer.language: [fr, en], invoice.amount: \"> {k}\"}}\n")


def big_rules(size: int) -> str:
    """A rule file without error of about ``size`` bytes: half segments, half scenarios."""
    steps = 1
    while len("".join(_step(k, steps) for k in range(steps))) * SCENARIOS < size // 2:
        steps = steps * 2
    low, high = steps // 2, steps
    while high - low > 1:
        mid = (low + high) // 2
        if len("".join(_step(k, mid) for k in range(mid))) * SCENARIOS < size // 2:
            low = mid
        else:
            high = mid
    steps = high
    assert steps - 1000 <= 3650, "a larger file needs more scenarios: delays stop at J+3650"
    scenarios = "".join(f"  scenario_{i}:\n    steps:\n" + "".join(_step(k, steps) for k in range(steps))
                        for i in range(SCENARIOS))
    segments: list[str] = []
    used = len(scenarios)
    while used < size - 100:
        segments.append(_segment(len(segments)))
        used += len(segments[-1])
    return ("version: 1\nsegments:\n" + "".join(segments) + "  - name: reste\n    scenario: scenario_0\n"
            + "scenarios:\n" + scenarios)


def write_big_rules(directory: Path, size: int) -> Path:
    """``directory`` with the big rule file, the sample templates and their copies in English (fr and en are routed)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rules.yaml").write_text(big_rules(size), encoding="utf-8")
    for source in (SAMPLE_RULES / "templates").rglob("*.fr.j2"):
        for language in ("fr", "en"):
            target = directory / "templates" / source.parent.name / source.name.replace(".fr.", f".{language}.")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (directory / "company.yaml").write_text(COMPANY, encoding="utf-8")
    return directory
