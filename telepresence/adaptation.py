"""Picking the largest picture the link carries well, from what `getStats()` reports.

Pure functions: the peer reads the stats, `link_quality_from_stats` condenses
them, `choose_max_resolution` decides. Steps down at once on loss or delay
(a frozen picture is worse than a small one) and up one rung at a time, only
when the link has been clean, so the picture does not flap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiortc.stats import RTCRemoteInboundRtpStreamStats


@dataclass(frozen=True, order=True)
class Resolution:
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"

    def fits(self, limit: Resolution) -> bool:
        return self.width <= limit.width and self.height <= limit.height


# 4:3 like the robot's camera; each rung about half the pixels of the one above.
RESOLUTION_LADDER: tuple[Resolution, ...] = (
    Resolution(160, 120),
    Resolution(320, 240),
    Resolution(480, 360),
    Resolution(640, 480),
    Resolution(960, 720),
    Resolution(1280, 960),
)


@dataclass(frozen=True)
class LinkQuality:
    """What the far side reported about our video: lost fraction (0..1) and round trip (s)."""

    loss_fraction: float
    round_trip_s: float | None


@dataclass(frozen=True)
class AdaptationPolicy:
    step_down_loss: float = 0.05  # 5 % lost: the picture breaks up
    step_down_rtt_s: float = 0.4
    step_up_loss: float = 0.01
    step_up_rtt_s: float = 0.2


def link_quality_from_stats(
    report: Mapping[str, object], kind: str = "video"
) -> LinkQuality | None:
    """The far side's view of our `kind` stream, or None before its first receiver report.

    aiortc passes RTCP's 8-bit "fraction lost" (0..255) through as `fractionLost`;
    it is scaled here to 0..1.
    """
    worst: LinkQuality | None = None
    for stats in report.values():
        if not isinstance(stats, RTCRemoteInboundRtpStreamStats) or stats.kind != kind:
            continue
        fraction = stats.fractionLost / 256
        quality = LinkQuality(min(1.0, max(0.0, fraction)), stats.roundTripTime)
        if worst is None or quality.loss_fraction > worst.loss_fraction:
            worst = quality
    return worst


def choose_max_resolution(
    current: Resolution,
    quality: LinkQuality | None,
    ceiling: Resolution,
    policy: AdaptationPolicy = AdaptationPolicy(),
    ladder: tuple[Resolution, ...] = RESOLUTION_LADDER,
) -> Resolution:
    """The maximum resolution to send next, never above `ceiling` (the configured maximum)."""
    # The configured maximum is itself the top rung, whether or not the ladder has it.
    rungs = sorted({rung for rung in ladder if rung.fits(ceiling)} | {ceiling})
    index = _rung_at_or_below(rungs, current)
    if quality is None:  # no report yet: keep what we have
        return rungs[index]
    slow = quality.round_trip_s is not None and quality.round_trip_s > policy.step_down_rtt_s
    if quality.loss_fraction > policy.step_down_loss or slow:
        # Heavy loss: two rungs (a quarter of the pixels) so one decision is enough.
        steps = 2 if quality.loss_fraction > 4 * policy.step_down_loss else 1
        return rungs[max(0, index - steps)]
    fast = quality.round_trip_s is None or quality.round_trip_s < policy.step_up_rtt_s
    if quality.loss_fraction < policy.step_up_loss and fast:
        return rungs[min(len(rungs) - 1, index + 1)]
    return rungs[index]


def _rung_at_or_below(rungs: list[Resolution], current: Resolution) -> int:
    index = 0
    for position, rung in enumerate(rungs):
        if rung.fits(current):
            index = position
    return index


def fit_within(width: int, height: int, limit: Resolution) -> tuple[int, int]:
    """`width`x`height` scaled down (never up) to fit `limit`, aspect kept, even sides."""
    scale = min(1.0, limit.width / width, limit.height / height)
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)
