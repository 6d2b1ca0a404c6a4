"""The resolution policy: lower pictures under loss or delay, one rung up when clean."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiortc.stats import RTCRemoteInboundRtpStreamStats, RTCTransportStats

from telepresence.adaptation import (
    LinkQuality,
    Resolution,
    choose_max_resolution,
    fit_within,
    link_quality_from_stats,
)

VGA = Resolution(640, 480)
CLEAN = LinkQuality(loss_fraction=0.0, round_trip_s=0.02)


def remote_inbound(
    kind: str, fraction_lost: int, rtt: float | None
) -> RTCRemoteInboundRtpStreamStats:
    return RTCRemoteInboundRtpStreamStats(
        timestamp=datetime(2026, 1, 5, tzinfo=UTC),
        type="remote-inbound-rtp",
        id=f"remote-inbound-rtp_{kind}",
        ssrc=1,
        kind=kind,
        transportId="transport_1",
        packetsReceived=100,
        packetsLost=0,
        jitter=0,
        roundTripTime=rtt,  # type: ignore[arg-type]  # aiortc reports None before the first RTT
        fractionLost=fraction_lost,
    )


@pytest.mark.parametrize(
    ("loss", "expected"),
    [(0.08, Resolution(480, 360)), (0.30, Resolution(320, 240))],
)
def test_loss_steps_the_resolution_down_further_the_heavier_it_is(
    loss: float, expected: Resolution
) -> None:
    assert choose_max_resolution(VGA, LinkQuality(loss, 0.05), VGA) == expected


def test_a_slow_round_trip_steps_down_even_without_loss() -> None:
    assert choose_max_resolution(VGA, LinkQuality(0.0, 0.8), VGA) == Resolution(480, 360)


def test_repeated_loss_keeps_going_down_to_the_smallest_rung_and_stays_there() -> None:
    current = VGA
    for _ in range(5):
        current = choose_max_resolution(current, LinkQuality(0.5, 0.05), VGA)
    assert current == Resolution(160, 120)


def test_a_clean_link_climbs_one_rung_at_a_time_up_to_the_ceiling() -> None:
    steps = [Resolution(160, 120)]
    for _ in range(5):
        steps.append(choose_max_resolution(steps[-1], CLEAN, VGA))
    assert steps == [
        Resolution(160, 120),
        Resolution(320, 240),
        Resolution(480, 360),
        VGA,
        VGA,
        VGA,
    ]


def test_moderate_loss_holds_the_resolution() -> None:
    middle = Resolution(480, 360)
    assert choose_max_resolution(middle, LinkQuality(0.03, 0.05), VGA) == middle


def test_no_report_yet_keeps_the_current_resolution() -> None:
    assert choose_max_resolution(Resolution(320, 240), None, VGA) == Resolution(320, 240)


def test_a_ceiling_off_the_ladder_is_itself_the_top_rung() -> None:
    ceiling = Resolution(800, 600)
    assert choose_max_resolution(VGA, CLEAN, ceiling) == ceiling
    assert choose_max_resolution(ceiling, LinkQuality(0.1, 0.05), ceiling) == VGA


def test_link_quality_reads_the_far_sides_video_report_and_scales_rtcp_fraction_lost() -> None:
    report = {
        "audio": remote_inbound("audio", fraction_lost=200, rtt=0.5),
        "video": remote_inbound("video", fraction_lost=64, rtt=0.12),
        "transport": RTCTransportStats(
            timestamp=datetime(2026, 1, 5, tzinfo=UTC),
            type="transport",
            id="transport_1",
            packetsSent=1,
            packetsReceived=1,
            bytesSent=1,
            bytesReceived=1,
            iceRole="controlling",
            dtlsState="connected",
        ),
    }
    assert link_quality_from_stats(report) == LinkQuality(loss_fraction=0.25, round_trip_s=0.12)


def test_link_quality_is_none_before_any_receiver_report() -> None:
    assert link_quality_from_stats({}) is None


def test_fit_within_scales_down_keeping_aspect_and_even_sides_but_never_up() -> None:
    assert fit_within(1280, 720, Resolution(640, 480)) == (640, 360)
    assert fit_within(641, 481, Resolution(320, 240)) == (320, 240)
    assert fit_within(320, 240, Resolution(640, 480)) == (320, 240)
