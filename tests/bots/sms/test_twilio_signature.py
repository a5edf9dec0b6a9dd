"""A forged or unsigned gateway webhook is told apart from the provider's."""

import base64
import hashlib
import hmac

from bots.sms.twilio import signature, verify

URL = "https://rembug.example.go.id/bots/sms/twilio"
PARAMS = [
    ("From", "+6281234567890"),
    ("To", "+6281100000000"),
    ("Body", "ASPIRASI jalan rusak"),
    ("MessageSid", "SM1"),
]


def test_signature_is_hmac_sha1_of_url_and_sorted_params() -> None:
    data = (
        URL
        + "Body"
        + "ASPIRASI jalan rusak"
        + "From"
        + "+6281234567890"
        + "MessageSid"
        + "SM1"
        + "To"
        + "+6281100000000"
    )
    expected = base64.b64encode(hmac.new(b"secret", data.encode(), hashlib.sha1).digest()).decode()
    assert signature("secret", URL, PARAMS) == expected
    assert verify("secret", URL, PARAMS, expected)


def test_forged_unsigned_or_changed_requests_fail() -> None:
    good = signature("secret", URL, PARAMS)
    assert not verify("secret", URL, PARAMS, "")
    assert not verify("secret", URL, PARAMS, signature("other", URL, PARAMS))
    assert not verify("secret", URL + "?x=1", PARAMS, good)
    assert not verify("secret", URL, [*PARAMS[:2], ("Body", "ubah"), PARAMS[3]], good)
    assert not verify("", URL, PARAMS, good)
