"""How times, durations and ages read on the dashboard.

Times are stored as UTC epoch seconds and shown in the agency's zone. Every
agency today is in Perm (region RU-PER), so one constant is enough; when an
agency elsewhere joins, this becomes a per-agency setting (agencies.region ->
zone) and these functions take the zone as a parameter already.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fleet.web.i18n import Lang, translate

AGENCY_TIME_ZONE = ZoneInfo("Asia/Yekaterinburg")  # Perm: UTC+5, no daylight saving

_DATE_TIME = {"ru": "%d.%m.%Y %H:%M", "en": "%Y-%m-%d %H:%M"}
_DATE = {"ru": "%d.%m.%Y", "en": "%Y-%m-%d"}


def local_time(ts: float | None, lang: Lang, zone: ZoneInfo = AGENCY_TIME_ZONE) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).astimezone(zone).strftime(_DATE_TIME[lang])


def zone_label(now: float, zone: ZoneInfo = AGENCY_TIME_ZONE) -> str:
    """ "Asia/Yekaterinburg (UTC+05:00)": the name for those who know it, the offset for all."""
    offset = datetime.fromtimestamp(now, UTC).astimezone(zone).strftime("%z")
    return f"{zone.key} (UTC{offset[:3]}:{offset[3:]})"


def local_date(value: str | None, lang: Lang) -> str:
    """An ISO date (`2026-11-23`) as the reader writes dates; unparsable text as it is."""
    if not value:
        return "—"
    try:
        return date.fromisoformat(value).strftime(_DATE[lang])
    except ValueError:
        return value


def time_ago(ts: float | None, now: float, lang: Lang) -> str:
    """ "5 min ago": coarse on purpose, a dispatcher needs the order of magnitude."""
    if ts is None:
        return translate(lang, "never")
    minutes = int(max(0.0, now - ts) // 60)
    if minutes < 1:
        return translate(lang, "just_now")
    if minutes < 60:
        return translate(lang, "minutes_ago", n=minutes)
    if minutes < 48 * 60:
        return translate(lang, "hours_ago", n=minutes // 60)
    return translate(lang, "days_ago", n=minutes // (24 * 60))


def age_on(birth_date: str | None, today: date) -> int | None:
    if not birth_date:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    before_birthday = (today.month, today.day) < (born.month, born.day)
    return today.year - born.year - int(before_birthday)


def local_today(now: float, zone: ZoneInfo = AGENCY_TIME_ZONE) -> date:
    return datetime.fromtimestamp(now, UTC).astimezone(zone).date()


def duration(seconds: float | None, lang: Lang) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    days, hours = divmod(hours, 24)
    unit_d, unit_h, unit_m = ("д", "ч", "мин") if lang == "ru" else ("d", "h", "min")
    if days:
        return f"{days} {unit_d} {hours} {unit_h}"
    return f"{hours} {unit_h} {rest // 60} {unit_m}"
