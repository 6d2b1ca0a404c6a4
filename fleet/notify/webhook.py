"""Webhook notifier: a JSON POST signed with the agency's secret.

Receivers check `X-Homecare-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<X-Homecare-Timestamp>.<raw body>` with the agency's secret (shown to its admins),
and refuse timestamps more than a few minutes old: the timestamp is signed, so an
old request replayed later does not verify with a fresh one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fleet.notify.base import (
    DeliveryResult,
    Message,
    PermanentError,
    RetryPolicy,
    TemporaryError,
    with_retries,
)

log = logging.getLogger("fleet.notify.webhook")

SIGNATURE_HEADER = "X-Homecare-Signature"
TIMESTAMP_HEADER = "X-Homecare-Timestamp"
TIMEOUT_S = 5.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would repeat a redirected POST as a GET without its body: refuse instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookNotifier:
    channel = "webhook"

    def __init__(
        self,
        now: Callable[[], float],
        *,
        retry: RetryPolicy | None = None,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.now, self.retry, self.timeout_s = now, retry or RetryPolicy(), timeout_s
        self._opener = urllib.request.build_opener(_NoRedirects())

    def send(self, target: str, message: Message, secret: str) -> DeliveryResult:
        if not target:
            return DeliveryResult(False, 0, "no webhook URL set for this step")
        body = json.dumps(message.payload(), ensure_ascii=False).encode()
        result = with_retries(lambda: self._post(target, body, secret), self.retry)
        host = urlsplit(target).hostname or "?"
        log.info(
            "webhook delivery incident=%d host=%s ok=%s attempts=%d",
            message.incident_id, host, result.ok, result.attempts,
        )  # fmt: skip
        return result

    def _post(self, url: str, body: bytes, secret: str) -> None:
        timestamp = str(int(self.now()))  # signed afresh on each try: a retry is not a replay
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "homecare-fleet",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(secret, timestamp, body),
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise _http_error(error.code) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TemporaryError(f"could not reach the webhook: {reason}") from None


def _http_error(code: int) -> Exception:
    if code >= 500 or code == 429:
        return TemporaryError(f"the webhook answered HTTP {code}")
    if 300 <= code < 400:
        return PermanentError(f"the webhook answered a redirect (HTTP {code}); give its final URL")
    return PermanentError(f"the webhook refused the message (HTTP {code})")
