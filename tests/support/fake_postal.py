"""A local fake of Merci Facteur's REST API, for the adapter's integration tests.

It serves, on 127.0.0.1 and a free port, the four operations relance uses — ``getToken``, ``sendCourrier``,
``getSuiviEnvoi`` and ``getProof`` — under ``/api/1.2/prod/service``, and checks requests the way the
documentation says the real API does: the HMAC-SHA256 signature of ``service_id + timestamp`` (valid 5
minutes), the ``ww-service-id`` / ``ww-access-token`` pair, every address key present, ``""`` rather than
``[]`` for empty content, the reference's length and characters, the ``antidoublon`` refusal. Answers have
the documented shapes (``{"success": false, "error": {"code", "text"}}`` with HTTP 400 or 401 on errors).

Error *codes* other than ``INFO_ADDRESS_MISSING`` and ``LETTER_INVALID_BASE64_FILES`` are not published and
are made up here (``INVALID_TOKEN``, ``INVALID_SIGNATURE``, ``ANTIDOUBLON_ALREADY_USED``…).

Failures on demand: :meth:`FakeMerciFacteur.fail_next` makes the next N calls (of one operation, or any)
answer 429, 500 or 503, refuse the address (400), refuse the token (401), or answer late (``slow``: the
request is carried out, the answer held back, as when a real timeout hides a letter that did go out).
The letter's life is moved on by hand: :meth:`print_envoi`, :meth:`deliver`, :meth:`return_to_sender`.
Every request is recorded. The server stops with the context manager, and by itself after
``max_lifetime_s`` at the latest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dt_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

PREFIX = "/api/1.2/prod/service"
FAULTS = ("429", "500", "503", "slow", "invalid_address", "401")
MODES = ("normal", "suivi", "lrar", "lrare")
EXP_KEYS = ("civilite", "nom", "prenom", "societe", "adresse1", "adresse2", "adresse3", "cp", "ville", "pays")
DEST_KEYS = (*EXP_KEYS, "reference")
COUNTRIES = ("FRANCE", "BELGIQUE", "SUISSE", "LUXEMBOURG", "MONACO", "ALLEMAGNE", "ESPAGNE", "ITALIE",
             "GUADELOUPE", "MARTINIQUE", "REUNION")
PRICES = {"normal": ("1.96", "2.35"), "suivi": ("2.95", "3.54"), "lrar": ("7.15", "8.58"), "lrare": ("7.65", "9.18")}


class FakeClock:
    """A clock the fake and the adapter can share, moved by hand."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    op: str
    headers: dict[str, str]  # names lower-cased
    query: dict[str, str]
    form: dict[str, str]

    @property
    def adress(self) -> dict[str, Any]:
        return json.loads(self.form["adress"])

    @property
    def content(self) -> dict[str, Any]:
        return json.loads(self.form["content"])

    @property
    def pdf(self) -> bytes:
        return base64.b64decode(self.content["letter"]["base64files"][0])


@dataclass
class Envoi:
    id: int
    mode: str
    exp: dict[str, Any]
    dest: dict[str, Any]
    pdf: bytes = field(repr=False)
    antidoublon: str
    ref_courrier: str
    tracking_number: str = ""
    print_status: str = "Traitement en attente"
    last_state: str = ""
    returned: bool = False
    ar: bytes = field(default=b"", repr=False)
    deposit: bytes = field(default=b"", repr=False)


@dataclass
class _Fault:
    kind: str
    remaining: int
    op: str | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeMerciFacteur

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout) breaks the pipe: expected here, not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not url.path.startswith(PREFIX + "/"):
            self._write(404, {"success": False, "error": "NOT_FOUND"})
            return
        op = url.path[len(PREFIX) + 1:]
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()} if raw else {}
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake._record(Recorded(method, op, headers, query, form))
        fault = fake._take_fault(op)
        status, payload = fake._answer(method, op, headers, query, form, fault)
        if fault == "slow":
            fake._stopping.wait(fake.slow_seconds)
        self._write(status, payload)

    def _write(self, status: int, payload: Any) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(payload, bytes) else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _error(status: int, code: str, text: str = "") -> tuple[int, dict[str, Any]]:
    return status, {"success": False, "error": {"code": code, "text": text or code}}


class FakeMerciFacteur:
    """The fake API; use as a context manager, read :attr:`base_url`, pass the same credentials."""

    def __init__(self, *, service_id: str = "svc-relance-test", secret_key: str = "test-secret-key-0001",
                 user_id: int = 4242, token_ttl: float = 86400, clock: Callable[[], float] = time.time,
                 slow_seconds: float = 5.0, max_lifetime_s: float = 120.0) -> None:
        self.service_id = service_id
        self.secret_key = secret_key
        self.user_id = user_id
        self.token_ttl = token_ttl
        self.clock = clock
        self.slow_seconds = slow_seconds
        self.max_lifetime_s = max_lifetime_s
        self.envoi_id_as_list = False  # the OpenAPI model's shape; the guides show a plain integer
        self.envois: dict[int, Envoi] = {}
        self._requests: list[Recorded] = []
        self._faults: list[_Fault] = []
        self._tokens: dict[str, float] = {}
        self._ids = itertools.count(120001)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- life ----------------------------------------------------------------------------------------
    def start(self) -> FakeMerciFacteur:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-merci-facteur", daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.max_lifetime_s, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeMerciFacteur:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    # -- control -------------------------------------------------------------------------------------
    def fail_next(self, kind: str, times: int = 1, *, op: str | None = None) -> None:
        """The next ``times`` calls (of ``op``, or of any operation) fail as ``kind`` (one of FAULTS)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {FAULTS}")
        with self._lock:
            self._faults.append(_Fault(kind, times, op))

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far, as a renewal elsewhere would."""
        with self._lock:
            self._tokens.clear()

    def print_envoi(self, envoi_id: int | str, *, on: date | None = None, tracking_number: str | None = None) -> str:
        """The letter is printed and handed to La Poste; returns its tracking number (``""`` for lettre verte)."""
        envoi = self.envois[int(envoi_id)]
        day = on or date.fromtimestamp(self.clock())
        envoi.tracking_number = "" if envoi.mode == "normal" else (tracking_number or f"2C{envoi.id:011d}")
        envoi.print_status = "Impression terminée"
        envoi.last_state = f"{day:%d/%m/%Y} : Pris en charge par La Poste"
        if envoi.mode != "normal":
            envoi.deposit = b"%PDF-1.4 preuve de depot " + envoi.tracking_number.encode()
        return envoi.tracking_number

    def deliver(self, envoi_id: int | str, *, on: date, ar: bytes = b"") -> None:
        """Delivered on ``on``; for ``lrare``, ``ar`` is the scanned acknowledgement of receipt."""
        envoi = self.envois[int(envoi_id)]
        envoi.last_state = f"{on:%d/%m/%Y} : Distribué"
        if ar and envoi.mode == "lrare":
            envoi.ar = ar

    def return_to_sender(self, envoi_id: int | str, *, on: date) -> None:
        envoi = self.envois[int(envoi_id)]
        envoi.returned = True
        envoi.last_state = f"{on:%d/%m/%Y} : Distribué à l'expéditeur"

    def webhook(self, envoi_id: int | str, name_event: str, *, on: date, secret: str) -> tuple[bytes, dict[str, str]]:
        """The webhook Merci Facteur would POST about this letter (``printed``, ``delivered``, ``are``…): the
        form-encoded ``event`` / ``detail`` JSON strings with the recipient's address and ``ref_interne``, and
        the static secret header."""
        envoi = self.envois[int(envoi_id)]
        at = int(datetime.combine(on, dt_time(10, 30)).timestamp())
        detail = {**{k: envoi.dest[k] for k in EXP_KEYS}, "ref_courrier": envoi.ref_courrier,
                  "ref_interne": envoi.dest["reference"], "mode_envoi": envoi.mode,
                  "tracking_number": envoi.tracking_number, "id_envoi": str(envoi.id),
                  "statut_courrier": {"printed": "imprime", "delivered": "distribue", "are": "retour_are",
                                      "pnd": "pnd"}.get(name_event, name_event),
                  "statut_description": envoi.last_state}
        if name_event == "are" and envoi.ar:
            detail["are_base64_jpeg"] = base64.b64encode(envoi.ar).decode()
        event = {"name_event": name_event, "id_user": self.user_id, "date_event": at}
        body = urlencode({"event": json.dumps(event), "detail": json.dumps([detail])}).encode()
        return body, {"content-type": "application/x-www-form-urlencoded", "x-mf-webhook-secret-key": secret}

    # -- what happened -------------------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def calls(self, op: str) -> list[Recorded]:
        return [r for r in self.requests if r.op == op]

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, op: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.op in (None, op):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault.kind
        return None

    # -- the API -------------------------------------------------------------------------------------
    def _answer(self, method: str, op: str, headers: dict[str, str], query: dict[str, str], form: dict[str, str],
                fault: str | None) -> tuple[int, Any]:
        if fault in ("429", "503"):
            return _error(int(fault), "SERVICE_UNAVAILABLE")
        if fault == "500":
            return 500, b"<html><body>Internal Server Error</body></html>"
        if fault == "401":
            return _error(401, "INVALID_TOKEN", "Token invalide ou expir\u00e9")
        if op == "getToken":
            return self._get_token(headers)
        if not self._authorized(headers):
            return _error(401, "INVALID_TOKEN", "Token invalide ou expir\u00e9")
        if fault == "invalid_address":
            # The real API's text may quote the address: the adapter must not repeat it.
            return _error(400, "INFO_ADDRESS_MISSING", "Adresse incompl\u00e8te : 12 rue des Lilas 75011 PARIS")
        if op == "sendCourrier" and method == "POST":
            return self._send(form)
        if op == "getSuiviEnvoi" and method == "GET":
            return self._suivi(query)
        if op == "getProof" and method == "GET":
            return self._proof(query)
        return 404, {"success": False, "error": "UNKNOWN_OPERATION"}

    def _get_token(self, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        ts = headers.get("ww-timestamp", "")
        if headers.get("ww-service-id") != self.service_id or not ts.isdigit() or not headers.get("ww-authorized-ip"):
            return _error(401, "INVALID_SERVICE_ID")
        if abs(self.clock() - int(ts)) > 300:
            return _error(401, "EXPIRED_SIGNATURE")
        expected = hmac.new(self.secret_key.encode(), f"{self.service_id}{ts}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("ww-service-signature", "")):
            return _error(401, "INVALID_SIGNATURE")
        now = self.clock()
        with self._lock:
            current = [(t, exp) for t, exp in self._tokens.items() if exp > now]
            if current:  # as documented: while a token is valid, getToken hands it back
                token, expire = current[0]
            else:
                token, expire = f"tok-{len(self._tokens) + 1}-{int(now)}", now + self.token_ttl
                self._tokens[token] = expire
        return 200, {"success": True, "token": token, "expire": int(expire)}

    def _authorized(self, headers: dict[str, str]) -> bool:
        expire = self._tokens.get(headers.get("ww-access-token", ""))
        return headers.get("ww-service-id") == self.service_id and expire is not None and expire > self.clock()

    def _send(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("idUser") != str(self.user_id):
            return _error(400, "INVALID_USER_ID")
        mode = form.get("modeEnvoi", "")
        if mode not in MODES:
            return _error(400, "INVALID_MODE_ENVOI")
        try:
            adress = json.loads(form["adress"])
            content = json.loads(form["content"])
            exp, dests = adress["exp"], adress["dest"]
            letter = content["letter"]
        except (KeyError, ValueError, TypeError):
            return _error(400, "INVALID_PARAMETERS")
        if not isinstance(dests, list) or len(dests) != 1 or not isinstance(exp, dict):
            return _error(400, "INFO_ADDRESS_MISSING")
        dest = dests[0]
        for address, keys in ((exp, EXP_KEYS), (dest, DEST_KEYS)):
            if not isinstance(address, dict) or any(k not in address for k in keys):
                return _error(400, "INFO_ADDRESS_MISSING")
            if not (address["nom"] or address["societe"]) or not all(address[k] for k in ("cp", "ville", "pays")):
                return _error(400, "INFO_ADDRESS_MISSING")
            if address["pays"] not in COUNTRIES:
                return _error(400, "INVALID_COUNTRY_ADRESS")
        reference = dest["reference"]
        if len(reference) > 30 or re.search(r"[^A-Za-z0-9 _-]", reference):
            return _error(400, "INVALID_REFERENCE")
        if len(form.get("designation", "")) > 50 or len(form.get("antidoublon", "")) > 200:
            return _error(400, "INVALID_PARAMETERS")
        files = letter.get("base64files")
        if letter.get("files") != "" or content.get("photo") != "" or content.get("card") != "":
            return _error(400, "LETTER_INVALID_FILES")
        try:
            pdf = base64.b64decode(files[0], validate=True) if isinstance(files, list) and files else b""
        except ValueError:
            pdf = b""
        if not pdf.startswith(b"%PDF-"):
            return _error(400, "LETTER_INVALID_BASE64_FILES")
        antidoublon = form.get("antidoublon", "")
        with self._lock:
            if antidoublon and any(e.antidoublon == antidoublon for e in self.envois.values()):
                return _error(400, "ANTIDOUBLON_ALREADY_USED")
            envoi_id = next(self._ids)
            self.envois[envoi_id] = Envoi(envoi_id, mode, exp, dest, pdf, antidoublon,
                                          ref_courrier=f"{envoi_id}-{envoi_id * 7919 % 10**9:09d}")
        ht, ttc = PRICES[mode]
        return 200, {"success": True, "envoi_id": [envoi_id] if self.envoi_id_as_list else envoi_id,
                     "price": {"total": {"ht": float(ht), "ttc": float(ttc)}}, "resume": {"nb_dest": 1, "nb_page": 1}}

    def _suivi(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        envoi = self.envois.get(int(query["idEnvoi"])) if query.get("idEnvoi", "").isdigit() else None
        if envoi is None:
            return _error(400, "INVALID_ID_ENVOI")
        tracked = envoi.mode != "normal"
        item = {
            "dest": envoi.dest["nom"] or envoi.dest["societe"],
            "refCourrier": envoi.ref_courrier,
            "refTracking": envoi.tracking_number or None,
            "modeEnvoi": envoi.mode,
            "lastState": envoi.last_state,
            "historique": envoi.last_state,
            "pnd": ("1" if envoi.returned else "0") if tracked else None,
            "are_base64_jpeg": (base64.b64encode(envoi.ar).decode() if envoi.ar else "pending")
            if envoi.mode == "lrare" else None,
        }
        return 200, {"success": True, "statutPrintEnvoi": envoi.print_status, "suiviCourrier": [item]}

    def _proof(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        number = query.get("trackingNumber", "")
        envoi = next((e for e in self.envois.values() if number and e.tracking_number == number), None)
        if envoi is None:
            return _error(400, "INVALID_TRACKING_NUMBER")
        document = {"reception": envoi.ar, "depot": envoi.deposit}.get(query.get("document", ""), b"")
        if not document:
            return _error(400, "PROOF_NOT_AVAILABLE")
        kind = "pdf" if document.startswith(b"%PDF") else "jpeg"
        return 200, {"success": True, "format_return": kind, "document": base64.b64encode(document).decode()}
