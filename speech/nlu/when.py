"""Times, dates and durations in spoken text -> slots and placeholders.

Runs after `numbers_to_digits`. Each expression found is replaced by a
placeholder word (`xtime`, `xdate`, `xdur`) so that the templates and keywords
see one token where the resident said "в восемь часов утра"; the value goes to
the slots: `time` ("HH:MM", local), `date` (ISO, via dateparser) and
`duration_s` (int seconds).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from dateparser.date import DateDataParser  # type: ignore[import-untyped]  # no stubs

TIME_TOKEN = "xtime"
DATE_TOKEN = "xdate"
DURATION_TOKEN = "xdur"

AGO_TOKEN = "xago"
# A snooze or "через ..." longer than a day is a mishearing, not a plan.
MAX_DURATION_S = 24 * 3600

SlotValue = str | int | float

_AGO = re.compile(
    r"(?<!\S)(?:\d+\s+)?(?:минут\w*|час\w*|полчаса|minutes?|hours?|half an hour|an hour|a while)"
    r"\s+(?:назад|ago)(?!\S)"
)


@dataclass
class WhenResult:
    text: str
    slots: dict[str, SlotValue] = field(default_factory=dict)
    date_words: str = ""  # the date as said ("завтра"), for when it cannot be resolved


_RU_PART_OF_DAY = r"утра|вечера|дня|ночи"
_RU_TIME = re.compile(
    r"(?<!\S)(?:(?P<prep>в|к|около|на|до)\s+)?(?P<h>\d{1,2})"
    r"(?:(?P<colon>:)(?P<m>\d{2})|\s+(?P<m3>\d{2})(?!\s*минут)"
    r"|\s+(?P<hours>час(?:а|ов)?)(?:\s+(?P<m2>\d{1,2})\s+минут\w*)?)?"
    rf"(?:\s+(?P<part>{_RU_PART_OF_DAY}))?(?!\S)"
)
_RU_NAMED_TIME = {"полдень": "12:00", "полночь": "00:00"}
_RU_NAMED_TIME_RE = re.compile(r"(?<!\S)(?:в\s+)?(?P<name>полдень|полночь)(?!\S)")

_EN_PART_OF_DAY = (
    r"am|pm|a m|p m|oclock|o clock|in the morning|in the evening|in the afternoon|at night|tonight"
)
_EN_TIME = re.compile(
    r"(?<!\S)(?:(?P<prep>at|by|around|about|before|till|until|for)\s+)?(?P<h>\d{1,2})"
    r"(?:(?P<colon>:)(?P<m>\d{2})|\s+(?P<m3>\d{2})(?!\s*minute))?"
    rf"(?:\s*(?P<part>{_EN_PART_OF_DAY}))?(?!\S)"
)
_EN_NAMED_TIME_RE = re.compile(r"(?<!\S)(?:at\s+)?(?P<name>noon|midday|midnight)(?!\S)")
_EN_NAMED_TIME = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}

_RU_DURATION_WORDS = {
    "полчаса": 1800,
    "полчасика": 1800,
    "полтора часа": 5400,
    "пару минут": 120,
    "пару минуток": 120,
    "пару часов": 7200,
    "несколько минут": 300,
    "минутку": 60,
    "минуточку": 60,
    "часик": 3600,
    "часок": 3600,
    "час": 3600,
    "минуту": 60,
}
_RU_DURATION_NAMED = re.compile(
    r"(?<!\S)(?P<prep>через|на|еще|подожди|подождите)?\s*(?P<what>"
    + "|".join(sorted(_RU_DURATION_WORDS, key=len, reverse=True))
    + r")(?!\S)"
)
_RU_DURATION = re.compile(
    r"(?<!\S)(?:(?P<prep>через|на|еще|минут на)\s+)?(?P<n>\d+)\s+"
    r"(?P<unit>минут\w*|мин|час\w*|секунд\w*)(?!\S)"
)
# "минут через десять", "еще минут двадцать": the number after the unit means "about".
_RU_DURATION_AFTER = re.compile(
    r"(?<!\S)(?:(?P<prep>через|на|еще)\s+)?(?P<unit>минут\w*|час\w*)\s+(?:через\s+)?(?P<n>\d+)(?!\S)"
)
_EN_DURATION_WORDS = {
    "half an hour": 1800,
    "half hour": 1800,
    "an hour and a half": 5400,
    "a couple of minutes": 120,
    "a couple minutes": 120,
    "couple of minutes": 120,
    "a few minutes": 300,
    "a few more minutes": 300,
    "few minutes": 300,
    "a minute": 60,
    "a second": 60,
    "a sec": 60,
    "a moment": 60,
    "an hour": 3600,
    "one hour": 3600,
    "a couple of hours": 7200,
}
_EN_DURATION_NAMED = re.compile(
    r"(?<!\S)(?:(?P<prep>in|for|another|after)\s+)?(?P<what>"
    + "|".join(re.escape(k) for k in sorted(_EN_DURATION_WORDS, key=len, reverse=True))
    + r")(?!\S)"
)
_EN_DURATION = re.compile(
    r"(?<!\S)(?:(?P<prep>in|for|another|after)\s+)?(?P<n>\d+)\s+(?:more\s+)?"
    r"(?P<unit>minutes?|mins?|hours?|hrs?|seconds?|secs?)(?!\S)"
)

_RU_MONTHS = "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
_RU_DATE = re.compile(
    r"(?<!\S)(?:(?:на|в|во|к)\s+)?(?P<d>послезавтра|завтра|сегодня"
    r"|понедельник|вторник|среду|среда|четверг|пятницу|пятница|субботу|суббота|воскресенье"
    rf"|\d{{1,2}}\s+(?:{_RU_MONTHS}))(?!\S)"
)
_EN_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_EN_DATE = re.compile(
    r"(?<!\S)(?:(?:on|for|this|next|by)\s+)?(?P<d>the day after tomorrow|day after tomorrow"
    r"|tomorrow|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    rf"|(?:{_EN_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_EN_MONTHS}))(?!\S)"
)
# "Today" stays a word: "какое сегодня число" is a question about today, not a slot to fill in.
_KEEP_AS_WORDS = {"сегодня", "today"}
_RU_WEEKDAY_FIX = {"среда": "среду", "пятница": "пятницу", "суббота": "субботу"}


class WhenExtractor:
    """Finds the time, date and duration in normalised text of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def extract(self, text: str, now_local: datetime) -> WhenResult:
        # "полчаса назад" / "an hour ago" is the past, not a delay: keep it out of duration_s.
        text = _AGO.sub(f" {AGO_TOKEN} ", text)
        result = WhenResult(text=_squash(text))
        self._times(result)
        self._durations(result)
        self._dates_in(result, now_local)
        return result

    # After the times: "в 3 часа дня" is a time; a time needs "в"/"к"/"at" or a part of the day.
    def _durations(self, result: WhenResult) -> None:
        named, numeric = (
            (_RU_DURATION_NAMED, _RU_DURATION)
            if self.lang == "ru"
            else (_EN_DURATION_NAMED, _EN_DURATION)
        )
        table = _RU_DURATION_WORDS if self.lang == "ru" else _EN_DURATION_WORDS

        def numeric_sub(match: re.Match[str]) -> str:
            before = match.string[: match.start()].rstrip().rsplit(" ", 1)[-1]
            if before in ("в", "к", "at"):
                return match[0]  # "в 99 часов" is a (bad) time, never a delay
            unit = match["unit"]
            factor = (
                3600
                if unit.startswith(("час", "h"))
                else 1
                if unit.startswith(("сек", "s"))
                else 60
            )
            seconds = int(match["n"]) * factor
            if seconds > MAX_DURATION_S:
                return match[0]
            result.slots.setdefault("duration_s", seconds)
            return f" {DURATION_TOKEN} "

        def named_sub(match: re.Match[str]) -> str:
            what = match["what"]
            # A bare "час" is "hour" only after a preposition ("через час"); else "который час".
            if what in ("час", "минуту", "часик", "часок", "минутку") and not match["prep"]:
                return match[0]
            result.slots.setdefault("duration_s", table[what])
            return f" {DURATION_TOKEN} "

        result.text = _squash(numeric.sub(numeric_sub, result.text))
        if self.lang == "ru":
            result.text = _squash(_RU_DURATION_AFTER.sub(numeric_sub, result.text))
        result.text = _squash(named.sub(named_sub, result.text))

    def _times(self, result: WhenResult) -> None:
        pattern, named, named_table = (
            (_RU_TIME, _RU_NAMED_TIME_RE, _RU_NAMED_TIME)
            if self.lang == "ru"
            else (_EN_TIME, _EN_NAMED_TIME_RE, _EN_NAMED_TIME)
        )
        accepted_preps = {"в", "к", "около", "до"} if self.lang == "ru" else {
            "at", "by", "around", "about", "before", "till", "until",
        }  # fmt: skip

        def sub(match: re.Match[str]) -> str:
            hour = int(match["h"])
            groups = match.groupdict()
            minute_text = groups["m"] or groups.get("m2") or groups["m3"]
            minute = int(minute_text) if minute_text else 0
            is_time = bool(match["part"] or match["colon"] or match["prep"] in accepted_preps)
            if not is_time or hour > 24 or minute > 59 or "time" in result.slots:
                return match[0]
            hour = _apply_part_of_day(hour, match["part"] or "")
            result.slots["time"] = f"{hour % 24:02d}:{minute:02d}"
            return f" {TIME_TOKEN} "

        def named_sub(match: re.Match[str]) -> str:
            result.slots.setdefault("time", named_table[match["name"]])
            return f" {TIME_TOKEN} "

        result.text = _squash(named.sub(named_sub, result.text))
        result.text = _squash(pattern.sub(sub, result.text))

    def _dates_in(self, result: WhenResult, now_local: datetime) -> None:
        pattern = _RU_DATE if self.lang == "ru" else _EN_DATE
        base = now_local.replace(tzinfo=None)

        def sub(match: re.Match[str]) -> str:
            said = match["d"]
            phrase = _RU_WEEKDAY_FIX.get(said, said)
            if not result.date_words:
                result.date_words = said
            if "date" not in result.slots:
                day = self._parse_date(phrase, base)
                if day is not None:
                    result.slots["date"] = day
            return match[0] if said in _KEEP_AS_WORDS else f" {DATE_TOKEN} "

        result.text = _squash(pattern.sub(sub, result.text))

    def _parse_date(self, phrase: str, base: datetime) -> str | None:
        return _parse_date(self.lang, phrase, base.date())


@functools.lru_cache(maxsize=512)
def _parse_date(lang: str, phrase: str, today: date) -> str | None:
    """dateparser takes milliseconds per call; the same words on the same day give the same date."""
    base = datetime.combine(today, time(12, 0))
    settings: dict[str, Any] = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"}
    parsed = DateDataParser(languages=[lang], settings=settings).get_date_data(phrase)
    return parsed.date_obj.date().isoformat() if parsed.date_obj is not None else None


def _apply_part_of_day(hour: int, part: str) -> int:
    if part in ("вечера", "pm", "p m", "in the evening", "tonight") or (
        part in ("дня", "in the afternoon") and hour < 12
    ):
        return hour + 12 if hour < 12 else hour
    if part in ("ночи", "at night"):
        return 0 if hour == 12 else hour + 12 if hour >= 6 else hour
    if part in ("утра", "am", "a m", "in the morning") and hour == 12:
        return 0
    return hour


def _squash(text: str) -> str:
    return " ".join(text.split())
