"""E-mail notifier: plain-text mail over SMTP, with STARTTLS and login when set."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from fleet.notify.base import (
    DeliveryResult,
    Message,
    PermanentError,
    RetryPolicy,
    TemporaryError,
    with_retries,
)
from homecare.settings import SmtpSettings

log = logging.getLogger("fleet.notify.email")


class EmailNotifier:
    channel = "email"

    def __init__(self, settings: SmtpSettings, *, retry: RetryPolicy | None = None) -> None:
        self.settings, self.retry = settings, retry or RetryPolicy()

    def send(self, target: str, message: Message, secret: str) -> DeliveryResult:
        if not target:
            return DeliveryResult(False, 0, "no e-mail address set for this step")
        if not self.settings.host:
            return DeliveryResult(False, 0, "no SMTP server configured (setting fleet.smtp.host)")
        mail = self._mail(target, message)
        result = with_retries(lambda: self._deliver(mail), self.retry)
        log.info(
            "email delivery incident=%d ok=%s attempts=%d",
            message.incident_id, result.ok, result.attempts,
        )  # fmt: skip
        return result

    def _mail(self, target: str, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.from_address
        mail["To"] = target
        mail["Subject"] = message.subject()
        mail.set_content(message.text())
        return mail

    def _deliver(self, mail: EmailMessage) -> None:
        settings = self.settings
        assert settings.host is not None
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.username and settings.password is not None:
                    smtp.login(settings.username, settings.password.get_secret_value())
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError:
            raise PermanentError("the SMTP server refused the login") from None
        except smtplib.SMTPRecipientsRefused:
            raise PermanentError("the SMTP server refused the address") from None
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentError(f"the SMTP server does not support it: {error}") from None
        except smtplib.SMTPResponseException as error:
            text = f"the SMTP server answered {error.smtp_code}"
            permanent = error.smtp_code >= 500
            raise (PermanentError(text) if permanent else TemporaryError(text)) from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryError(f"could not reach the SMTP server: {error}") from None
