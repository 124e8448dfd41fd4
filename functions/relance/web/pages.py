"""The pages' Jinja2 environment: templates under ``templates/``, HTML escaped, sandboxed, strict.

Sandboxed and strict as the letters are: a page template may one day be overridden by a rule editor, and
a misspelt variable must fail the test, not print an empty string to a debtor.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .http import Request, Response


@cache
def environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=PackageLoader("relance.web", "templates"),
        autoescape=select_autoescape(("html",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, status: int = 200, **context: Any) -> Response:
    return Response(status, environment().get_template(name).render(**context))


def not_found(request: Request) -> Response:
    return render("404.html", 404)
