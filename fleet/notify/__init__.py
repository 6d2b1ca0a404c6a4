"""Notifier adapters of incident escalation: webhook (signed JSON POST) and e-mail (SMTP)."""

from fleet.notify.base import DeliveryResult, Message, Notifier

__all__ = ["DeliveryResult", "Message", "Notifier"]
