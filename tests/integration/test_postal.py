"""The postal adapter against a local fake of Merci Facteur's API, over loopback; the status callbacks."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.adapters.postal import (
    AlreadySentError,
    LocalLetterProvider,
    MerciFacteurProvider,
    ProofUnavailable,
    ProviderConfigurationError,
    ProviderRefused,
    courier_reference,
    media_type,
)
from relance.adapters.postal_callback import (
    InvalidCallbackBody,
    StatusUpdate,
    sign_status_callback,
    verify_merci_facteur_callback,
    verify_status_callback,
)
from relance.domain.model import Address
from relance.ports import PermanentProviderError, TransientProviderError
from relance.signing import InvalidSignature

from ..support.fake_postal import FakeClock, FakeMerciFacteur

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
AR_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00accuse de reception signe"
RECIPIENT = Address("12 rue des Lilas", "Bâtiment B", "75011", "Paris", "FR")
SENDER = {"line1": "3 rue de la Forge", "postal_code": "69003", "city": "Lyon", "country": "FR"}
REFERENCE = "F2026-0042-mise_en_demeure"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock):
    with FakeMerciFacteur(clock=clock, slow_seconds=3.0, max_lifetime_s=60) as server:
        yield server


def make_provider(fake: FakeMerciFacteur, clock: FakeClock, **overrides) -> MerciFacteurProvider:
    settings = {"user_id": fake.user_id, "sender_name": "Atelier Durand SARL", "sender_address": SENDER,
                "timeout": 2.0, "clock": clock, **overrides}
    secret = settings.pop("secret_key", fake.secret_key)
    return MerciFacteurProvider(fake.base_url, fake.service_id, secret, **settings)


@pytest.fixture
def provider(fake: FakeMerciFacteur, clock: FakeClock) -> MerciFacteurProvider:
    return make_provider(fake, clock)


def post(provider, *, registered: bool = False, reference: str = REFERENCE, address=RECIPIENT,
         name: str = "Boulangerie Martin", pdf: bytes = PDF):
    return provider.send(pdf=pdf, recipient_name=name, recipient_address=address, registered=registered,
                         reference=reference)


# -- sending ------------------------------------------------------------------------------------------


def test_a_simple_letter_goes_as_lettre_verte_with_the_pdf_and_the_address(fake, provider):
    receipt = post(provider)

    assert receipt.provider == "merci_facteur"
    assert receipt.provider_id == str(next(iter(fake.envois)))
    assert receipt.tracking_number == ""  # La Poste numbers it at printing: the « printed » webhook brings it
    assert receipt.cost == "2.35"
    (sent,) = fake.calls("sendCourrier")
    assert sent.form["modeEnvoi"] == "normal"
    assert sent.form["idUser"] == str(fake.user_id)
    assert sent.pdf == PDF
    dest = sent.adress["dest"][0]
    assert (dest["nom"], dest["adresse1"], dest["adresse2"], dest["cp"], dest["ville"], dest["pays"]) == (
        "Boulangerie Martin", "12 rue des Lilas", "Bâtiment B", "75011", "Paris", "FRANCE")
    assert dest["reference"] == REFERENCE
    assert sent.form["antidoublon"] == REFERENCE
    exp = sent.adress["exp"]
    assert (exp["societe"], exp["cp"], exp["ville"], exp["pays"]) == ("Atelier Durand SARL", "69003", "Lyon", "FRANCE")


@pytest.mark.parametrize(("registered_mode", "cost"), [("lrare", "9.18"), ("lrar", "8.58")])
def test_a_registered_letter_goes_as_registered_with_acknowledgement(fake, clock, registered_mode, cost):
    provider = make_provider(fake, clock, registered_mode=registered_mode)

    receipt = post(provider, registered=True)

    assert receipt.provider_id.isdigit()
    assert receipt.cost == cost
    assert fake.calls("sendCourrier")[0].form["modeEnvoi"] == registered_mode


def test_the_envoi_id_is_read_in_the_openapi_list_form_too(fake, provider):
    fake.envoi_id_as_list = True

    receipt = post(provider)

    assert receipt.provider_id == str(next(iter(fake.envois)))


def test_a_long_reference_is_shortened_the_same_way_each_time_and_kept_whole_for_antidoublon(fake, provider):
    reference = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08-letter"

    post(provider, reference=reference)

    sent = fake.calls("sendCourrier")[0]
    assert sent.adress["dest"][0]["reference"] == courier_reference(reference)
    assert len(courier_reference(reference)) <= 30
    assert sent.form["antidoublon"] == reference


def test_the_token_is_fetched_once_and_reused(fake, provider):
    post(provider, reference="A-1")
    post(provider, reference="A-2")

    assert len(fake.calls("getToken")) == 1
    tokens = {r.headers["ww-access-token"] for r in fake.calls("sendCourrier")}
    assert len(tokens) == 1


def test_an_expired_token_is_renewed_before_use(fake, provider, clock):
    post(provider, reference="A-1")
    clock.advance(86400)

    post(provider, reference="A-2")

    assert len(fake.calls("getToken")) == 2
    first, second = (r.headers["ww-access-token"] for r in fake.calls("sendCourrier"))
    assert first != second


def test_a_token_the_provider_revoked_is_renewed_and_the_letter_sent_once(fake, provider):
    post(provider, reference="A-1")
    fake.revoke_tokens()

    post(provider, reference="A-2")

    assert len(fake.calls("getToken")) == 2
    assert len(fake.envois) == 2


# -- failures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["429", "500", "503"])
def test_throttling_and_outages_are_transient(fake, provider, fault):
    fake.fail_next(fault, op="sendCourrier")

    with pytest.raises(TransientProviderError):
        post(provider)

    assert fake.envois == {}
    assert post(provider).provider_id  # the next attempt goes through


def test_an_outage_while_fetching_the_token_is_transient(fake, provider):
    fake.fail_next("503", op="getToken")

    with pytest.raises(TransientProviderError):
        post(provider)


def test_a_timeout_is_transient(fake, clock):
    provider = make_provider(fake, clock, timeout=0.5)
    fake.fail_next("slow", op="sendCourrier")

    with pytest.raises(TransientProviderError):
        post(provider)


def test_the_retry_after_a_timeout_does_not_post_the_letter_twice(fake, clock):
    provider = make_provider(fake, clock, timeout=0.5)
    fake.fail_next("slow", op="sendCourrier")
    with pytest.raises(TransientProviderError):
        post(provider)  # the letter did go out; the answer was lost

    with pytest.raises(AlreadySentError):
        post(provider)

    assert len(fake.envois) == 1


def test_an_unreachable_provider_is_transient(fake, provider):
    fake.stop()

    with pytest.raises(TransientProviderError):
        post(provider)


def test_an_address_the_provider_refuses_is_permanent_and_not_quoted(fake, provider):
    fake.fail_next("invalid_address", op="sendCourrier")

    with pytest.raises(ProviderRefused) as refused:
        post(provider)

    assert refused.value.code == "INFO_ADDRESS_MISSING"
    message = str(refused.value)
    assert "adresse" in message
    assert "Lilas" not in message and "75011" not in message and "Paris" not in message


@pytest.mark.parametrize("address", [
    Address("12 rue des Lilas", "", "", "Paris", "FR"),
    Address("", "", "75011", "Paris", "FR"),
    Address("12 rue des Lilas", "", "75011", "Paris", "ZZ"),
    Address("12 rue des Lilas " + "x" * 90, "", "75011", "Paris", "FR"),
])
def test_an_unusable_address_is_refused_before_anything_is_sent(fake, provider, address):
    with pytest.raises(PermanentProviderError) as refused:
        post(provider, address=address)

    assert fake.requests == []
    assert "Lilas" not in str(refused.value)


def test_a_document_that_is_not_a_pdf_is_refused_before_anything_is_sent(fake, provider):
    with pytest.raises(PermanentProviderError):
        post(provider, pdf=b"<html>not a letter</html>")

    assert fake.requests == []


def test_a_token_refused_twice_is_a_configuration_problem(fake, provider):
    fake.fail_next("401", times=2, op="sendCourrier")

    with pytest.raises(ProviderConfigurationError) as refused:
        post(provider)

    assert "configuration" in str(refused.value)
    assert len(fake.calls("getToken")) == 2
    assert fake.envois == {}


def test_a_wrong_secret_key_is_a_configuration_problem_and_never_shown(fake, clock):
    provider = make_provider(fake, clock, secret_key="not-the-right-key")

    with pytest.raises(ProviderConfigurationError) as refused:
        post(provider)

    assert "configuration" in str(refused.value)
    assert "not-the-right-key" not in str(refused.value) and "not-the-right-key" not in repr(provider)
    assert all(fake.secret_key not in json.dumps(r.headers) for r in fake.requests)


def test_a_sender_without_a_postal_address_fails_at_construction(fake, clock):
    with pytest.raises(ValueError):
        make_provider(fake, clock, sender_address={"line1": "3 rue de la Forge", "city": "Lyon"})


# -- tracking and proof ---------------------------------------------------------------------------------


def test_tracking_follows_a_registered_letter_to_its_signed_acknowledgement(fake, provider):
    envoi = post(provider, registered=True).provider_id
    assert provider.tracking(envoi)["status"] == "pending"

    number = fake.print_envoi(envoi)
    printed = provider.tracking(envoi)
    assert (printed["status"], printed["tracking_number"], printed["proof_available"]) == ("in_transit", number, False)

    fake.deliver(envoi, on=date(2026, 10, 20), ar=AR_JPEG)
    delivered = provider.tracking(envoi)
    assert delivered["status"] == "delivered"
    assert delivered["delivered_on"] == date(2026, 10, 20)
    assert delivered["proof_available"] is True


def test_tracking_reports_a_letter_returned_to_sender(fake, provider):
    envoi = post(provider, registered=True).provider_id
    fake.print_envoi(envoi)

    fake.return_to_sender(envoi, on=date(2026, 10, 22))

    assert provider.tracking(envoi)["status"] == "returned"
    assert provider.tracking(envoi)["delivered_on"] is None


def test_tracking_an_unknown_envoi_is_refused(provider):
    with pytest.raises(ProviderRefused):
        provider.tracking("999999")


def test_the_proof_is_the_scanned_acknowledgement(fake, provider):
    envoi = post(provider, registered=True).provider_id
    fake.print_envoi(envoi)
    fake.deliver(envoi, on=date(2026, 10, 20), ar=AR_JPEG)

    proof = provider.proof(envoi)

    assert proof == AR_JPEG
    assert media_type(proof) == "image/jpeg"
    (asked,) = fake.calls("getProof")
    assert asked.query == {"trackingNumber": fake.envois[int(envoi)].tracking_number, "document": "reception"}


def test_the_proof_of_posting_is_available_once_printed(fake, provider):
    envoi = post(provider, registered=True).provider_id
    fake.print_envoi(envoi)

    assert media_type(provider.proof(envoi, document="depot")) == "application/pdf"


def test_there_is_no_proof_before_printing_nor_for_a_lettre_verte(fake, provider):
    registered = post(provider, registered=True, reference="R-1").provider_id
    simple = post(provider, reference="S-1").provider_id
    fake.print_envoi(simple)

    with pytest.raises(ProofUnavailable):
        provider.proof(registered)
    with pytest.raises(ProofUnavailable):
        provider.proof(simple)


def test_no_acknowledgement_until_it_is_signed(fake, provider):
    envoi = post(provider, registered=True).provider_id
    fake.print_envoi(envoi)

    with pytest.raises(ProofUnavailable):
        provider.proof(envoi)


# -- the local stand-in -------------------------------------------------------------------------------


def test_the_local_provider_stores_the_letter_and_numbers_registered_ones_the_same_each_time():
    stored: dict[str, bytes] = {}
    local = LocalLetterProvider(stored.__setitem__)

    first = post(local, registered=True)
    again = post(LocalLetterProvider({}.__setitem__), registered=True)

    assert stored == {f"letters/{REFERENCE}.pdf": PDF}
    assert (first.provider, first.provider_id) == ("local", f"local-{REFERENCE}")
    assert first.tracking_number.startswith("LOCAL-")
    assert first.tracking_number == again.tracking_number


def test_the_local_provider_gives_simple_letters_no_tracking_number():
    assert post(LocalLetterProvider({}.__setitem__)).tracking_number == ""


def test_the_local_provider_refuses_the_addresses_the_real_one_would():
    stored: dict[str, bytes] = {}

    with pytest.raises(PermanentProviderError):
        post(LocalLetterProvider(stored.__setitem__), address=Address("12 rue des Lilas", "", "", "Paris"))

    assert stored == {}


# -- our signed status callbacks ----------------------------------------------------------------------

NOW = datetime(2026, 10, 20, 9, 30, tzinfo=UTC)
SECRET = "callback-secret-2026"
BODY = json.dumps({"provider_id": "120001", "status": "delivered", "event_date": "2026-10-20",
                   "delivered_on": "2026-10-20", "tracking_number": "2C00000120001", "proof_url": None,
                   "reference": REFERENCE}).encode()


def signed(body: bytes = BODY, secrets=SECRET, at: datetime = NOW) -> dict[str, str]:
    return {"X-Relance-Signature": sign_status_callback(body, secrets, now=at)}


def test_a_signed_callback_is_read():
    update = verify_status_callback(BODY, signed(), SECRET, now=NOW)

    assert update == StatusUpdate(provider_id="120001", status="delivered", event_date=date(2026, 10, 20),
                                  delivered_on=date(2026, 10, 20), tracking_number="2C00000120001",
                                  proof_url="", reference=REFERENCE)


def test_header_names_are_case_insensitive():
    headers = {k.lower(): v for k, v in signed().items()}

    assert verify_status_callback(BODY, headers, SECRET, now=NOW).provider_id == "120001"


def test_a_tampered_body_is_rejected():
    tampered = BODY.replace(b"delivered", b"returned_")

    with pytest.raises(InvalidSignature):
        verify_status_callback(tampered, signed(), SECRET, now=NOW)


def test_a_signature_with_another_secret_is_rejected():
    with pytest.raises(InvalidSignature):
        verify_status_callback(BODY, signed(secrets="someone-else"), SECRET, now=NOW)


@pytest.mark.parametrize("offset", [timedelta(seconds=-301), timedelta(seconds=301)], ids=["stale", "future"])
def test_a_signature_outside_the_tolerance_window_is_rejected(offset):
    with pytest.raises(InvalidSignature):
        verify_status_callback(BODY, signed(at=NOW + offset), SECRET, now=NOW)


def test_a_signature_inside_the_tolerance_window_is_accepted():
    assert verify_status_callback(BODY, signed(at=NOW - timedelta(seconds=299)), SECRET, now=NOW)


@pytest.mark.parametrize("headers", [{}, {"X-Relance-Signature": ""}, {"X-Relance-Signature": "v1=" + "a" * 64},
                                     {"X-Relance-Signature": f"t={int(NOW.timestamp())}"},
                                     {"X-Relance-Signature": f"t={int(NOW.timestamp())},v1=zz"}],
                         ids=["missing", "empty", "no-timestamp", "no-signature", "not-hex"])
def test_a_missing_or_malformed_signature_header_is_rejected(headers):
    with pytest.raises(InvalidSignature):
        verify_status_callback(BODY, headers, SECRET, now=NOW)


def test_during_a_rotation_either_secret_verifies_a_callback_signed_with_both():
    headers = signed(secrets=["old-secret", "new-secret"])

    assert verify_status_callback(BODY, headers, "new-secret", now=NOW).status == "delivered"
    assert verify_status_callback(BODY, headers, "old-secret", now=NOW).status == "delivered"
    with pytest.raises(InvalidSignature):
        verify_status_callback(BODY, signed(secrets="old-secret"), "new-secret", now=NOW)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"status": "delivered"}',
                                  b'{"provider_id": "1", "status": "teleported"}',
                                  b'{"provider_id": "1", "status": "delivered", "delivered_on": "20/10/2026"}'],
                         ids=["not-json", "not-object", "no-provider-id", "unknown-status", "bad-date"])
def test_an_authentic_callback_with_a_malformed_body_is_a_clear_error(body):
    with pytest.raises(InvalidCallbackBody):
        verify_status_callback(body, signed(body), SECRET, now=NOW)


@given(st.binary(max_size=300), st.binary(min_size=1, max_size=8))
def test_any_body_verifies_as_signed_and_fails_once_altered(body, extra):
    headers = signed(body)
    with contextlib.suppress(InvalidCallbackBody):  # authentic but not our format: not taken for a forgery
        verify_status_callback(body, headers, SECRET, now=NOW)
    with pytest.raises(InvalidSignature):
        verify_status_callback(body + extra, headers, SECRET, now=NOW)


# -- Merci Facteur's own webhooks ---------------------------------------------------------------------

MF_SECRET = "secret-webhook-123456789azerty"


def mf_webhook(name_event: str, **extra) -> bytes:
    detail = {"civilite": "M.", "nom": "Dupont", "prenom": "Michel", "societe": "Green Flower Corp",
              "adresse1": "3 rue des fleurs", "adresse2": "", "adresse3": "", "cp": "75015", "ville": "Paris",
              "pays": "FRANCE", "ref_courrier": "123456-789123456", "mode_envoi": "lrare",
              "tracking_number": "2C123456789", "id_envoi": "123", "statut_courrier": "imprime",
              "statut_description": "14/02/2020 : Courrier imprimé par Merci facteur", "ref_interne": "client_123",
              **extra}
    event = {"name_event": name_event, "id_user": 17460, "date_event": 1581674000}
    return urlencode({"event": json.dumps(event), "detail": json.dumps([detail])}).encode()


def mf_verify(body, headers, secret):
    """Merci Facteur's webhook read as the postal status function reads it: dates in the company's time zone."""
    return verify_merci_facteur_callback(body, headers, secret, tz=ZoneInfo("Europe/Paris"))


def test_a_merci_facteur_webhook_is_read_one_update_per_letter_without_the_address():
    (update,) = mf_verify(mf_webhook("printed"), {"x-mf-webhook-secret-key": MF_SECRET},
                                              MF_SECRET)

    assert (update.provider_id, update.status, update.tracking_number, update.reference) == (
        "123", "printed", "2C123456789", "client_123")
    assert update.event_date == date(2020, 2, 14)
    assert update.provider_status == "imprime"
    assert "Dupont" not in repr(update) and "fleurs" not in repr(update)


def test_a_merci_facteur_webhook_carries_the_scanned_acknowledgement():
    body = mf_webhook("are", statut_courrier="retour_are", are_base64_jpeg=base64.b64encode(AR_JPEG).decode())

    (update,) = mf_verify(body, {"X-Mf-Webhook-Secret-Key": MF_SECRET}, MF_SECRET)

    assert update.status == "proof_available"
    assert update.proof == AR_JPEG


def test_a_merci_facteur_delivery_is_dated():
    (update,) = mf_verify(mf_webhook("delivered", statut_courrier="distribue"),
                                              {"X-Mf-Webhook-Secret-Key": MF_SECRET}, MF_SECRET)

    assert (update.status, update.delivered_on) == ("delivered", date(2020, 2, 14))


@pytest.mark.parametrize("headers", [{}, {"X-Mf-Webhook-Secret-Key": "guess"}], ids=["missing", "wrong"])
def test_a_merci_facteur_webhook_without_the_right_key_is_rejected(headers):
    with pytest.raises(InvalidSignature):
        mf_verify(mf_webhook("printed"), headers, MF_SECRET)


def test_a_merci_facteur_webhook_key_can_be_rotated():
    headers = {"X-Mf-Webhook-Secret-Key": "previous-key"}

    assert mf_verify(mf_webhook("printed"), headers, [MF_SECRET, "previous-key"])


def test_a_merci_facteur_webhook_sent_as_json_is_a_clear_error():
    body = json.dumps({"event": {"name_event": "printed"}, "detail": []}).encode()

    with pytest.raises(InvalidCallbackBody):
        mf_verify(body, {"X-Mf-Webhook-Secret-Key": MF_SECRET}, MF_SECRET)


def test_an_unknown_merci_facteur_event_is_kept_as_other():
    (update,) = mf_verify(mf_webhook("something-new"), {"X-Mf-Webhook-Secret-Key": MF_SECRET},
                                              MF_SECRET)

    assert update.status == "other"
