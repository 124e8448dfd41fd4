"""The prose of the documents as templates: the requête, the décompte, the chronology, the payment plan agreement
(échéancier, French and English), the filing guide, the call digest and the report page.

Each ships in the package (``texts/templates/``) and may be overridden by a file of the same name in the rules
directory's ``templates/documents/``, as a lawyer or a rule editor changes a sentence without touching code.
They run in Jinja2's immutable sandbox with ``StrictUndefined``; the report page with autoescape.

A PDF's template writes *blocks* that the fpdf2 layout code lays out (see ``blocks``); a text's template writes
the text itself.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from ..domain.fmt import days, longdate, longdate_in, money, money_in, percent, shortdate, shortdate_in, weekday
from . import french
from .blocks import Block, escape, parse

__all__ = ["OVERRIDES", "Block", "render_blocks", "render_text", "template_names"]

OVERRIDES = Path("templates") / "documents"  # under the rules directory
PACKAGED = Path(__file__).parent / "templates"

FILTERS = {"days": days, "money": money, "longdate": longdate, "shortdate": shortdate, "percent": percent,
           "weekday": weekday, "money_in": money_in, "longdate_in": longdate_in, "shortdate_in": shortdate_in,
           "of": french.of, "at": french.at, "listing": french.join, "plural": french.plural,
           "capitalised": french.capitalised, "address": french.address_text, "form": french.form_text}
GLOBALS = {"cite": french.cite, "piece_ref": french.piece_ref, "designation": french.designation, "NO": french.NO}


def template_names() -> list[str]:
    return sorted(p.name for p in PACKAGED.glob("*.j2"))


def _escape_block_value(value: Any) -> Any:
    return escape(value) if isinstance(value, str) else value


def _escape_html_value(value: Any) -> Any:
    """As ``html.escape`` writes it (``&quot;``), where autoescape would write ``&#34;``; a text template is not
    escaped (autoescape is off for it)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return Markup(html.escape(value, quote=True))
    return value


@cache
def _environment(overrides: Path | None, mode: str) -> ImmutableSandboxedEnvironment:
    """``mode``: "blocks" (a PDF's), "text" or "html" (autoescaped)."""
    loaders = [FileSystemLoader(str(overrides))] if overrides is not None else []
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([*loaders, PackageLoader("relance.texts", "templates")]),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=mode == "html",
        # In a block template every value printed is escaped, so that no data can start a block or split a row.
        finalize={"blocks": _escape_block_value, "html": _escape_html_value}.get(mode),
        auto_reload=True)
    env.filters.update(FILTERS)
    if mode == "html":
        env.filters["typo"] = french.typo  # the report page's French spacing, after escaping
    env.globals.update(GLOBALS)
    return env


def _overrides(rules_dir: Path | None) -> Path | None:
    if rules_dir is None:
        return None
    folder = rules_dir / OVERRIDES
    return folder if folder.is_dir() else None


def render_text(name: str, context: Mapping[str, Any], rules_dir: Path | None = None) -> str:
    """A text (the filing guide, the digest) or a page (the report): the rules' own template if any."""
    mode = "html" if name.endswith(".html.j2") else "text"
    return _environment(_overrides(rules_dir), mode).get_template(name).render(context)


def render_blocks(name: str, context: Mapping[str, Any], rules_dir: Path | None = None) -> list[Block]:
    """A PDF's content as blocks for its layout code."""
    return parse(_environment(_overrides(rules_dir), "blocks").get_template(name).render(context))
