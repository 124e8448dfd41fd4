"""Loading and checking rules costs work in proportion to the file, whatever its shape.

Work is counted, not timed: the number of function calls (ours, ruamel's, jsonschema's, the builtins')
made by one load, for a file and for the same kind of file four times larger. Linear work grows about
four times; the shapes below used to grow with the square of the file (segments × steps in the template
check, mistakes × scenarios in the suggestions, a mixed list compared two by two by uniqueItems).
"""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path

import pytest

from relance.rules import yamlfile
from relance.rules.loader import load_rules

from ..support.rulegen import big_rules, write_big_rules

GROWTH_LIMIT = 4 * 1.15  # four times the file: a little more than four times the work, never sixteen


def work(directory: Path, *, check_templates: bool = False) -> tuple[int, int]:
    """(every call made during the load, the calls made by relance's own code)."""
    profile = cProfile.Profile()
    profile.enable()
    load_rules(directory, check_templates=check_templates)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    every = sum(entry[1] for entry in stats.values())
    ours = sum(calls[1] for entry in stats.values() for caller, calls in entry[4].items() if "/relance/" in caller[0])
    return every, ours


def growth(tmp_path: Path, write, small: int, check_templates: bool = False) -> tuple[float, float]:
    first, second = tmp_path / "small", tmp_path / "large"
    write(first, small)
    write(second, 4 * small)
    sizes = [sum(f.stat().st_size for f in d.glob("*.yaml")) for d in (first, second)]
    assert 3.8 < sizes[1] / sizes[0] < 4.2
    (every_small, ours_small), (every_large, ours_large) = (work(d, check_templates=check_templates)
                                                            for d in (first, second))
    return every_large / every_small, ours_large / ours_small


def test_checking_many_segments_that_share_long_scenarios_is_linear(tmp_path):
    # At this size the parser and the template rendering hide the rest: count the work of relance's own code.
    every, ours = growth(tmp_path, write_big_rules, 30_000, check_templates=True)
    assert every < GROWTH_LIMIT and ours < GROWTH_LIMIT, (every, ours)


def _write(text_of):
    def write(directory: Path, size: int) -> None:
        directory.mkdir()
        (directory / "rules.yaml").write_text(text_of(size), encoding="utf-8")

    return write


def _misspelt_scenarios(size: int) -> str:
    n = size // 120
    segments = "".join(f"  - name: s{i}\n    scenario: scenario_{i}_x\n" for i in range(n))
    scenarios = "".join(f"  scenario_{i}:\n    steps: [{{id: a, at: J+1, channel: phone, tone: courtois}}]\n"
                        for i in range(n))
    return "version: 1\nsegments:\n" + segments + "scenarios:\n" + scenarios


def _mixed_tones(size: int) -> str:
    return big_rules(2_000) + "tones: [" + ", ".join(f"t{i}, {i}" for i in range(size // 10)) + "]\n"


@pytest.mark.parametrize("text_of", [_misspelt_scenarios, _mixed_tones], ids=["misspelt scenarios", "mixed tones"])
def test_reporting_thousands_of_mistakes_is_linear(tmp_path, text_of):
    every, ours = growth(tmp_path, _write(text_of), 20_000)
    assert every < GROWTH_LIMIT and ours < GROWTH_LIMIT, (every, ours)
    assert not load_rules(tmp_path / "large").ok


def test_node_visits_are_the_file_s_own_nodes_when_it_has_no_alias(tmp_path, monkeypatch):
    visits: list[int] = []
    real = yamlfile._Walker.plain

    def counted(self, node, path, key_mark=None):
        result = real(self, node, path, key_mark)
        if not path:
            visits.append(self.visits)
        return result

    monkeypatch.setattr(yamlfile._Walker, "plain", counted)
    monkeypatch.setattr(yamlfile, "MAX_ALIAS_NODES", 10)
    per_load = []
    for size in (10_000, 40_000):
        write_big_rules(tmp_path / str(size), size)
        visits.clear()
        assert load_rules(tmp_path / str(size)).ok  # far more than 10 nodes, none of them repeated by an alias
        per_load.append(sum(visits))
    assert 3.6 < per_load[1] / per_load[0] < 4.4
