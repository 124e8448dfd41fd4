"""Letters by post, outbound: Merci Facteur's REST API and a local stand-in for the demo.

What comes back — the status callbacks, ours and Merci Facteur's webhooks — is read by
``adapters/postal_callback.py``.

Merci Facteur (https://www.merci-facteur.com) prints and posts a PDF the same working day (validated before
17:00), as a « lettre verte », a tracked letter, or a registered letter with acknowledgement of receipt.

What this module relies on, and where it comes from
----------------------------------------------------
Confirmed from Merci Facteur's published documentation — the endpoint pages under
https://www.merci-facteur.com/api/1.2/ (``?op=sendCourrier``, ``?op=listEnvois``…), the README, the
``hash-secret-key/`` notes, the ``skills/`` and ``ai-guides/`` guides and the PHP client ``php-class/v2`` of
https://github.com/MerciFacteur/Merci-facteur-API, and the OpenAPI 1.2.7 models as generated in
https://github.com/epicswan/mercifacteurlibjava (``docs/``, ``src/main/java/io/swagger/client/model/``):

- Base URL ``https://www.merci-facteur.com/api/1.2/prod/service``; no sandbox URL is published (a sandbox
  *account* is opened on request), so the base URL is a setting.
- ``GET /getToken`` with headers ``ww-service-id``, ``ww-timestamp`` (Unix seconds), ``ww-service-signature``
  = lowercase hex HMAC-SHA256 of ``service_id + timestamp`` keyed with the secret key (the secret never
  travels; a signature is valid 5 minutes) and ``ww-authorized-ip`` (``;``-separated IPs, or ``111.111.111``
  once Merci Facteur has lifted the IP restriction — needed on Lambda, which has no fixed IP). Answer
  ``{"success": true, "token": "…", "expire": <unix>}``; a token lives 24 h and getToken hands back the
  current token while it is valid, so we cache it until ``expire`` (minus a minute) and ask again after.
- Every other call carries ``ww-service-id`` and ``ww-access-token``. Errors come back as HTTP 400 or 401 with
  ``{"success": false, "error": {"code": "<stable code>", "text": "…"}}`` (older pages: ``error`` a string).
- ``POST /sendCourrier``, form-encoded: ``idUser``; ``modeEnvoi`` ``normal`` (lettre verte), ``suivi``,
  ``lrar`` (registered, paper AR back to the sender) or ``lrare`` (registered, AR scanned and pushed by the
  API); ``adress`` and ``content`` as JSON *strings*; ``antidoublon`` (≤ 200 chars: a second send with the same
  value within 30 days is refused — this is what makes retrying after a timeout safe); ``designation``
  (≤ 50 chars, a search label in Merci Facteur Pro); ``gestionNpai`` (returns handled by Merci Facteur).
  Addresses must carry *every* key, unused ones as ``""`` (else ``INFO_ADDRESS_MISSING``); ``nom`` or
  ``societe``, ``cp``, ``ville`` and ``pays`` are required; ``pays`` is an upper-case French label from
  ``/getCountry`` (« FRANCE », « BELGIQUE »…); limits nom 70, société 90, lines 90, cp 12, ville 70; the
  recipient's ``reference`` (≤ 30 chars of letters, digits, spaces, ``-`` and ``_``) comes back in every
  webhook as ``ref_interne`` and is printed on the AR. Content: ``{"letter": {"files": "", "base64files":
  ["<pdf>"], "print_sides": "recto"}, "photo": "", "card": ""}`` — empty values are ``""``, never ``[]``.
  Answer: ``envoi_id`` (an integer in the guides, a one-element list in the OpenAPI model: both are read),
  ``price.total.ht/ttc``, ``resume``.
- ``GET /getSuiviEnvoi?idEnvoi=`` → ``statutPrintEnvoi`` and ``suiviCourrier[]`` with ``refCourrier``,
  ``refTracking``, ``modeEnvoi``, ``lastState`` (text), ``historique``, ``pnd`` (``"1"`` when returned
  undelivered) and ``are_base64_jpeg`` (``"pending"`` or the scanned AR, lrare only).
- ``GET /getProof?trackingNumber=&document=depot|reception|telechargement`` → ``format_return`` (``pdf`` or
  ``jpeg`` — a scanned AR may well be a JPEG) and ``document`` (base64). It takes the La Poste tracking
  number, not the envoi id; the tracking number exists only once the letter is printed, and a lettre verte
  has none — so :meth:`MerciFacteurProvider.send` can never return one (see :class:`PostalReceipt`).
- Webhooks: see ``adapters/postal_callback.py``.

Assumptions (not in the documentation we could read)
----------------------------------------------------
- HTTP 429 and 5xx: not documented; treated as transient like any throttling or outage.
- The error code of an ``antidoublon`` refusal is not published: a code containing ``DOUBLON`` is taken to
  mean « already posted » (:class:`AlreadySentError`); any other code is a plain refusal.
- ``lastState`` is free text; « distribué » in it, with its ``dd/mm/yyyy`` date, is read as delivered. The
  webhook (stable ``statut_courrier`` codes) is the reliable source; :meth:`~MerciFacteurProvider.tracking`
  is for catching up.
- Error codes are mapped to plain French messages by family (address, document); the provider's own
  ``text`` is never repeated, since it may quote the address.

No PDF, address or secret ever goes into an exception message or a ``repr``; the business reference does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..domain.model import Address
from ..ports import (
    AlreadySent,
    PermanentProviderError,
    PostalReceipt,
    ProviderError,
    TransientProviderError,
    letter_reference,
)

DEFAULT_BASE_URL = "https://www.merci-facteur.com/api/1.2/prod/service"
NO_IP_RESTRICTION = "111.111.111"  # what the docs say to send once the account's IP restriction is lifted
SIMPLE_MODES = ("normal", "suivi")
REGISTERED_MODES = ("lrare", "lrar")
PRINT_SIDES = ("recto", "rectoverso")
TOKEN_MARGIN_S = 60  # a token about to expire is renewed rather than sent

# ISO 3166 code → the label /getCountry accepts (skills/mf-envoi-courrier/references/pays.md). Extend as needed.
COUNTRY_LABELS = {
    "FR": "FRANCE", "MC": "MONACO", "BE": "BELGIQUE", "LU": "LUXEMBOURG", "CH": "SUISSE", "DE": "ALLEMAGNE",
    "ES": "ESPAGNE", "IT": "ITALIE", "PT": "PORTUGAL", "NL": "PAYS-BAS", "AT": "AUTRICHE", "IE": "IRLANDE",
    "GB": "ROYAUME-UNI", "DK": "DANEMARK", "SE": "SUEDE", "FI": "FINLANDE", "NO": "NORVEGE", "PL": "POLOGNE",
    "CZ": "REPUBLIQUE TCHEQUE", "GR": "GRECE", "AD": "ANDORRE", "US": "ETATS-UNIS", "CA": "CANADA",
    "MA": "MAROC", "TN": "TUNISIE", "DZ": "ALGERIE", "SN": "SENEGAL", "CI": "COTE D IVOIRE",
    "GP": "GUADELOUPE", "MQ": "MARTINIQUE", "GF": "GUYANE FRANCAISE", "RE": "REUNION", "YT": "MAYOTTE",
    "NC": "NOUVELLE CALEDONIE", "PF": "POLYNESIE FRANCAISE", "PM": "ST-PIERRE-MIQUELON",
    "BL": "SAINT BARTHELEMY", "MF": "SAINT MARTIN", "WF": "WALLIS ET FUTUNA",
}
_ADDRESS_LIMITS = (("line1", "ligne 1", 90), ("line2", "ligne 2", 90), ("postal_code", "code postal", 12),
                   ("city", "ville", 70))
_FR_DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")
_DELIVERED_TEXT = re.compile(r"\bdistribue\b(?!\s+a\s+l.?expediteur)")


class ProviderConfigurationError(PermanentProviderError):
    """The provider refuses our credentials or our URL: nothing to retry, an administrator must act."""


class ProviderRefused(PermanentProviderError):
    """The provider refused the request; ``code`` is its stable error code (``""`` when it sent none)."""

    def __init__(self, message: str, *, code: str = "", http_status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


class AlreadySentError(ProviderRefused, AlreadySent):
    """Refused as a duplicate: a letter with this reference was already posted within 30 days.

    Typically the retry of a send whose answer was lost (timeout): the first one went out."""


class ProofUnavailable(ProviderError):
    """No proof to download (yet): not printed, not signed, or a mode without proof (lettre verte, lrar)."""


# -- addresses ----------------------------------------------------------------------------------------


def _field(address: Any, name: str) -> str:
    value = address.get(name, "") if isinstance(address, Mapping) else getattr(address, name, "")
    return str(value or "").strip()


def as_address(value: Address | Mapping[str, Any]) -> Address:
    """An :class:`Address` from itself or from a mapping with the same keys (settings come as JSON)."""
    if isinstance(value, Address):
        return value
    return Address(**{name: _field(value, name) for name in ("line1", "line2", "postal_code", "city")},
                   country=_field(value, "country") or "FR")


def _checked_recipient(name: str, address: Any, *, who: str = "du destinataire") -> tuple[str, Address, str]:
    """The name, the address and the country label, or a PermanentProviderError saying what is wrong.

    The message names the faulty part, never its content: addresses are personal data."""
    name = str(name or "").strip()
    addr = as_address(address)
    missing = [label for attr, label in (("line1", "ligne 1"), ("postal_code", "code postal"), ("city", "ville"))
               if not getattr(addr, attr)]
    if not name:
        missing.insert(0, "nom")
    if missing:
        raise PermanentProviderError(f"adresse postale {who} incomplète ({', '.join(missing)} manquant) : "
                                     "complétez-la dans la comptabilité puis réimportez le client")
    if len(name) > 90:
        raise PermanentProviderError(f"le nom {who} dépasse les 90 caractères qu’accepte La Poste")
    for attr, label, limit in _ADDRESS_LIMITS:
        if len(getattr(addr, attr)) > limit:
            raise PermanentProviderError(f"adresse {who} : la {label} dépasse les {limit} caractères "
                                         "qu’accepte La Poste")
    country = (addr.country or "FR").upper()
    label = COUNTRY_LABELS.get(country)
    if label is None:
        raise PermanentProviderError(f"pays {who} non pris en charge pour l’envoi postal (code {country[:3]!r})")
    return name, addr, label


def _checked_letter(pdf: bytes, reference: str, recipient_name: str, recipient_address: Any
                    ) -> tuple[str, Address, str]:
    """What every provider checks before posting: a business reference, a PDF, a complete address."""
    if not reference:
        raise ValueError("a letter needs its business reference (invoice + step)")
    if not _is_pdf(pdf):
        raise PermanentProviderError("le document de la lettre n’est pas un PDF : rien n’a été envoyé")
    return _checked_recipient(recipient_name, recipient_address)


def _mf_address(name: str, addr: Address, country_label: str) -> dict[str, Any]:
    # « nom ou société » is required; a name too long for « nom » (70) still fits « société » (90).
    nom, societe = (name, "") if len(name) <= 70 else ("", name)
    return {"civilite": "", "nom": nom, "prenom": "", "societe": societe, "adresse1": addr.line1,
            "adresse2": addr.line2, "adresse3": "", "cp": addr.postal_code, "ville": addr.city,
            "pays": country_label}


def courier_reference(reference: str) -> str:
    """Our reference in the form Merci Facteur keeps (≤ 30 of ``A-Za-z0-9 _-``), deterministic.

    It comes back as ``ref_interne`` in the webhooks and is printed on the AR."""
    return letter_reference(reference)


def antidoublon_key(reference: str) -> str:
    """The ``antidoublon`` value (≤ 200 chars): the business key itself, identical on every retry."""
    if len(reference) <= 200:
        return reference
    return f"{reference[:191]}-{hashlib.sha256(reference.encode()).hexdigest()[:8]}"


def _is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


# -- HTTP ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes = field(repr=False)

    def json(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.body, parse_float=Decimal)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    @property
    def ok(self) -> bool:
        data = self.json()
        return self.status == 200 and data is not None and data.get("success") is True


def _error_code(data: dict[str, Any] | None) -> str:
    error = (data or {}).get("error")
    if isinstance(error, Mapping):
        error = error.get("code")
    code = str(error or "").strip()
    return code if re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", code) else ""


def _decimal_string(value: Any) -> str:
    try:
        return str(Decimal(str(value))) if value not in (None, "") else ""
    except InvalidOperation:
        return ""


# -- Merci Facteur ------------------------------------------------------------------------------------


class MerciFacteurProvider:
    """:class:`relance.ports.LetterProvider` over Merci Facteur's REST API (version 1.2).

    ``registered`` letters go as ``registered_mode`` (``lrare`` by default: same legal value as ``lrar``, but
    the signed AR comes back scanned, through the API, instead of on paper); the others as ``simple_mode``
    (``normal``, the lettre verte, or ``suivi``). Every send carries the reference as ``antidoublon``, so a
    retry after a timeout cannot post the letter twice.

    Every argument is JSON-friendly, so the credentials can come as one SSM SecureString:
    ``{"service_id": …, "secret_key": …, "user_id": …, "sender_name": …, "sender_address": {"line1": …,
    "postal_code": …, "city": …, "country": "FR"}}``.
    """

    provider = "merci_facteur"

    def __init__(self, base_url: str, service_id: str, secret_key: str, *, user_id: int | str,
                 sender_name: str, sender_address: Address | Mapping[str, Any], timeout: float = 20,
                 authorized_ips: str | Sequence[str] = NO_IP_RESTRICTION, simple_mode: str = "normal",
                 registered_mode: str = "lrare", print_sides: str = "recto", manage_returns: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        if not str(service_id or "").strip() or not str(secret_key or "").strip():
            raise ValueError("Merci Facteur: service_id and secret_key are required")
        if not str(user_id).strip().isdigit():
            raise ValueError("Merci Facteur: user_id must be the numeric id of the sending user (menu Utilisateurs)")
        if simple_mode not in SIMPLE_MODES:
            raise ValueError(f"Merci Facteur: simple_mode must be one of {SIMPLE_MODES}, not {simple_mode!r}")
        if registered_mode not in REGISTERED_MODES:
            raise ValueError(f"Merci Facteur: registered_mode must be one of {REGISTERED_MODES}")
        if print_sides not in PRINT_SIDES:
            raise ValueError(f"Merci Facteur: print_sides must be one of {PRINT_SIDES}")
        try:
            sender, address, label = _checked_recipient(sender_name, sender_address, who="de l’expéditeur")
        except PermanentProviderError as err:
            raise ValueError(f"Merci Facteur: the sender is not a postal address: {err}") from None
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.service_id = str(service_id).strip()
        self._secret = str(secret_key).strip().encode()
        self.user_id = str(user_id).strip()
        self.timeout = timeout
        ips = [authorized_ips] if isinstance(authorized_ips, str) else list(authorized_ips)
        self.authorized_ips = ";".join(ip.strip() for ip in ips if ip.strip()) or NO_IP_RESTRICTION
        self.simple_mode = simple_mode
        self.registered_mode = registered_mode
        self.print_sides = print_sides
        self.manage_returns = manage_returns
        self._sender = {**_mf_address(sender, address, label), "nom": "", "societe": sender, "email": ""}
        self._clock = clock
        self._lock = threading.Lock()
        self._token = ""
        self._token_expire = 0.0
        self._opener = urllib.request.build_opener()

    def __repr__(self) -> str:
        return f"MerciFacteurProvider({self.base_url!r}, service_id={self.service_id!r})"

    # -- the port ------------------------------------------------------------------------------------
    def send(self, *, pdf: bytes, recipient_name: str, recipient_address: Any, registered: bool,
             reference: str) -> PostalReceipt:
        name, addr, label = _checked_letter(pdf, reference, recipient_name, recipient_address)
        mode = self.registered_mode if registered else self.simple_mode
        recipient = {**_mf_address(name, addr, label), "phone": "", "email": "", "consent": 0,
                     "reference": courier_reference(reference)}
        letter = {"files": "", "base64files": [base64.b64encode(pdf).decode("ascii")], "print_sides": self.print_sides}
        form = {
            "idUser": self.user_id,
            "modeEnvoi": mode,
            "adress": json.dumps({"exp": self._sender, "dest": [recipient]}, ensure_ascii=False),
            "content": json.dumps({"letter": letter, "photo": "", "card": ""}),
            "antidoublon": antidoublon_key(reference),
            "designation": courier_reference(reference),
        }
        if self.manage_returns and mode in SIMPLE_MODES:
            form["gestionNpai"] = "1"
        answer = self._call("POST", "sendCourrier", form=form, sending=reference)
        data = answer.json()
        if data is None or not answer.ok:
            raise self._refusal("sendCourrier", answer, data, reference)
        envoi = data.get("envoi_id")
        if isinstance(envoi, list):
            envoi = envoi[0] if envoi else None
        if envoi in (None, ""):
            raise TransientProviderError(f"Merci Facteur a accepté la lettre {reference} sans renvoyer de numéro "
                                         "d’envoi : un nouvel essai est sans risque (anti-doublon)")
        total = (data.get("price") or {}).get("total") or {}
        cost = _decimal_string(total.get("ttc", total.get("ht"))) if isinstance(total, Mapping) else ""
        # The La Poste number exists once the letter is printed: it comes with the « printed » webhook.
        return PostalReceipt(provider=self.provider, provider_id=str(envoi), tracking_number="", cost=cost)

    # -- follow-up -----------------------------------------------------------------------------------
    def tracking(self, provider_id: str) -> dict[str, Any]:
        """Where a letter is: ``status`` (``pending`` until La Poste has it, ``in_transit``, ``delivered``,
        ``returned``), ``delivered_on``, ``proof_available`` (the scanned AR, lrare), ``tracking_number``,
        and the provider's own texts ``print_status`` and ``last_state`` for display."""
        item, print_status = self._suivi(provider_id)
        tracking_number = str(item.get("refTracking") or "").strip()
        last_state = str(item.get("lastState") or "").strip()
        are = str(item.get("are_base64_jpeg") or "").strip()
        proof_available = bool(are) and are.lower() != "pending"
        returned = str(item.get("pnd") or "0").strip() == "1"
        state = _fold(last_state)
        found = _FR_DATE.search(last_state)
        state_date = _fr_date(found) if found else None
        if returned:
            status = "returned"
        elif proof_available or _DELIVERED_TEXT.search(state):
            status = "delivered"
        elif tracking_number:
            status = "in_transit"
        else:
            status = "pending"
        return {"provider_id": str(provider_id), "status": status,
                "delivered_on": state_date if status == "delivered" else None,
                "proof_available": proof_available, "tracking_number": tracking_number, "returned": returned,
                "print_status": str(print_status or ""), "last_state": last_state}

    def proof(self, provider_id: str, *, document: str = "reception") -> bytes:
        """The proof document of a letter: ``reception`` (the AR), ``depot`` (proof of posting).

        PDF or JPEG, as Merci Facteur scanned it (see :func:`media_type`). Raises :class:`ProofUnavailable`
        while there is none: not yet printed or signed, or a lettre verte / paper-AR ``lrar`` letter."""
        if document not in ("reception", "depot", "telechargement"):
            raise ValueError(f"unknown proof document {document!r}")
        item, _ = self._suivi(provider_id)
        tracking_number = str(item.get("refTracking") or "").strip()
        if not tracking_number:
            raise ProofUnavailable(f"envoi {provider_id} : pas encore de numéro de suivi La Poste (lettre non "
                                   "imprimée, ou lettre verte sans suivi) — aucune preuve disponible")
        answer = self._call("GET", "getProof", query={"trackingNumber": tracking_number, "document": document})
        data = answer.json()
        if data is None or not answer.ok:
            if answer.status in (200, 400, 404):
                raise ProofUnavailable(f"envoi {provider_id} : preuve « {document} » indisponible "
                                       f"(code {_error_code(data) or answer.status})")
            raise self._refusal("getProof", answer, data, provider_id)
        try:
            return base64.b64decode(str(data.get("document") or ""), validate=True)
        except ValueError:
            raise TransientProviderError(f"envoi {provider_id} : preuve reçue illisible (base64)") from None

    def _suivi(self, provider_id: str) -> tuple[dict[str, Any], str]:
        if not str(provider_id).isdigit():
            raise ValueError(f"not a Merci Facteur envoi id: {provider_id!r}")
        answer = self._call("GET", "getSuiviEnvoi", query={"idEnvoi": str(provider_id)})
        data = answer.json()
        if data is None or not answer.ok:
            raise self._refusal("getSuiviEnvoi", answer, data, str(provider_id))
        items = [i for i in (data.get("suiviCourrier") or []) if isinstance(i, Mapping)]
        return (dict(items[0]) if items else {}), str(data.get("statutPrintEnvoi") or "")

    # -- plumbing ------------------------------------------------------------------------------------
    def _call(self, method: str, op: str, *, query: Mapping[str, str] | None = None,
              form: Mapping[str, str] | None = None, sending: str = "") -> _Answer:
        """One authenticated call. A refused token is renewed and the call replayed once: a 401 means the
        request was not executed, so even a send is safe to replay (and it carries its anti-doublon)."""
        for attempt in (1, 2):
            token = self._access_token()
            answer = self._http(method, op, query=query, form=form, sending=sending,
                                headers={"ww-service-id": self.service_id, "ww-access-token": token})
            if answer.status not in (401, 403):
                return answer
            self._forget(token)
            if attempt == 2:
                raise ProviderConfigurationError(
                    f"Merci Facteur refuse nos identifiants sur {op} (HTTP {answer.status}, code "
                    f"{_error_code(answer.json()) or 'aucun'}) même avec un jeton neuf : problème de configuration "
                    "— vérifiez l’identifiant de service, la clé secrète et la restriction d’IP du compte")
        raise AssertionError("unreachable")

    def _access_token(self) -> str:
        with self._lock:
            if self._token and self._token_expire - TOKEN_MARGIN_S > self._clock():
                return self._token
            ts = str(int(self._clock()))
            signature = hmac.new(self._secret, f"{self.service_id}{ts}".encode(), hashlib.sha256).hexdigest()
            answer = self._http("GET", "getToken", headers={
                "ww-service-signature": signature, "ww-timestamp": ts, "ww-service-id": self.service_id,
                "ww-authorized-ip": self.authorized_ips})
            data = answer.json()
            if data is None or not answer.ok or not str(data.get("token") or ""):
                raise ProviderConfigurationError(
                    f"Merci Facteur refuse de délivrer un jeton d’accès (HTTP {answer.status}, code "
                    f"{_error_code(data) or 'aucun'}) : problème de configuration — vérifiez l’identifiant de "
                    "service, la clé secrète, l’heure du serveur et la restriction d’IP du compte")
            self._token = str(data["token"])
            try:
                self._token_expire = float(data.get("expire") or 0) or float(ts) + 86400
            except (TypeError, ValueError, ArithmeticError):
                self._token_expire = float(ts) + 86400
            return self._token

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token, self._token_expire = "", 0.0

    def _http(self, method: str, op: str, *, headers: Mapping[str, str], query: Mapping[str, str] | None = None,
              form: Mapping[str, str] | None = None, sending: str = "") -> _Answer:
        """The request; throttling, outages and network failures become TransientProviderError here."""
        url = f"{self.base_url}/{op}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={"Accept": "application/json",
                                                                                 **headers})
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        unknown = (f" ; la lettre {sending} est peut-être partie : un nouvel essai est sans risque (anti-doublon)"
                   if sending else "")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                answer = _Answer(response.status, response.read())
        except urllib.error.HTTPError as err:
            with err:
                answer = _Answer(err.code, err.read())
        except TimeoutError:
            raise TransientProviderError(f"Merci Facteur n’a pas répondu à {op} en {self.timeout:g} s"
                                         f"{unknown}") from None
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise TransientProviderError(f"Merci Facteur n’a pas répondu à {op} en {self.timeout:g} s"
                                             f"{unknown}") from None
            raise TransientProviderError(f"Merci Facteur injoignable ({type(err.reason).__name__}) pour {op}") from None
        except (OSError, http.client.HTTPException) as err:
            raise TransientProviderError(f"échange interrompu avec Merci Facteur ({type(err).__name__}) "
                                         f"pendant {op}{unknown}") from None
        if answer.status in (408, 425, 429) or answer.status >= 500:
            raise TransientProviderError(f"Merci Facteur indisponible pour {op} (HTTP {answer.status}) : "
                                         "nouvel essai plus tard")
        if answer.status == 200 and answer.json() is None:
            raise TransientProviderError(f"réponse illisible de Merci Facteur pour {op}{unknown}")
        return answer

    def _refusal(self, op: str, answer: _Answer, data: dict[str, Any] | None, subject: str) -> ProviderRefused:
        code = _error_code(data)
        upper = code.upper()
        if answer.status == 404 and not code:
            return ProviderRefused(f"Merci Facteur ne connaît pas l’adresse {op} (HTTP 404) : problème de "
                                   "configuration — vérifiez POSTAL_API_URL", http_status=404)
        if "DOUBLON" in upper:
            return AlreadySentError(f"la lettre {subject} a déjà été postée ces 30 derniers jours (anti-doublon "
                                    f"Merci Facteur, code {code}) : retrouvez l’envoi dans Merci Facteur Pro",
                                    code=code, http_status=answer.status)
        if any(part in upper for part in ("ADRESS", "ADDRESS", "COUNTRY", "PAYS", "DEST", "_CP", "VILLE")):
            what = ("Merci Facteur a refusé l’adresse du destinataire (code {code}) : vérifiez-la dans la "
                    "comptabilité puis réimportez le client")
        elif any(part in upper for part in ("LETTER", "FILE", "PDF", "CONTENT", "PAGE")):
            what = "Merci Facteur a refusé le document de la lettre (code {code}) : le PDF est à vérifier"
        elif op == "sendCourrier":
            what = "Merci Facteur a refusé la lettre (code {code}, HTTP {status})"
        else:
            what = "Merci Facteur a refusé la demande {op} (code {code}, HTTP {status})"
        message = what.format(code=code or "aucun", status=answer.status, op=op)
        return ProviderRefused(f"{message} — référence {subject}", code=code, http_status=answer.status)


def media_type(content: bytes) -> str:
    """``application/pdf`` or ``image/jpeg`` from the bytes themselves (a scanned AR is often a JPEG)."""
    if _is_pdf(content):
        return "application/pdf"
    if content[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    return "application/octet-stream"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _fr_date(match: re.Match[str]) -> date | None:
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


# -- local stand-in -----------------------------------------------------------------------------------


class LocalLetterProvider:
    """The demo's provider: the letter is stored (``letters/<reference>.pdf``), nothing is posted.

    It checks the address as the real provider does, so the demo surfaces the same problems; registered
    letters get a tracking number derived from the reference, identical from one run to the next."""

    provider = "local"

    def __init__(self, store_pdf: Callable[[str, bytes], None]) -> None:
        self.store_pdf = store_pdf

    def send(self, *, pdf: bytes, recipient_name: str, recipient_address: Any, registered: bool,
             reference: str) -> PostalReceipt:
        _checked_letter(pdf, reference, recipient_name, recipient_address)
        self.store_pdf(f"letters/{reference}.pdf", pdf)
        tracking = f"LOCAL-{hashlib.sha256(reference.encode()).hexdigest()[:12].upper()}" if registered else ""
        return PostalReceipt(provider=self.provider, provider_id=f"local-{reference}", tracking_number=tracking)
