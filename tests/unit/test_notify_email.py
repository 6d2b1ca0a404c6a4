"""The e-mail notifier against a real SMTP server (aiosmtpd) in the test."""

from __future__ import annotations

from fleet.notify.base import Message, RetryPolicy
from fleet.notify.email import EmailNotifier
from homecare.settings import SmtpSettings
from tests.notify_servers import free_port, smtp_server

MESSAGE = Message(
    incident_id=12, alert_id="al-12", robot_id="r-a1", kind="fall", severity="critical",
    raised_at=1_795_000_000.0, step=1, who="contact", details={"room": "bathroom"},
    resident_name="Анна Петровна", resident_address="Пермь, ул. Ленина, 1",
)  # fmt: skip


def settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=port, starttls=False, from_address="fleet@agency.example"
    )


def test_the_mail_arrives_with_the_incidents_details() -> None:
    with smtp_server() as server:
        result = EmailNotifier(settings(server.port)).send("daughter@family.example", MESSAGE, "")
    assert (result.ok, result.attempts, result.error) == (True, 1, "")
    [(recipients, mail)] = server.messages
    assert recipients == ["daughter@family.example"]
    assert mail["From"] == "fleet@agency.example"
    assert "incident 12" in mail["Subject"] and "fall" in mail["Subject"]
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    text = payload.decode()
    for expected in ("Анна Петровна", "Пермь, ул. Ленина, 1", "bathroom", "r-a1", "2026-"):
        assert expected in text


def test_no_server_configured_is_a_clear_failure_without_trying() -> None:
    result = EmailNotifier(SmtpSettings()).send("duty@agency.example", MESSAGE, "")
    assert (result.ok, result.attempts) == (False, 0)
    assert "fleet.smtp.host" in result.error


def test_an_unreachable_server_is_retried_then_reported() -> None:
    sleeps: list[float] = []
    notifier = EmailNotifier(
        settings(free_port()), retry=RetryPolicy(attempts=2, sleep=sleeps.append)
    )
    result = notifier.send("duty@agency.example", MESSAGE, "")
    assert (result.ok, result.attempts) == (False, 2) and sleeps == [0.5]
    assert result.error.startswith("could not reach the SMTP server")
