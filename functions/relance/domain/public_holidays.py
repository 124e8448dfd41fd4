"""French public holidays, precomputed over the years a date may take (domain.bounds), shipped as data.

Importing ``holidays`` and building a country's table costs ~60 ms at every cold start; the table of France
and its subdivisions (Alsace-Moselle, overseas) changes only with the law, and the library's answers are
written once into ``public_holidays.json`` (``python -m relance.domain.public_holidays`` writes it again; a
test checks it equals the library's, year by year). Another country, or a year outside the table, falls back
to the library, imported then.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from .bounds import DATE_MAX, DATE_MIN

COUNTRY = "FR"
FIRST_YEAR, LAST_YEAR = DATE_MIN.year, DATE_MAX.year
DATA_FILE = "public_holidays.json"


class Holidays:
    """``day in table`` and ``table.get(day)`` (the holiday's French name), like the library's tables."""

    def __init__(self, country: str, subdivision: str | None) -> None:
        self.country, self.subdivision = country, subdivision
        self._years: dict[int, dict[date, str]] = {}
        self._library: Any = None
        shipped = _shipped() if country == COUNTRY else None
        self._base = shipped["years"] if shipped is not None else None
        self._extra = ((shipped["subdivisions"].get(subdivision) if subdivision else {})
                       if shipped is not None else None)
        if shipped is not None and subdivision and self._extra is None:
            self._base = None  # a subdivision the table does not know: the library answers (and checks it)

    def get(self, day: date) -> str | None:
        if self._base is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
            return self._fallback().get(day)
        year = self._years.get(day.year)
        if year is None:
            key = str(day.year)
            year = self._years[day.year] = {date(day.year, int(md[:2]), int(md[3:])): name
                                            for md, name in [*self._base.get(key, []),
                                                             *(self._extra or {}).get(key, [])]}
        return year.get(day)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.get(day) is not None

    def _fallback(self) -> Any:
        if self._library is None:
            self._library = library_table(self.country, self.subdivision)
        return self._library


def library_table(country: str, subdivision: str | None, years: Any = None) -> Any:
    import holidays  # ~60 ms: only for what the shipped table does not cover

    return holidays.country_holidays(country, subdiv=subdivision, years=years, language="fr")


@cache
def _shipped() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8"))


def _by_year(table: dict[date, str], base: dict[date, str] | None = None) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for day, name in sorted(table.items()):
        if base is not None and base.get(day) == name:
            continue
        out.setdefault(str(day.year), []).append([day.strftime("%m-%d"), name])
    return out


def compute() -> dict[str, Any]:
    """The table from the library: France's holidays by year, each subdivision's own on top."""
    import holidays

    years = range(FIRST_YEAR, LAST_YEAR + 1)
    base = dict(library_table(COUNTRY, None, years))
    subdivisions = {}
    for subdivision in holidays.list_supported_countries()[COUNTRY]:
        own = dict(library_table(COUNTRY, subdivision, years))
        if missing := [d for d in base if d not in own]:
            raise ValueError(f"{subdivision} drops national holidays ({missing[:3]}): the overlay cannot say it")
        subdivisions[subdivision] = _by_year(own, base)
    return {"source": f"holidays {holidays.__version__}", "years": _by_year(base), "subdivisions": subdivisions}


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).with_name(DATA_FILE)
    target.write_text(json.dumps(compute(), ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n",
                      encoding="utf-8")
    print(f"{target}: {target.stat().st_size / 1000:.0f} kB")
