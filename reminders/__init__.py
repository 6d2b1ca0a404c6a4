"""Reminders: schedules (RFC 5545), the reminder engine and adherence.

Domain package: never imports `robot` or `fleet`.
"""
