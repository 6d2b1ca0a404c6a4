"""Times and dates as a person says them, in Russian and English.

espeak-ng reads "10:05" as digits; older listeners understand "десять часов
пять минут" better, so the dialog spells clock times out in words with the
right plural forms.
"""

from __future__ import annotations

from datetime import date, datetime

RU_MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
RU_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def ru_plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian noun form for `count`: 1 час, 2 часа, 5 часов, 11 часов, 21 час."""
    tens, units = count % 100, count % 10
    if 11 <= tens <= 14:
        return many
    if units == 1:
        return one
    if 2 <= units <= 4:
        return few
    return many


def say_clock_time(moment: datetime, lang: str) -> str:
    """'10 часов 5 минут' / '10:05 in the morning'."""
    hour, minute = moment.hour, moment.minute
    if lang == "ru":
        hours = f"{hour} {ru_plural(hour, 'час', 'часа', 'часов')}"
        if minute == 0:
            return f"{hours} ровно"
        return f"{hours} {minute} {ru_plural(minute, 'минута', 'минуты', 'минут')}"
    twelve = hour % 12 or 12
    part = "in the morning" if hour < 12 else "in the afternoon" if hour < 18 else "in the evening"
    if minute == 0:
        return f"{twelve} o'clock {part}"
    return f"{twelve}:{minute:02d} {part}"


def say_date(day: date, lang: str) -> str:
    """'понедельник, 23 ноября' / 'Monday, the 23rd of November'."""
    if lang == "ru":
        return f"{RU_WEEKDAYS[day.weekday()]}, {day.day} {RU_MONTHS_GENITIVE[day.month - 1]}"
    return f"{EN_WEEKDAYS[day.weekday()]}, the {_ordinal(day.day)} of {EN_MONTHS[day.month - 1]}"


def _ordinal(number: int) -> str:
    if 11 <= number % 100 <= 13:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
