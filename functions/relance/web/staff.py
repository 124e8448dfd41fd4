"""The account managers' pages: what a call gave (and, with their links, an approval, a reply's suggestion),
opened from the call digest or a notice, without a terminal.

Every page under ``/s/<token>`` opens through a signed staff link (``app.staff``): forged, expired, revoked, or
another manager's, it gets the same 404 as an address that does not exist. Forms carry a token bound to the link
(CSRF) and a cross-site submission is refused. No script; the only style sheet is the portal's; the logs name
the route and the outcome, never a token, a name, an address or an amount.

The StaffFunction serves only these routes (its own router): it holds the staff link keys, the portal's
function does not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from ..app.staff import APPROVAL, CALL, SUGGESTION, StaffAccess, StaffDesk, StaffLinks, reasons
from ..domain.fmt import money, shortdate
from ..domain.model import Customer
from ..domain.policy import Rules
from .handler import answer, request_of
from .http import Request, Response, Router
from .pages import environment, not_found

logger = logging.getLogger("relance.staff")

ROUTES = Router(not_found)

DONE_MESSAGES = {
    "appel": "L’issue de l’appel est enregistrée dans l’historique des factures.",
    "suggestion": "Votre décision est enregistrée dans l’historique des factures.",
    "approuve": "Envoi approuvé : il part au prochain passage de relance (demain matin), si la facture est toujours "
                "due.",
    "retenu": "Envoi retenu : il ne part pas, et les relances de cette facture attendent votre décision.",
}
RESULT_LABELS = (
    ("reached", "Client joint"),
    ("not_reached", "Client injoignable"),
    ("promise", "Promesse de paiement"),
    ("dispute", "Le client conteste"),
    ("wrong_number", "Numéro erroné"),
)


@dataclass
class Services:
    """What the pages need, built once per container (or handed in by a test)."""

    rules: Rules
    links: StaffLinks
    desk: StaffDesk
    today: Callable[[], date]
    now: Callable[[], datetime]
    base_url: str


_services: Services | None = None


def use(services: Services | None) -> None:
    """Serve with these services (tests); ``None`` builds them from the environment on the next request."""
    global _services
    _services = services


def reset() -> None:
    use(None)


def services() -> Services:
    global _services
    if _services is None:
        _services = _from_environment()
    return _services


def _from_environment() -> Services:
    from ..app.clock import now_utc
    from ..app.staff import keys_from_secret
    from ..handlers._runtime import LazyRuntime

    rt = LazyRuntime(need=("portal_url", "staff_keys_parameter"))()
    store = rt.single_item_store
    links = StaffLinks(keys=keys_from_secret(rt.secret(rt.settings.staff_keys_parameter)),
                       base_url=rt.settings.portal_url, store=store, now=now_utc)
    desk = StaffDesk(store=store, rules=rt.rules, links=links, today=rt.clock.today, now=now_utc)
    return Services(rules=rt.rules, links=links, desk=desk, today=rt.clock.today, now=now_utc,
                    base_url=rt.settings.portal_url)


# -- helpers ----------------------------------------------------------------------------------------------------

def _page(name: str, status: int = 200, **context: Any) -> Response:
    return Response(status, environment().get_template(name).render(**context))


def _redirect(location: str) -> Response:
    return Response(303, "", {"Location": location, "Content-Type": "text/html; charset=utf-8"})


def _log(route: str, outcome: str) -> None:
    logger.info("staff", extra={"route": route, "outcome": outcome})


def _same_site(svc: Services, request: Request) -> bool:
    """A form posted from another site is refused, whatever it carries (the browser says where it came from)."""
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return False
    origin = request.headers.get("origin", "")
    if origin and origin != "null":
        base = urlsplit(svc.base_url)
        return origin == f"{base.scheme}://{base.netloc}"
    return True


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def _call_page(svc: Services, access: StaffAccess, customer: Customer, token: str, *, status: int = 200,
               problem: str = "", done: str = "", form: dict[str, list[str]] | None = None) -> Response:
    view = svc.desk.call_view(access, customer)
    today = svc.today()
    return _page("staff/call.html", status, view=view, company=svc.rules.company, base=f"/s/{token}",
                 csrf=svc.links.csrf(access), problem=problem, done=DONE_MESSAGES.get(done, ""),
                 results=RESULT_LABELS, reasons=reasons(svc.rules), today=today.isoformat(), money=money,
                 shortdate=shortdate, form=form or {}, manager=access.manager)


def _reply_page(svc: Services, access: StaffAccess, customer: Customer, token: str, *, status: int = 200,
                problem: str = "", done: str = "") -> Response:
    view = svc.desk.reply_view(access, customer)
    if view is None:
        return not_found(Request("GET", "/"))
    return _page("staff/reply.html", status, view=view, company=svc.rules.company, base=f"/s/{token}",
                 csrf=svc.links.csrf(access), problem=problem, done=DONE_MESSAGES.get(done, ""),
                 today=svc.today().isoformat(), money=money, shortdate=shortdate, manager=access.manager)


def _approval_page(svc: Services, access: StaffAccess, customer: Customer, token: str, *, status: int = 200,
                   problem: str = "", done: str = "") -> Response:
    view = svc.desk.approval_view(access, customer)
    if view is None:
        return not_found(Request("GET", "/"))
    return _page("staff/approval.html", status, view=view, company=svc.rules.company, base=f"/s/{token}",
                 csrf=svc.links.csrf(access), problem=problem, done=DONE_MESSAGES.get(done, ""), money=money,
                 shortdate=shortdate, manager=access.manager)


def _posted(request: Request, token: str, action: str, route: str) -> tuple[Services, StaffAccess, Customer,
                                                                              dict[str, list[str]]] | Response:
    """A form posted on a link: its services, access, customer and form — or the page that refuses it (the same
    404 as an unknown address for a bad link or another action's, « expired » for a cross-site post or a stale
    form token)."""
    svc = services()
    opened = svc.desk.open(token)
    if opened is None or opened[0].action != action:
        _log(route, "not_found")
        return not_found(request)
    access, customer = opened
    form = request.form()
    if not _same_site(svc, request) or not svc.links.csrf_ok(access, _one(form, "csrf")):
        _log(route, "csrf")
        return _page("staff/expired.html", 403)
    return svc, access, customer, form


# -- routes -----------------------------------------------------------------------------------------------------

@ROUTES.route("GET", "/s/{token}")
def home(request: Request, token: str) -> Response:
    svc = services()
    opened = svc.desk.open(token)
    if opened is None:
        _log("home", "not_found")
        return not_found(request)
    access, customer = opened
    _log("home", f"shown:{access.action}")
    if access.action == CALL:
        return _call_page(svc, access, customer, token, done=request.query.get("fait", ""))
    if access.action == SUGGESTION:
        return _reply_page(svc, access, customer, token, done=request.query.get("fait", ""))
    if access.action == APPROVAL:
        return _approval_page(svc, access, customer, token, done=request.query.get("fait", ""))
    return not_found(request)


@ROUTES.route("POST", "/s/{token}/appel")
def call(request: Request, token: str) -> Response:
    posted = _posted(request, token, CALL, "appel")
    if not isinstance(posted, tuple):
        return posted
    svc, access, customer, form = posted
    done = svc.desk.record_call(access, [v for v in form.get("facture", []) if v][:200], _one(form, "issue"),
                                note=_one(form, "note"), until=_one(form, "date"), reason=_one(form, "motif"))
    if done.problem:
        _log("appel", "refused")
        return _call_page(svc, access, customer, token, status=400, problem=done.problem,
                          form={k: v for k, v in form.items() if k != "csrf"})
    _log("appel", "recorded")
    return _redirect(f"/s/{token}?fait=appel#confirmation")


@ROUTES.route("POST", "/s/{token}/suggestion")
def suggestion(request: Request, token: str) -> Response:
    posted = _posted(request, token, SUGGESTION, "suggestion")
    if not isinstance(posted, tuple):
        return posted
    svc, access, customer, form = posted
    done = svc.desk.act_on_reply(access, _one(form, "suggestion"), on=_one(form, "date"), reason=_one(form, "note"))
    if done.problem:
        _log("suggestion", "refused")
        return _reply_page(svc, access, customer, token, status=400, problem=done.problem)
    _log("suggestion", "recorded")
    return _redirect(f"/s/{token}?fait=suggestion#confirmation")


def _decided(request: Request, token: str, decision: str, route: str) -> Response:
    posted = _posted(request, token, APPROVAL, route)
    if not isinstance(posted, tuple):
        return posted
    svc, access, customer, _ = posted
    done = svc.desk.decide(access, decision)
    if done.problem:
        _log(route, "refused")
        return _approval_page(svc, access, customer, token, status=409, problem=done.problem)
    _log(route, "recorded")
    return _redirect(f"/s/{token}?fait={'approuve' if decision == 'approve' else 'retenu'}#confirmation")


@ROUTES.route("POST", "/s/{token}/approuver")
def approve(request: Request, token: str) -> Response:
    return _decided(request, token, "approve", "approuver")


@ROUTES.route("POST", "/s/{token}/retenir")
def hold(request: Request, token: str) -> Response:
    return _decided(request, token, "hold", "retenir")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The StaffFunction: the staff routes of the HTTP API, and only those."""
    return answer(ROUTES.dispatch(request_of(event)))
