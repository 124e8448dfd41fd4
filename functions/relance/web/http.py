"""Requests, responses and a small router for server-rendered pages; every answer is sent with its security headers.

Pure: no Lambda event and no AWS here (``handler.py`` translates), so a page is tested by calling the router.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

HTML = "text/html; charset=utf-8"

# The pages need no script, no frame and nothing from another origin. Referrer-Policy: a portal link carries
# its signed token in the path, and must not leave in a Referer header when the debtor follows a link out.
SECURITY_HEADERS: Mapping[str, str] = MappingProxyType({
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000",
    "Cache-Control": "no-store",  # a page may show what someone owes: never kept by a shared cache
})


@dataclass(frozen=True, slots=True)
class Request:
    method: str  # upper case
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    def form(self, max_bytes: int = 16_384) -> dict[str, list[str]]:
        """An ``application/x-www-form-urlencoded`` body as lists of values; ``{}`` for anything else or too big."""
        from urllib.parse import parse_qs

        kind = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded" or len(self.body) > max_bytes:
            return {}
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
        except (UnicodeDecodeError, ValueError):
            return {}


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": HTML})


def secured(response: Response) -> Response:
    """``response`` with the security headers; a page's own value for one of them wins (a looser CSP, say)."""
    return replace(response, headers={**SECURITY_HEADERS, **response.headers})


Page = Callable[..., Response]  # (request, **path parameters) → response


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    parts: tuple[str, ...]  # "{name}" matches one non-empty path segment
    page: Page

    def match(self, parts: tuple[str, ...]) -> dict[str, str] | None:
        if len(parts) != len(self.parts):
            return None
        params = {}
        for want, got in zip(self.parts, parts, strict=True):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params


def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/")) if path.strip("/") else ()


class Router:
    """Method and path → page. Unknown path: the 404 page; known path, other method: 405 with ``Allow``."""

    def __init__(self, not_found: Callable[[Request], Response]) -> None:
        self.routes: list[_Route] = []
        self.not_found = not_found

    def route(self, method: str, pattern: str) -> Callable[[Page], Page]:
        def add(page: Page) -> Page:
            self.routes.append(_Route(method.upper(), _parts(pattern), page))
            return page

        return add

    def dispatch(self, request: Request) -> Response:
        parts = _parts(request.path)
        allowed = []
        for route in self.routes:
            params = route.match(parts)
            if params is None:
                continue
            if route.method == request.method or (route.method == "GET" and request.method == "HEAD"):
                response = route.page(request, **params)
                return secured(replace(response, body="") if request.method == "HEAD" else response)
            allowed.append(route.method)
        if allowed:
            return secured(Response(405, "", {"Allow": ", ".join(sorted({*allowed, *(
                ["HEAD"] if "GET" in allowed else [])})), "Content-Type": HTML}))
        return secured(self.not_found(request))
