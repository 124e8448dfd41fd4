"""One time-zone source: the rules' calendar. Every « today » of the functions and the CLI derives from it.

Before, the payment webhook read COMPANY_TIMEZONE from its settings, `relance invoice` hard-coded Europe/Paris
and Merci Facteur's callback dates defaulted to Paris: a company in Martinique or Nouméa whose rules said so
had payments dated on one day and reminders planned on another.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from relance.app.clock import Clock
from relance.app.runtime import Runtime
from relance.rules import ship
from relance.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "functions" / "relance"
ZONE = "Pacific/Noumea"  # UTC+11: 14:00 UTC on 23 November is already the 24th there


@pytest.fixture
def rules(tmp_path) -> Path:
    """The sample rules, the company in Nouméa."""
    source = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", source)
    main_file = source / "relance.yaml"
    text = main_file.read_text(encoding="utf-8")
    assert "timezone: Europe/Paris" in text
    main_file.write_text(text.replace("timezone: Europe/Paris", f"timezone: {ZONE}"), encoding="utf-8")
    return source


@pytest.fixture
def layer(rules, tmp_path) -> Path:
    """The same rules as the layer ships them: with the record of their check."""
    target = tmp_path / "layer"
    shutil.copytree(rules, target)
    assert ship.write_record(rules, target).ok
    return target


def test_a_function_reads_the_company_s_time_zone_from_the_shipped_rules_without_building_them(layer):
    runtime = Runtime(Settings(table_name="t", rules_dir=layer))

    assert runtime.timezone == ZONE
    assert "rules" not in runtime.__dict__  # the webhook learns the zone without loading the rules
    assert runtime.clock.zone == ZoneInfo(ZONE)
    assert runtime.rules.calendar.timezone == ZONE  # the same answer as the rules themselves


def test_without_a_record_the_time_zone_comes_from_the_loaded_rules(rules):
    runtime = Runtime(Settings(table_name="t", rules_dir=rules))
    assert runtime.timezone == ZONE


def test_the_company_s_day_is_the_rules_day_not_utc_s():
    arrived = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert Clock(ZONE, wall=lambda: arrived).today() == date(2026, 11, 24)
    assert Clock("Europe/Paris", wall=lambda: arrived).today() == date(2026, 11, 23)


def test_the_settings_hold_no_time_zone_of_their_own():
    assert not any("timezone" in name for name in Settings.__slots__)
    assert "COMPANY_TIMEZONE" not in (ROOT / "template.yaml").read_text(encoding="utf-8")


def test_no_code_outside_the_rules_names_a_time_zone():
    """A literal zone anywhere else would be a second source (the rules' default lives in rules/loader.py; the
    local demo's sample data are written for the sample rules)."""
    allowed = {PACKAGE / "rules" / "loader.py", PACKAGE / "domain" / "calendar.py", PACKAGE / "local" / "demo.py"}
    named = [f"{path.relative_to(PACKAGE)}:{n}" for path in PACKAGE.rglob("*.py") if path not in allowed
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"ZoneInfo\(\s*[\"']|[\"'](Europe|America|Pacific|Indian|UTC)/?\w*[\"']", line)
             and not line.lstrip().startswith("#")]
    assert named == []
