"""The Twilio-compatible HTTP SMS gateway. So far: the ``X-Twilio-Signature`` check the inbound
webhook and status callbacks rely on (base64 HMAC-SHA1, keyed with the auth token, of the full
URL followed by every POST parameter's name and value, sorted by name)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature the provider sends for a POST of ``params`` to ``url``."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(auth_token: str, url: str, params: Iterable[tuple[str, str]], header: str) -> bool:
    """True when ``header`` (``X-Twilio-Signature``) is the provider's signature; an empty
    token or header never verifies."""
    if not auth_token or not header:
        return False
    return hmac.compare_digest(signature(auth_token, url, params), header.strip())
