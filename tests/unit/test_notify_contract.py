"""One contract for every notifier, the fake included: what the runner relies on.

- a working target: ok, at least one attempt, no error, and the message arrives;
- a failing target: not ok, an error in words, never an exception;
- no target at all: not ok, no attempt made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import pytest

from fleet.notify.base import Message, Notifier, RetryPolicy
from fleet.notify.email import EmailNotifier
from fleet.notify.fake import FakeNotifier
from fleet.notify.webhook import WebhookNotifier
from homecare.settings import SmtpSettings
from tests.notify_servers import free_port, smtp_server, webhook_server

MESSAGE = Message(
    incident_id=3, alert_id="al-3", robot_id="r-a1", kind="sos", severity="critical",
    raised_at=1_795_000_000.0, step=0, who="operator_on_duty",
)  # fmt: skip
NO_WAIT = RetryPolicy(attempts=2, sleep=lambda _: None)


@dataclass
class Harness:
    notifier: Notifier
    good_target: str
    bad_target: str
    delivered: Callable[[], int]
    # What sends to `bad_target` and fails (for e-mail the server is what fails, as in life).
    failing: Notifier | None = None


@contextmanager
def fake() -> Iterator[Harness]:
    notifier = FakeNotifier("webhook", failing_targets={"https://down.example"})
    yield Harness(
        notifier, "https://up.example", "https://down.example", lambda: len(notifier.sent)
    )


@contextmanager
def webhook() -> Iterator[Harness]:
    with webhook_server() as server:
        notifier = WebhookNotifier(lambda: 1_795_000_000.0, retry=NO_WAIT)
        bad = f"http://127.0.0.1:{free_port()}/"
        yield Harness(notifier, server.url, bad, lambda: len(server.received))


@contextmanager
def email() -> Iterator[Harness]:
    with smtp_server() as server:
        notifier = EmailNotifier(
            SmtpSettings(host="127.0.0.1", port=server.port, starttls=False), retry=NO_WAIT
        )
        failing = EmailNotifier(
            SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False), retry=NO_WAIT
        )
        address = "duty@agency.example"
        yield Harness(notifier, address, address, lambda: len(server.messages), failing)


HARNESSES: dict[str, Callable[[], AbstractContextManager[Harness]]] = {
    "fake": fake,
    "webhook": webhook,
    "email": email,
}


@pytest.mark.parametrize("kind", sorted(HARNESSES))
def test_a_working_target_gets_the_message(kind: str) -> None:
    with HARNESSES[kind]() as harness:
        result = harness.notifier.send(harness.good_target, MESSAGE, "secret")
        assert result.ok and result.attempts >= 1 and result.error == ""
        assert harness.delivered() == 1


@pytest.mark.parametrize("kind", sorted(HARNESSES))
def test_a_failing_target_is_reported_not_raised(kind: str) -> None:
    with HARNESSES[kind]() as harness:
        notifier = harness.failing or harness.notifier
        result = notifier.send(harness.bad_target, MESSAGE, "secret")
        assert not result.ok and result.attempts >= 1 and result.error
        assert harness.delivered() == 0


@pytest.mark.parametrize("kind", sorted(HARNESSES))
def test_no_target_is_a_failure_without_an_attempt(kind: str) -> None:
    with HARNESSES[kind]() as harness:
        result = harness.notifier.send("", MESSAGE, "secret")
        assert (result.ok, result.attempts) == (False, 0) and result.error
        assert harness.delivered() == 0
