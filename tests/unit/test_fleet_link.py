"""A malformed alert from a node is still delivered: its fields are repaired, never dropped."""

from __future__ import annotations

from robot.fleet_link.link import alert_from_fields

TS = 1_767_600_000.0


def test_a_well_formed_alert_passes_unchanged() -> None:
    alert = alert_from_fields(
        "a-1", "fall", "critical", '{"room": "kitchen"}', ts=TS, fresh_id="fresh"
    )
    assert (alert.alert_id, alert.kind, alert.severity) == ("a-1", "fall", "critical")
    assert alert.details == {"room": "kitchen"}


def test_malformed_fields_are_repaired_and_kept_in_details() -> None:
    alert = alert_from_fields("bad/id#", "Fall!", "severe", "{not json", ts=TS, fresh_id="fresh-id")
    assert (alert.alert_id, alert.kind, alert.severity) == ("fresh-id", "unknown", "critical")
    assert alert.details == {
        "unparsed_details": "{not json",
        "original_alert_id": "bad/id#",
        "original_kind": "Fall!",
        "original_severity": "severe",
    }


def test_details_that_are_not_an_object_are_wrapped() -> None:
    assert alert_from_fields("a", "sos", "warning", "[1, 2]", ts=TS, fresh_id="f").details == {
        "value": [1, 2]
    }
