"""One signing module: the request scheme both webhooks and the postal callback use, and signed-link tokens."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance import signing
from relance.adapters import postal_callback
from relance.payments import webhooks
from relance.signing import InvalidSignature, SigningKey, sign, sign_token, verify, verify_token

NOW = datetime(2026, 11, 20, 9, 14, 10, tzinfo=UTC)
BODY = b'{"id": "evt_1", "amount": "120.00"}'
CURRENT = SigningKey("2026-11", "portal-link-secret-november")
PREVIOUS = SigningKey("2026-10", "portal-link-secret-october")
CLAIMS = {"customer": "C-0042", "invoices": ["F-2026-0412"]}


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidSignature) as exc:
        call(*args, **kwargs)
    return exc.value.reason


# -- one scheme, one error ---------------------------------------------------------------------------------


def test_payments_and_the_postal_callback_raise_the_one_signing_error():
    # Given a body signed with another secret
    header = sign(BODY, "not-the-secret", now=NOW)
    # Then both doors refuse it with the same error type and the same reason
    assert refused(webhooks.verify_generic, BODY, {"Relance-Signature": header}, ["the-secret"], now=NOW) == "mismatch"
    assert refused(postal_callback.verify_status_callback, BODY, {"X-Relance-Signature": header}, "the-secret",
                   now=NOW) == "mismatch"


def test_a_header_signed_by_one_door_verifies_at_the_other_because_the_scheme_is_one():
    header = postal_callback.sign_status_callback(BODY, "shared", now=NOW)
    assert header == webhooks.sign_generic(BODY, "shared", now=NOW)
    verify(BODY, header, ["shared"], now=NOW)


def test_more_signatures_than_the_cap_are_refused_as_malformed():
    header = sign(BODY, [f"secret-{i}" for i in range(signing.MAX_SIGNATURES + 1)], now=NOW)
    assert refused(verify, BODY, header, ["secret-0"], now=NOW) == "malformed"


@given(st.binary(max_size=200), st.binary(min_size=1, max_size=8))
def test_any_body_verifies_as_signed_and_fails_once_altered(body, extra):
    header = sign(body, ["old", "new"], now=NOW)
    verify(body, header, ["new"], now=NOW)
    assert refused(verify, body + extra, header, ["new"], now=NOW) == "mismatch"


def test_a_naive_clock_or_no_secret_is_our_misconfiguration_not_a_refusal():
    with pytest.raises(ValueError):
        verify(BODY, sign(BODY, "s", now=NOW), ["s"], now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        verify(BODY, sign(BODY, "s", now=NOW), [], now=NOW)
    with pytest.raises(TypeError):
        verify(BODY, sign(BODY, "s", now=NOW), "s", now=NOW)  # type: ignore[arg-type]


# -- signed links ----------------------------------------------------------------------------------------


def test_a_signed_link_token_gives_its_claims_back_until_it_expires():
    token = sign_token(CLAIMS, CURRENT, now=NOW, ttl_s=3600)
    claims = verify_token(token, [CURRENT], now=NOW + timedelta(seconds=3599))
    assert (claims["customer"], claims["invoices"]) == ("C-0042", ["F-2026-0412"])
    assert refused(verify_token, token, [CURRENT], now=NOW + timedelta(seconds=3600)) == "expired"


def test_a_token_holds_no_secret_and_is_url_safe():
    token = sign_token(CLAIMS, CURRENT, now=NOW, ttl_s=60)
    assert CURRENT.secret not in token and "portal-link" not in repr(CURRENT)
    assert all(c.isalnum() or c in "-_." for c in token)


def test_a_tampered_token_is_refused():
    token = sign_token(CLAIMS, CURRENT, now=NOW, ttl_s=3600)
    version, key_id, body, mac = token.split(".")
    forged = json.dumps({**CLAIMS, "customer": "C-0001", "exp": int(NOW.timestamp()) + 3600}).encode()
    forged_body = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    assert refused(verify_token, f"{version}.{key_id}.{forged_body}.{mac}", [CURRENT], now=NOW) == "mismatch"
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    assert refused(verify_token, f"{version}.{key_id}.{body}.{flipped}", [CURRENT], now=NOW) == "mismatch"


def test_a_token_signed_with_another_secret_under_the_same_key_id_is_refused():
    impostor = SigningKey(CURRENT.id, "someone-else")
    token = sign_token(CLAIMS, impostor, now=NOW, ttl_s=3600)
    assert refused(verify_token, token, [CURRENT], now=NOW) == "mismatch"


def test_during_a_rotation_links_signed_with_the_previous_key_still_open_then_stop_when_it_is_dropped():
    # Given a link sent last month and the keys now accepted: the new one to sign, the old one kept
    old_link = sign_token(CLAIMS, PREVIOUS, now=NOW - timedelta(days=20), ttl_s=30 * 86400)
    new_link = sign_token(CLAIMS, CURRENT, now=NOW, ttl_s=30 * 86400)
    # Then both open while both keys are accepted
    assert verify_token(old_link, [CURRENT, PREVIOUS], now=NOW)["customer"] == "C-0042"
    assert verify_token(new_link, [CURRENT, PREVIOUS], now=NOW)["customer"] == "C-0042"
    # And once the old key is dropped, its links stop with a reason a log can count
    assert refused(verify_token, old_link, [CURRENT], now=NOW) == "unknown_key"
    assert verify_token(new_link, [CURRENT], now=NOW)["customer"] == "C-0042"


@pytest.mark.parametrize("token", ["", "v1", "v1.2026-11.e30", "v2.2026-11.e30.AAAA", "v1.2026-11.e30.!!!",
                                   "v1.2026-11.e30.AAAA.extra", "x" * 5000])
def test_a_malformed_token_is_refused(token):
    assert refused(verify_token, token, [CURRENT], now=NOW) in ("malformed", "mismatch")


@given(st.text(max_size=300))
def test_no_text_is_taken_for_a_token(text):
    with pytest.raises(InvalidSignature):
        verify_token(text, [CURRENT], now=NOW)


def test_a_key_id_travels_in_urls_so_it_is_restricted():
    with pytest.raises(ValueError):
        SigningKey("with space", "s")
    with pytest.raises(ValueError):
        SigningKey("ok", "")


def test_a_keyed_mac_is_the_hmac_sha256_of_the_message_in_base64url_without_padding():
    """The portal's short links already printed on letters are checked with it: its value may never change."""
    import base64
    import hashlib
    import hmac

    from relance.signing import keyed_mac

    key = SigningKey("k1", "s3cret")
    expected = base64.urlsafe_b64encode(hmac.new(b"s3cret", b"short.abc", hashlib.sha256).digest()).rstrip(b"=")

    assert keyed_mac(key, b"short.abc") == expected.decode() == "JXMfxksPcMhUtztu9HrEaVyrxvnDeVeTKF0TrTfMaS4"
    assert keyed_mac(SigningKey("k2", "other"), b"short.abc") != keyed_mac(key, b"short.abc")
