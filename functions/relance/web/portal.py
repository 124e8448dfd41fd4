"""The debtor portal's pages: what the customer owes, and four things to do about it — pay (Stripe Checkout, or a
bank transfer with its structured reference and EPC QR code; one invoice, or all or chosen ones in one
payment), promise a date, contest, ask for a payment plan.

Every page under ``/p/<token>`` opens through a signed link (``app.portal.Links``): a forged, expired, revoked or
unknown token gets the same 404 as an address that does not exist, so nothing tells a stranger a link was real.
Forms carry a token bound to the link (CSRF) and a cross-site submission is refused. No script; the only style
sheet is ours; the logs name the route and the outcome, never a token, a name or an amount.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from ..app.portal import Access, Done, Links, Overview, PlanProposal, Portal, overview
from ..domain.fmt import money, shortdate
from ..domain.policy import Rules
from ..domain.portal import MAX_REQUESTED_INSTALLMENTS, grouped
from ..ports import CheckoutProvider, CheckoutSession, ProviderError
from .handler import ROUTES, answer, request_of
from .http import HTML, SECURITY_HEADERS, Request, Response
from .pages import environment, not_found

logger = logging.getLogger("relance.portal")

DONE_MESSAGES = {
    "promesse": "Votre promesse de paiement est enregistrée : nous suspendons nos relances jusqu’à cette date.",
    "contestation": "Votre contestation est enregistrée : nos relances sont suspendues le temps de l’examiner, "
                    "et nous revenons vers vous.",
    "echeancier": "Votre demande d’échéancier est transmise : nous vous répondons rapidement.",
    "echeancier-accepte": "Votre échéancier est accepté : nos relances sont suspendues tant que ses échéances sont "
                          "réglées à leur date.",
    "annule": "Le paiement en ligne a été abandonné : rien n’a été prélevé.",
}


@dataclass
class Services:
    """What the pages need, built once per container (or handed in by a test)."""

    rules: Rules
    links: Links
    portal: Portal
    today: Callable[[], date]
    now: Callable[[], datetime]
    base_url: str
    checkout: Callable[[], CheckoutProvider] | None = None  # None: no online payment configured
    checkout_origin: str = ""  # where a payment form may send the browser (CSP form-action)
    invoice_pdf: Callable[[str], str | None] | None = None  # presigned URL of an invoice's PDF, None when absent


_services: Services | None = None
_factory: Callable[[], Services] | None = None


def use(services: Services | None) -> None:
    """Serve with these services (tests); ``None`` builds them from the environment on the next request."""
    global _services
    _services = services


def reset() -> None:
    """A new container: the next request builds the services again (the local runner)."""
    use(None)


def services() -> Services:
    global _services
    if _services is None:
        _services = (_factory or _from_environment)()
    return _services


def _from_environment() -> Services:
    from ..adapters.stripe_checkout import StripeCheckout
    from ..app.clock import now_utc
    from ..app.portal import manager_notifier
    from ..handlers._runtime import LazyRuntime

    rt = LazyRuntime(need=("portal_url", "portal_keys_parameter"))()
    settings = rt.settings
    links = rt.portal_links
    assert links is not None  # portal_url and portal_keys_parameter are required above
    store = rt.single_item_store
    company = rt.rules.company
    notify = manager_notifier(rt.email_sender, company_email=company.email, company_name=company.name,
                              now=now_utc) if company.email else None
    agreement = None
    if settings.documents_bucket:
        from ..app.plan_agreement import portal_agreement

        agreement = portal_agreement(rules=rt.rules, documents=rt.documents, history=store,
                                     sender=rt.email_sender if company.email else None, today=rt.clock.today,
                                     now=now_utc)
    portal = Portal(store=store, rules=rt.rules, today=rt.clock.today, now=now_utc, notify=notify,
                    agreement=agreement)
    checkout = None
    origin = ""
    if settings.stripe_api_key_parameter:
        def checkout() -> CheckoutProvider:
            return StripeCheckout(rt.secret(settings.stripe_api_key_parameter), api_base=settings.stripe_api_url)
        parts = urlsplit(settings.stripe_api_url)
        origin = ("https://checkout.stripe.com" if parts.hostname == "api.stripe.com"
                  else f"{parts.scheme}://{parts.netloc}")

    def invoice_pdf(invoice_id: str) -> str | None:
        if not settings.documents_bucket:
            return None
        key = f"invoices/{invoice_id}.pdf"
        try:
            rt.s3.head_object(Bucket=settings.documents_bucket, Key=key)
        except Exception:  # absent or unreadable: no link, the page still works
            return None
        return str(rt.s3.generate_presigned_url("get_object", ExpiresIn=300, Params={
            "Bucket": settings.documents_bucket, "Key": key,
            "ResponseContentDisposition": f'inline; filename="Facture-{invoice_id}.pdf"'}))

    return Services(rules=rt.rules, links=links, portal=portal, today=rt.clock.today, now=now_utc,
                    base_url=settings.portal_url, checkout=checkout, checkout_origin=origin, invoice_pdf=invoice_pdf)


# -- helpers ----------------------------------------------------------------------------------------------------

def _csp(svc: Services) -> dict[str, str]:
    base = SECURITY_HEADERS["Content-Security-Policy"]
    if svc.checkout_origin:  # the pay form's answer sends the browser on to the payment page
        base = base.replace("form-action 'self'", f"form-action 'self' {svc.checkout_origin}")
    return {"Content-Security-Policy": base, "Content-Type": HTML}


def _page(svc: Services, name: str, status: int = 200, **context: Any) -> Response:
    body = environment().get_template(name).render(**context)
    return Response(status, body, _csp(svc))


def _redirect(location: str) -> Response:
    return Response(303, "", {"Location": location, "Content-Type": HTML})


def _open(token: str) -> tuple[Services, Access] | None:
    svc = services()
    access = svc.links.open(token)
    return (svc, access) if access is not None else None


def _same_site(svc: Services, request: Request) -> bool:
    """A form posted from another site is refused, whatever it carries (the browser says where it came from)."""
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return False
    origin = request.headers.get("origin", "")
    if origin and origin != "null":
        base = urlsplit(svc.base_url)
        return origin == f"{base.scheme}://{base.netloc}"
    return True


def _log(route: str, outcome: str) -> None:
    logger.info("portal", extra={"route": route, "outcome": outcome})


def _overview_page(svc: Services, access: Access, token: str, *, status: int = 200, problem: str = "",
                   done: str = "", form: dict[str, Any] | None = None) -> Response:
    view: Overview | None = overview(svc.portal.store, svc.rules, access, svc.today())
    if view is None:
        return not_found(Request("GET", "/"))
    policy = svc.rules.portal
    today = svc.today()
    qr = _epc_svg(view.transfer.epc_payload()) if view.transfer is not None and view.transfer.iban else ""
    pdfs = {line.id for line in view.lines if svc.invoice_pdf is not None and svc.invoice_pdf(line.id)}
    return _page(svc, "portal/overview.html", status, view=view, company=svc.rules.company, base=f"/p/{token}",
                 csrf=svc.links.csrf(access), problem=problem, done=DONE_MESSAGES.get(done, ""), qr=qr,
                 online=svc.checkout is not None and policy.online_payment, money=money, shortdate=shortdate,
                 grouped=grouped, reasons=policy.dispute_reasons, today=today.isoformat(), pdfs=pdfs,
                 promise_max_days=policy.promise_max_days,
                 latest_date=date.fromordinal(today.toordinal() + policy.promise_max_days).isoformat(),
                 max_installments=MAX_REQUESTED_INSTALLMENTS, form=form or {},
                 self_service=svc.rules.payment_plans.self_service)


def _epc_svg(payload: str) -> str:
    import segno

    return str(segno.make(payload, error="m", micro=False).svg_inline(
        scale=4, title="Code QR de virement (EPC)", svgclass="qr", lineclass=None, omitsize=False))


def _chosen(form: dict[str, list[str]]) -> list[str]:
    return [v for v in form.get("facture", []) if v][:200]


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def _posted(request: Request, token: str, what: str) -> tuple[Services, Access, dict[str, list[str]]] | Response:
    """A form posted on a link: the link's services, access and form — or the page that refuses it (the same 404
    as an unknown address for a bad link, « expired » for a cross-site post or a stale form token)."""
    opened = _open(token)
    if opened is None:
        _log(what, "not_found")
        return not_found(request)
    svc, access = opened
    form = request.form()
    if not _same_site(svc, request) or not svc.links.csrf_ok(access, _one(form, "csrf")):
        _log(what, "csrf")
        return _page(svc, "portal/expired.html", 403)
    return svc, access, form


def _acted(svc: Services, request: Request, token: str, what: str,
           act: Callable[[Services, Access, dict[str, list[str]]], Done]) -> Response:
    posted = _posted(request, token, what)
    if not isinstance(posted, tuple):
        return posted
    svc, access, form = posted
    done = act(svc, access, form)
    if done.problem:
        _log(what, "refused")
        return _overview_page(svc, access, token, status=400, problem=done.problem,
                              form={k: v for k, v in form.items() if k != "csrf"})
    _log(what, "recorded")
    outcome = {"agreed": "-accepte"}.get(done.outcome, "")
    return _redirect(f"/p/{token}?fait={what}{outcome}#confirmation")


# -- routes -----------------------------------------------------------------------------------------------------

@ROUTES.route("GET", "/p/{token}")
def home(request: Request, token: str) -> Response:
    opened = _open(token)
    if opened is None:
        _log("home", "not_found")
        return not_found(request)
    svc, access = opened
    _log("home", "shown")
    return _overview_page(svc, access, token, done=request.query.get("fait", ""))


@ROUTES.route("GET", "/l/{code}")
def short_link(request: Request, code: str) -> Response:
    svc = services()
    token = svc.links.resolve_short(code)
    if token is None:
        _log("short", "not_found")
        return not_found(request)
    return _redirect(svc.links.path_of(token))


def _promise(svc: Services, access: Access, form: dict[str, list[str]]) -> Done:
    try:
        until = date.fromisoformat(_one(form, "date"))
    except ValueError:
        until = None
    return svc.portal.promise(access, _chosen(form), until)


def _dispute(svc: Services, access: Access, form: dict[str, list[str]]) -> Done:
    return svc.portal.dispute(access, _chosen(form), _one(form, "motif"), _one(form, "commentaire"))


def _plan(svc: Services, access: Access, form: dict[str, list[str]]) -> Done:
    return svc.portal.request_plan(access, _chosen(form), _installments(form), _one(form, "commentaire"))


@ROUTES.route("POST", "/p/{token}/promesse")
def promise(request: Request, token: str) -> Response:
    return _acted(services(), request, token, "promesse", _promise)


@ROUTES.route("POST", "/p/{token}/contestation")
def dispute(request: Request, token: str) -> Response:
    return _acted(services(), request, token, "contestation", _dispute)


def _installments(form: dict[str, list[str]]) -> int | None:
    raw = _one(form, "echeances")
    return int(raw) if raw.isdigit() and len(raw) < 4 else None


@ROUTES.route("POST", "/p/{token}/echeancier")
def plan(request: Request, token: str) -> Response:
    """With the rules' self-service (SPEC §2.9), a first post shows the schedule the choice gives; the debtor's
    confirmation (``confirmer``) agrees it at once inside the limits, or sends it to a person outside them.
    Without self-service, the post is the request itself."""
    posted = _posted(request, token, "echeancier")
    if not isinstance(posted, tuple):
        return posted
    svc, access, form = posted
    if _one(form, "confirmer") or svc.rules.payment_plans.self_service is None:
        return _acted(svc, request, token, "echeancier", _plan)
    proposed = svc.portal.proposal(access, _chosen(form), _installments(form), _one(form, "commentaire"))
    if isinstance(proposed, Done):
        _log("echeancier", "refused")
        return _overview_page(svc, access, token, status=400, problem=proposed.problem,
                              form={k: v for k, v in form.items() if k != "csrf"})
    _log("echeancier", "proposed" if proposed.accepted_at_once else "proposed_for_review")
    return _plan_page(svc, access, token, proposed, _one(form, "commentaire"))


def _plan_page(svc: Services, access: Access, token: str, proposed: PlanProposal, comment: str) -> Response:
    customer = svc.portal.store.customer(access.customer_id)
    policy = svc.rules.payment_plans
    return _page(svc, "portal/plan.html", proposal=proposed, customer=customer, company=svc.rules.company,
                 base=f"/p/{token}", csrf=svc.links.csrf(access), comment=comment[:2000], money=money,
                 shortdate=shortdate, grace_days=policy.grace_days, broken_after_days=policy.broken_after_days)


@ROUTES.route("POST", "/p/{token}/payer")
def pay(request: Request, token: str) -> Response:
    posted = _posted(request, token, "pay")
    if not isinstance(posted, tuple):
        return posted
    svc, access, form = posted
    if svc.checkout is None:
        return _overview_page(svc, access, token, status=400, problem="Le paiement en ligne n’est pas proposé : "
                              "réglez par virement avec les coordonnées ci-dessous.")
    try:
        started = svc.portal.start_payment(access, _chosen(form), svc.checkout(),
                                           return_url=f"{svc.base_url}/paiement/retour")
    except ProviderError:
        _log("pay", "provider_error")
        return _overview_page(svc, access, token, status=502, problem="Le paiement en ligne est momentanément "
                              "indisponible : réessayez dans quelques minutes, ou réglez par virement.")
    if isinstance(started, Done):
        _log("pay", "refused")
        return _overview_page(svc, access, token, status=400, problem=started.problem)
    assert isinstance(started, CheckoutSession)
    _log("pay", "checkout")
    return _redirect(started.url)


@ROUTES.route("GET", "/p/{token}/facture/{invoice}")
def invoice_pdf(request: Request, token: str, invoice: str) -> Response:
    opened = _open(token)
    if opened is None:
        return not_found(request)
    svc, access = opened
    mine = {i.id for i in svc.portal.store.customer_open_invoices(access.customer_id)}
    url = svc.invoice_pdf(invoice) if svc.invoice_pdf is not None and invoice in mine else None
    return _redirect(url) if url else not_found(request)


@ROUTES.route("GET", "/paiement/retour")
def payment_return(request: Request) -> Response:
    svc = services()
    if request.query.get("annule"):
        return _page(svc, "portal/return.html", outcome="cancelled", invoices=[], money=money)
    session_id = request.query.get("session_id", "")
    if not session_id or len(session_id) > 200:
        return not_found(request)
    outcome, invoices = svc.portal.payment_outcome(session_id)
    _log("return", outcome)
    if outcome == "unknown":
        return not_found(request)
    return _page(svc, "portal/return.html", outcome=outcome, invoices=invoices, money=money)


@cache
def _stylesheet() -> str:
    return files("relance.web").joinpath("static/portal.css").read_text(encoding="utf-8")


@ROUTES.route("GET", "/static/portal.css")
def stylesheet(request: Request) -> Response:
    return Response(200, _stylesheet(), {"Content-Type": "text/css; charset=utf-8",
                                         "Cache-Control": "public, max-age=3600"})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The PortalFunction: every portal route of the HTTP API."""
    return answer(ROUTES.dispatch(request_of(event)))

