"""France's public holidays ship as a precomputed table: it says what the ``holidays`` library says."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import holidays
import pytest

from relance.domain.calendar import BusinessCalendar, CalendarSettings
from relance.domain.legal import next_working_day
from relance.domain.model import Address
from relance.domain.public_holidays import FIRST_YEAR, LAST_YEAR, Holidays, library_table

SUBDIVISIONS = [None, *holidays.list_supported_countries()["FR"]]


@pytest.mark.parametrize("subdivision", SUBDIVISIONS)
def test_the_shipped_table_equals_the_library_for_every_year_a_date_may_take(subdivision):
    library = library_table("FR", subdivision, range(FIRST_YEAR, LAST_YEAR + 1))
    shipped = Holidays("FR", subdivision)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        days = {date(year, 1, 1).toordinal() + i for i in range(366)}
        got = {day: shipped.get(day) for day in map(date.fromordinal, days) if day.year == year}
        assert {d: n for d, n in got.items() if n is not None} == \
            {d: n for d, n in library.items() if d.year == year}, year


def test_known_holidays_by_name():
    assert Holidays("FR", None).get(date(2026, 7, 14)) == "Fête nationale"
    assert Holidays("FR", "57").get(date(2026, 12, 26)) == "Saint-Étienne"
    assert date(2026, 12, 26) not in Holidays("FR", None)
    assert Holidays("FR", "972").get(date(2026, 5, 22)) == "Abolition de l'esclavage"


def test_another_country_and_years_outside_the_table_ask_the_library():
    assert Holidays("BE", None).get(date(2026, 7, 21)) == library_table("BE", None).get(date(2026, 7, 21))
    assert date(2026, 7, 21) in Holidays("BE", None)
    assert date(FIRST_YEAR - 1, 7, 14) in Holidays("FR", None)


def test_a_french_calendar_and_the_legal_deadline_never_import_the_library():
    code = ("import sys\n"
            "from datetime import date\n"
            "from relance.domain.calendar import BusinessCalendar, CalendarSettings\n"
            "from relance.domain.legal import next_working_day\n"
            "from relance.domain.model import Address\n"
            "c = BusinessCalendar(CalendarSettings(country='FR', subdivision='57'))\n"
            "assert not c.is_business_day(date(2026, 12, 25)) and not c.is_business_day(date(2026, 12, 26))\n"
            "assert next_working_day(date(2026, 12, 25), Address('1 rue A', '', '57000', 'Metz')) "
            "== date(2026, 12, 28)\n"
            "print('holidays' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_calendar_and_the_deadline_answer_as_before():
    calendar = BusinessCalendar(CalendarSettings(country="FR"))
    assert calendar.holiday_name(date(2026, 11, 11)) == "Armistice"
    assert calendar.on_or_after(date(2026, 12, 25)) == date(2026, 12, 28)
    assert next_working_day(date(2026, 8, 15), Address("1 rue A", "", "69001", "Lyon")) == date(2026, 8, 17)
