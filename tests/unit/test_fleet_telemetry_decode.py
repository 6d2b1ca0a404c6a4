"""The ingest's fast telemetry decoder accepts and rejects exactly what `protocol.decode` does."""

from __future__ import annotations

import pytest

from fleet import protocol
from fleet.mqtt_ingest import _decode_telemetry
from fleet.protocol import ProtocolError, Telemetry

GOOD = [
    b'{"ts": 1.79e9, "battery_pct": 55.5, "charging": true}',
    b'{"ts": 1790000000, "battery_pct": 0, "charging": false, "cpu_temp_c": 41.5, "uptime_s": 9}',
    b'{"ts": 1.79e9, "battery_pct": 100, "charging": 1, "extra": {"ignored": [1, 2]}}',
    b'{"ts": 1.79e9, "battery_pct": 10, "battery_pct": 20, "charging": false}',  # last key wins
    b' {"ts": 1.79e9, "battery_pct": "12.5", "charging": "true"} ',  # lax, as model_validate is
    # orjson refuses these; `json` takes them, and so does the fallback:
    b'{"ts": 1.79e9, "battery_pct": 5, "charging": true, "uptime_s": 1e400}',
    b'{"ts": 1.79e9, "battery_pct": 5, "charging": true, "x": "\\ud800"}',
]
BAD = [
    b"",
    b"not json",
    b"[1, 2]",
    b'"text"',
    b'{"ts": NaN, "battery_pct": 5, "charging": true}',
    b'{"ts": 1.79e9, "battery_pct": Infinity, "charging": true}',
    b'{"ts": 1.79e9, "battery_pct": 123456789012345678901234567890, "charging": true}',
    b'{"ts": 1.79e9, "battery_pct": 101, "charging": true}',
    b'{"ts": -1, "battery_pct": 5, "charging": true}',
    b'{"battery_pct": 5, "charging": true}',
    b'{"ts": 1.79e9, "battery_pct": 5, "charging": true, "cpu_temp_c": "hot"}',
    b'\xef\xbb\xbf{"ts": 1.79e9, "battery_pct": 5, "charging": true}',
    b'{"ts": 1.79e9, "battery_pct": 5, "charging": true, "x": "\xff"}',
    b'{"ts": 1.79e9, "battery_pct": 5, "charging": true, "pad": "'
    + b"x" * protocol.MAX_PAYLOAD_BYTES
    + b'"}',
]


@pytest.mark.parametrize("payload", GOOD)
def test_good_telemetry_decodes_to_the_same_message(payload: bytes) -> None:
    assert _decode_telemetry(payload) == protocol.decode(Telemetry, payload)


@pytest.mark.parametrize("payload", BAD)
def test_bad_telemetry_fails_with_the_same_error(payload: bytes) -> None:
    with pytest.raises(ProtocolError) as expected:
        protocol.decode(Telemetry, payload)
    with pytest.raises(ProtocolError) as fast:
        _decode_telemetry(payload)
    assert str(fast.value) == str(expected.value)
