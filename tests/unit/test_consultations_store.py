"""The consultations store on a real SQLite file: who may be called, one call per robot,
checked transitions (an ended call stays ended), events and audit rows, voice requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from fleet.store import appointments, open_database
from fleet.store import consultations as store
from fleet.store.accounts import create_agency, create_user
from fleet.store.audit import list_audit
from fleet.store.common import ConflictError, InvalidChangeError, NotFoundError
from fleet.store.rentals import create_rental, hand_over
from fleet.store.residents import create_resident
from fleet.store.robots import create_robot
from homecare.clock import ManualClock
from tests.fleet_api import START

NOW = START.timestamp()


@dataclass(frozen=True)
class Home:
    db: sqlite_utils.Database
    agency: int
    other_agency: int
    user: int
    robot: str
    resident: int
    unrented: int


def rent(db: sqlite_utils.Database, agency: int, serial: str, name: str) -> tuple[str, int]:
    robot = create_robot(
        db, agency, serial=serial, model="HC2", password_hash="x", user_id=None, now=NOW - 7200
    )
    resident = create_resident(db, agency, {"full_name": name}, user_id=None, now=NOW - 7200)
    rental = create_rental(
        db,
        agency,
        robot_id=robot,
        resident_id=resident,
        starts_on="2026-11-23",
        user_id=None,
        now=NOW - 7200,
    )
    hand_over(db, agency, rental, user_id=None, now=NOW - 3600)
    return robot, resident


@pytest.fixture
def home(tmp_path: Path) -> Home:
    db = open_database(tmp_path / "fleet.db", ManualClock(START))
    agency = create_agency(db, "A", "RU-PER", 0.0)
    other = create_agency(db, "B", "RU-PER", 0.0)
    user = create_user(
        db,
        agency,
        email="social@a.example",
        password_hash="x",
        full_name="Ольга Петрова",
        role="social_worker",
        now=0.0,
    )
    robot, resident = rent(db, agency, "S1", "Анна")
    unrented = create_resident(db, agency, {"full_name": "Борис"}, user_id=None, now=NOW)
    return Home(db, agency, other, user, robot, resident, unrented)


def call(home: Home, resident: int | None = None, **options: int | None) -> store.Consultation:
    return store.start_call(
        home.db,
        home.agency,
        home.resident if resident is None else resident,
        caller_user_id=home.user,
        caller_name="Ольга Петрова",
        caller_role="социальный работник",
        now=NOW,
        **options,
    )


def appointment(home: Home, mode: appointments.Mode, resident: int | None = None) -> int:
    specialist = appointments.create_specialist(
        home.db, home.agency, {"name": "Ирина", "role": "юрист"}, user_id=None, now=NOW
    )
    start = START + timedelta(days=2)  # each appointment with its own specialist
    (slot,) = appointments.create_slots(
        home.db,
        home.agency,
        specialist.id,
        [start],
        duration_min=30,
        mode=mode,
        place="",
        user_id=None,
        now=NOW,
    )
    booked = appointments.book(
        home.db,
        home.agency,
        resident or home.resident,
        slot.id,
        source="staff",
        user_id=None,
        robot_id=None,
        now=NOW,
    )
    return booked.id


def test_a_call_rings_the_residents_robot_and_holds_it(home: Home) -> None:
    ringing = call(home)
    assert (ringing.state, ringing.robot_id, ringing.origin) == ("ringing", home.robot, "staff")
    assert (ringing.resident_name, ringing.caller_name) == ("Анна", "Ольга Петрова")
    with pytest.raises(
        ConflictError, match=f"robot {home.robot} is already in consultation {ringing.id}"
    ):
        call(home)
    with pytest.raises(ConflictError, match=f"resident {home.unrented} has no robot rented"):
        call(home, home.unrented)
    with pytest.raises(NotFoundError, match="resident 999 not found"):
        call(home, 999)
    (entry, *_) = list_audit(home.db, home.agency, object_type="resident").items
    assert (entry.action, entry.user_id) == ("consultation.ringing", home.user)
    assert entry.changes == {"consultation": [ringing.id, ringing.id], "state": [None, "ringing"]}


def test_an_appointment_must_be_the_residents_own_booked_video_one(home: Home) -> None:
    in_person = appointment(home, "in_person")
    with pytest.raises(
        InvalidChangeError, match=f"appointment {in_person} is in person, not a video consultation"
    ):
        call(home, appointment_id=in_person)
    others = appointment(home, "video", home.unrented)
    with pytest.raises(InvalidChangeError, match=f"is not resident {home.resident}'s"):
        call(home, appointment_id=others)
    with pytest.raises(NotFoundError, match="appointment 999 not found"):
        call(home, appointment_id=999)
    video = appointment(home, "video")
    appointments.set_status(home.db, home.agency, video, "cancelled", user_id=None, now=NOW)
    with pytest.raises(ConflictError, match=f"appointment {video} is cancelled"):
        call(home, appointment_id=video)
    good = appointment(home, "video")
    started = call(home, appointment_id=good)
    assert store.latest_call_of_appointment(home.db, home.agency, good) == started
    assert store.latest_call_of_appointment(home.db, home.agency, video) is None


def test_transitions_are_checked_and_an_ended_call_never_comes_back(home: Home) -> None:
    cid = call(home).id
    for state, by, at in (
        ("accepted", "robot", 1),
        ("connected", "robot", 2),
        ("reconnecting", "robot", 3),
        ("connected", "robot", 4),
    ):
        change = store.change_state(home.db, cid, state, by=by, now=NOW + at)  # type: ignore[arg-type]
        assert change.changed and change.consultation.state == state
    assert change.consultation.connected_at == NOW + 2  # the first connection
    refused = store.change_state(home.db, cid, "accepted", by="robot", now=NOW + 5)
    assert (refused.changed, refused.consultation.state) == (False, "connected")
    ended = store.change_state(
        home.db, cid, "ended", reason="the resident ended the call", by="robot", now=NOW + 6
    )
    assert (ended.consultation.state, ended.consultation.ended_at) == ("ended", NOW + 6)
    late = store.change_state(home.db, cid, "connected", by="robot", now=NOW + 7)
    assert not late.changed
    assert store.get_consultation(home.db, home.agency, cid).state == "ended"
    events = store.consultation_events(home.db, home.agency, cid)
    assert [(e.state, e.by) for e in events] == [
        ("ringing", "specialist"),
        ("accepted", "robot"),
        ("connected", "robot"),
        ("reconnecting", "robot"),
        ("connected", "robot"),
        ("ended", "robot"),
    ]
    assert events[-1].reason == "the resident ended the call"
    with pytest.raises(ConflictError, match=f"consultation {cid} is already ended"):
        store.end_by_specialist(home.db, home.agency, cid, reason="x", user_id=home.user, now=NOW)
    # The robot is free again.
    assert call(home).state == "ringing"


def test_a_decline_is_recorded_as_declined_with_its_reason(home: Home) -> None:
    cid = call(home).id
    store.change_state(
        home.db, cid, "declined", reason="the resident said no", by="robot", now=NOW + 1
    )
    found = store.get_consultation(home.db, home.agency, cid)
    assert (found.state, found.reason, found.final) == ("declined", "the resident said no", True)
    assert not store.list_consultations(home.db, home.agency, active_only=True)


def test_another_agencys_consultation_is_not_found(home: Home) -> None:
    cid = call(home).id
    with pytest.raises(NotFoundError, match=f"consultation {cid} not found"):
        store.get_consultation(home.db, home.other_agency, cid)
    with pytest.raises(NotFoundError):
        store.consultation_events(home.db, home.other_agency, cid)
    assert store.list_consultations(home.db, home.other_agency) == []


def test_a_voice_request_is_kept_once_and_becomes_the_call_back(home: Home) -> None:
    outcome, request = store.record_voice_request(
        home.db, home.robot, "e1", asked_for="social_worker", now=NOW
    )
    assert outcome == "stored" and request is not None
    assert (request.state, request.origin, request.caller_name) == ("requested", "voice", "")
    again, same = store.record_voice_request(home.db, home.robot, "e1", asked_for="", now=NOW)
    assert (again, same) == ("duplicate", request)
    other, same = store.record_voice_request(home.db, home.robot, "e2", asked_for="", now=NOW)
    assert (other, same) == ("already_requested", request)
    nobody, none = store.record_voice_request(home.db, "no-robot", "e3", asked_for="", now=NOW)
    assert (nobody, none) == ("no_rental", None)

    answered = call(home, request_id=request.id)
    assert (answered.id, answered.state, answered.caller_name) == (
        request.id,
        "ringing",
        "Ольга Петрова",
    )
    with pytest.raises(ConflictError, match="is already in consultation"):
        call(home, request_id=request.id)
    store.change_state(home.db, answered.id, "ended", reason="x", by="robot", now=NOW)
    with pytest.raises(ConflictError, match=f"request {request.id} is no longer waiting"):
        call(home, request_id=request.id)


def test_calls_without_an_answer_or_a_connection_are_overdue(home: Home) -> None:
    ringing = call(home)
    robot2, resident2 = rent(home.db, home.agency, "S2", "Вера")
    accepted = call(home, resident2)
    store.change_state(home.db, accepted.id, "accepted", by="robot", now=NOW + 10)
    assert store.overdue_calls(home.db, NOW + 40, ring_timeout_s=60, connect_timeout_s=45) == []
    due = store.overdue_calls(home.db, NOW + 60, ring_timeout_s=60, connect_timeout_s=45)
    assert [(c.id, why) for c, why in due] == [
        (ringing.id, "the robot did not answer"),
        (accepted.id, "the call never connected"),
    ]
    assert robot2 != home.robot
