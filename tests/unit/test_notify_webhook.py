"""The webhook notifier against a real HTTP server: signature, retries, refusals."""

from __future__ import annotations

import hashlib
import hmac
import json

from fleet.notify.base import Message, RetryPolicy
from fleet.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookNotifier
from tests.notify_servers import free_port, webhook_server

SECRET = "s3cret-of-agency-a"
NOW = 1_795_000_000.0
MESSAGE = Message(
    incident_id=7, alert_id="al-7", robot_id="r-a1", kind="fall", severity="critical",
    raised_at=NOW - 5, step=0, who="operator_on_duty", details={"room": "kitchen"},
    resident_name="Анна Петровна",
)  # fmt: skip


def notifier(sleeps: list[float] | None = None) -> WebhookNotifier:
    waits = sleeps if sleeps is not None else []
    return WebhookNotifier(lambda: NOW, retry=RetryPolicy(attempts=3, sleep=waits.append))


def test_the_post_is_json_signed_over_timestamp_and_body() -> None:
    with webhook_server() as server:
        result = notifier().send(server.url, MESSAGE, SECRET)
    assert (result.ok, result.attempts, result.error) == (True, 1, "")
    [request] = server.received
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert timestamp == str(int(NOW))
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected.hexdigest()}"
    body = json.loads(request.body)
    assert body["incident_id"] == 7 and body["kind"] == "fall"
    assert body["resident"]["name"] == "Анна Петровна"
    assert request.headers["Content-Type"] == "application/json"


def test_a_server_error_is_retried_with_backoff_until_it_works() -> None:
    sleeps: list[float] = []
    with webhook_server() as server:
        server.statuses = [500, 503]
        result = notifier(sleeps).send(server.url, MESSAGE, SECRET)
    assert (result.ok, result.attempts) == (True, 3)
    assert len(server.received) == 3 and sleeps == [0.5, 1.0]


def test_a_refusal_is_not_retried_and_is_recorded_clearly() -> None:
    with webhook_server() as server:
        server.statuses = [400]
        result = notifier().send(server.url, MESSAGE, SECRET)
    assert (result.ok, result.attempts) == (False, 1)
    assert result.error == "the webhook refused the message (HTTP 400)"
    assert len(server.received) == 1


def test_an_unreachable_webhook_fails_after_every_try_without_the_secret() -> None:
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{free_port()}/nobody-here"
    result = notifier(sleeps).send(url, MESSAGE, SECRET)
    assert (result.ok, result.attempts) == (False, 3) and len(sleeps) == 2
    assert result.error.startswith("could not reach the webhook") and SECRET not in result.error
