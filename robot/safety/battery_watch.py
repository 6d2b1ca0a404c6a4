"""Watches the battery and says when it runs low, with hysteresis so it does not nag.

Pure core: fed readings, returns notices; the node turns notices into an
`Alert` for the fleet and a spoken sentence for the resident.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class BatteryLevel(StrEnum):
    OK = "ok"
    LOW = "low"
    CRITICAL = "critical"


class BatteryWatchParams(BaseModel):
    low_pct: float = Field(default=20.0, gt=0, lt=100)
    critical_pct: float = Field(default=10.0, gt=0, lt=100)
    # A level is left only once the battery is this far above its threshold.
    hysteresis_pct: float = Field(default=5.0, ge=0, lt=50)
    lang: str = "ru"

    @model_validator(mode="after")
    def _critical_below_low(self) -> BatteryWatchParams:
        if self.critical_pct >= self.low_pct:
            raise ValueError(
                f"critical_pct ({self.critical_pct}) must be below low_pct ({self.low_pct})"
            )
        return self


@dataclass(frozen=True)
class BatteryNotice:
    level: BatteryLevel
    percentage: float


class BatteryWatch:
    def __init__(self, params: BatteryWatchParams) -> None:
        self.params = params
        self.level = BatteryLevel.OK

    def update(self, percentage: float, charging: bool) -> BatteryNotice | None:
        """Feed one reading (0-100 %); returns a notice when the level gets worse."""
        if not 0.0 <= percentage <= 100.0:
            raise ValueError(f"battery percentage must be within 0..100, got {percentage}")
        level = self._level_for(percentage)
        worse = _rank(level) > _rank(self.level)
        self.level = level
        if worse and not charging:
            return BatteryNotice(level, percentage)
        return None

    def _level_for(self, percentage: float) -> BatteryLevel:
        p, current = self.params, self.level
        if percentage <= p.critical_pct:
            return BatteryLevel.CRITICAL
        if current is BatteryLevel.CRITICAL and percentage < p.critical_pct + p.hysteresis_pct:
            return BatteryLevel.CRITICAL
        if percentage <= p.low_pct:
            return BatteryLevel.LOW
        if current is not BatteryLevel.OK and percentage < p.low_pct + p.hysteresis_pct:
            return BatteryLevel.LOW
        return BatteryLevel.OK


def _rank(level: BatteryLevel) -> int:
    return [BatteryLevel.OK, BatteryLevel.LOW, BatteryLevel.CRITICAL].index(level)


SPOKEN_NOTICE = {
    ("ru", BatteryLevel.LOW): "У меня садится батарея. Я скоро поеду заряжаться.",
    (
        "ru",
        BatteryLevel.CRITICAL,
    ): "Батарея почти разряжена. Пожалуйста, поставьте меня на зарядку.",
    ("en", BatteryLevel.LOW): "My battery is getting low. I will go and charge soon.",
    ("en", BatteryLevel.CRITICAL): "My battery is almost empty. Please put me on my charger.",
}


def spoken_notice(notice: BatteryNotice, lang: str) -> str:
    return SPOKEN_NOTICE.get((lang, notice.level)) or SPOKEN_NOTICE[("en", notice.level)]
