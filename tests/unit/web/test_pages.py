"""Server-rendered pages: routing, the 404 page, escaping, and the headers every answer carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from relance.web.handler import handler
from relance.web.http import Request, Response, Router
from relance.web.pages import environment, not_found, render

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def router() -> Router:
    routes = Router(not_found)

    @routes.route("GET", "/portail/{token}")
    def portal(request: Request, token: str) -> Response:
        return Response(200, f"portail {token}")

    @routes.route("POST", "/portail/{token}/promesse")
    def promise(request: Request, token: str) -> Response:
        return Response(303, "", {"Location": f"/portail/{token}"})

    return routes


def test_a_path_parameter_reaches_the_page(router):
    response = router.dispatch(Request("GET", "/portail/abc123"))

    assert (response.status, response.body) == (200, "portail abc123")


def test_an_unknown_address_answers_the_french_404_page(router):
    response = router.dispatch(Request("GET", "/portail/abc123/inconnu"))

    assert response.status == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Page introuvable</h1>" in response.body
    assert "Cette page n’existe pas, ou le lien que vous avez suivi n’est plus valable." in response.body
    assert '<html lang="fr">' in response.body


def test_an_empty_path_parameter_does_not_match(router):
    assert router.dispatch(Request("GET", "/portail//")).status == 404


def test_a_known_address_with_another_method_answers_405_with_the_allowed_ones(router):
    response = router.dispatch(Request("DELETE", "/portail/abc123"))

    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_head_answers_the_get_page_without_its_body(router):
    response = router.dispatch(Request("HEAD", "/portail/abc123"))

    assert (response.status, response.body) == (200, "")


@pytest.mark.parametrize("request_", [Request("GET", "/portail/abc"), Request("GET", "/nulle-part"),
                                      Request("PUT", "/portail/abc"), Request("POST", "/portail/abc/promesse")])
def test_every_answer_carries_the_security_headers(router, request_):
    headers = router.dispatch(request_).headers

    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]  # no script at all: default-src 'none'
    assert headers["Cache-Control"] == "no-store"


def test_a_page_s_own_header_is_kept_beside_the_security_ones(router):
    response = router.dispatch(Request("POST", "/portail/abc/promesse"))

    assert (response.status, response.headers["Location"]) == (303, "/portail/abc")
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_what_a_page_shows_from_a_request_is_escaped():
    page = environment().from_string("<p>Bonjour {{ name }}</p>").render(name='<script>alert("x")</script>')

    assert page == "<p>Bonjour &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>"


def test_a_misspelt_variable_fails_instead_of_printing_nothing():
    with pytest.raises(UndefinedError):
        environment().from_string("{{ montant_du }}").render(montant_dû="12,00 €")


def test_a_page_renders_from_the_templates_directory():
    response = render("404.html", 404)

    assert response.status == 404
    assert "<title>Page introuvable</title>" in response.body


def test_the_lambda_answers_an_http_api_event_with_the_404_page_and_its_headers():
    event = json.loads((EVENTS / "http_api_get_page.json").read_text(encoding="utf-8"))

    answer = handler(event, None)

    assert answer["statusCode"] == 404
    assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert answer["headers"]["Referrer-Policy"] == "no-referrer"
    assert "Page introuvable" in answer["body"]
    assert answer["isBase64Encoded"] is False
