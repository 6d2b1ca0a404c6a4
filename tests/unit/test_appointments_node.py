"""The appointments node on LocalRuntime: cfg in, questions and fleet events out, local state.

The last tests run the real dialog node with the NLU and this node together,
with the resident's words typed on /speech/heard.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from homecare.clock import ManualClock
from homecare.errors import ConfigError
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime import EVENTS, LATCHED, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header

APPOINTMENTS_NODE = "robot.nodes.appointments_node:AppointmentsNode"
# 05:00 UTC is 10:00 in Perm, Monday 23 November 2026.
START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
NORMAL = 1
IVANOVA = {"id": "sp1", "name": "Мария Иванова", "role": "social_worker"}


def slot(slot_id: str, starts_at: str) -> dict[str, Any]:
    return {
        "slot_id": slot_id, "specialist": IVANOVA, "agency": "КЦСОН Перми",
        "starts_at": starts_at, "duration_min": 30, "mode": "in_person",
        "place": "улица Ленина, 5",
    }  # fmt: skip


def visit(appointment_id: str, slot_id: str, starts_at: str, status: str) -> dict[str, Any]:
    return {**slot(slot_id, starts_at), "appointment_id": appointment_id, "status": status,
            "rated": False}  # fmt: skip


FREE = [slot("s1", "2026-11-24T10:00:00+05:00"), slot("s2", "2026-11-25T09:00:00+05:00")]
DONE_TODAY = visit("a1", "s0", "2026-11-23T08:00:00+05:00", "done")


def document(
    free: list[dict[str, Any]] | None = None, booked: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "timezone": "Asia/Yekaterinburg",
        "free_slots": FREE if free is None else free,
        "appointments": booked or [],
    }


@dataclass
class Home:
    rt: LocalRuntime
    probe: LocalNode
    config: LocalPublisher
    speech: LocalPublisher
    intents: LocalPublisher | None = None
    heard: LocalPublisher | None = None
    said: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    version: int = 0

    @property
    def types(self) -> Any:
        return self.probe.types

    def intent(self, name: str, text: str = "", slots: dict[str, object] | None = None) -> None:
        assert self.intents is not None
        self.intents.publish(
            self.types.Intent(
                header=header(self.probe), name=name, slots_json=json.dumps(slots or {}),
                text=text, lang="ru", confidence=0.9,
            )
        )  # fmt: skip
        self.rt.run_until_idle()

    def resident(self, text: str) -> None:
        assert self.heard is not None
        self.heard.publish(
            self.types.Utterance(
                header=header(self.probe), text=text, lang="ru", confidence=1.0, is_final=True
            )
        )
        self.rt.run_until_idle()

    def send_config(self, data: object, version: int | None = None) -> None:
        self.version = self.version + 1 if version is None else version
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        self.config.publish(
            self.types.ConfigUpdate(
                header=header(self.probe), kind="appointments", version=self.version, json=text
            )
        )
        self.rt.run_until_idle()

    def guardian_asks(self) -> None:
        self.speech.publish(
            self.types.SayRequest(header=header(self.probe), text="Вам нужна помощь?", lang="ru",
                                  priority=3, utterance_id="g1", rate_scale=1.0)
        )  # fmt: skip
        self.rt.run_until_idle()

    def texts(self) -> list[str]:
        return [request.text for request in self.said if request.utterance_id != "g1"]

    def event(self, kind: str) -> dict[str, Any]:
        [found] = [item for item in self.events if item.type == kind]
        fields: dict[str, Any] = json.loads(found.json)
        return fields


def make_home(
    tmp_path: Path, nodes: dict[str, str], overrides: dict[str, Any] | None = None
) -> Home:
    parameters = {
        "appointments": {
            "state_file": str(tmp_path / "appointments.json"),
            "timezone": "Asia/Yekaterinburg",
        },
        **(overrides or {}),
    }
    rt = robot_runtime(ManualClock(START), PACKAGED_ROBOT_PARAMETERS, "ru", parameters)
    start_nodes(rt, nodes)
    probe = rt.node("probe")
    types = probe.types
    home = Home(
        rt,
        probe,
        config=probe.publisher("/fleet/config", types.ConfigUpdate, LATCHED),
        speech=probe.publisher("/speech/say", types.SayRequest, EVENTS),
    )
    probe.subscribe("/speech/say", types.SayRequest, home.said.append, EVENTS)
    probe.subscribe("/fleet/event", types.FleetEvent, home.events.append, EVENTS)
    rt.run_until_idle()
    return home


def with_intents(home: Home) -> Home:
    home.intents = home.probe.publisher("/dialog/intent", home.types.Intent, EVENTS)
    return home


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    made = with_intents(make_home(tmp_path, {"appointments": APPOINTMENTS_NODE}))
    yield made
    assert made.rt.callback_errors == {}


def test_booking_offers_a_slot_and_sends_the_request(home: Home) -> None:
    home.send_config(document())
    home.intent("appointment.book", "запиши меня к соцработнику",
                {"role": "social_worker", "confirmed": True})  # fmt: skip
    offer = home.said[-1]
    assert offer.expects_answer and offer.priority == NORMAL
    assert offer.rate_scale == pytest.approx(0.9)
    assert "завтра, в 10 часов ровно" in offer.text
    home.intent("yes", "да")
    assert home.event("appointment.book") == {"slot_id": "s1"}
    assert home.texts()[-1] == "Я отправил запрос. Я скажу, когда запись подтвердят."
    home.send_config(
        document([FREE[1]], [visit("a1", "s1", "2026-11-24T10:00:00+05:00", "booked")])
    )
    assert home.texts()[-1].startswith("Вы записаны: завтра, в 10 часов ровно.")


def test_intents_without_a_conversation_are_ignored(home: Home) -> None:
    home.send_config(document())
    home.intent("yes", "да")
    home.intent("unknown", "пять")
    home.intent("appointment.list", "когда у меня приём")
    assert home.said == [] and home.events == []


def test_a_rating_is_asked_on_the_timer_and_sent(home: Home) -> None:
    home.send_config(document([], [DONE_TODAY]))
    home.rt.run_for(2)
    assert "Недавно у вас был приём" in home.texts()[0]
    for answer in ("пять", "четыре", "пять", "пять", "пять"):
        home.intent("unknown", answer)
    home.intent("no", "нет")
    rating = home.event("service.rating")
    assert rating == {
        "appointment_id": "a1",
        "scores": {"time_to_service": 5, "waiting_time": 4, "courtesy": 5, "comfort": 5,
                   "information": 5},
        "comment": "",
    }  # fmt: skip
    assert len({event.event_id for event in home.events}) == len(home.events)


def test_silence_skips_then_ends_on_the_timer(home: Home) -> None:
    home.send_config(document([], [DONE_TODAY]))
    home.rt.run_for(2)
    home.rt.run_for(41)
    assert home.texts()[-2] == "Хорошо, пропустим." and "Второе" in home.texts()[-1]
    asked = len(home.said)
    home.rt.run_for(41)
    assert len(home.said) == asked and home.events == []


def test_an_urgent_question_ends_the_conversation(home: Home) -> None:
    home.send_config(document([], [DONE_TODAY]))
    home.rt.run_for(2)
    home.intent("unknown", "три")
    home.guardian_asks()
    home.intent("yes", "да")  # the answer to the guardian
    assert [e.type for e in home.events] == ["service.rating"]
    assert home.event("service.rating")["scores"] == {"time_to_service": 3}
    assert "Второе" in home.texts()[-1]  # nothing said after the guardian's question


def test_someone_else_speaking_holds_the_rating_question(home: Home) -> None:
    home.guardian_asks()
    home.send_config(document([], [DONE_TODAY]))
    home.rt.run_for(30)
    assert home.texts() == []
    home.rt.run_for(65)
    assert "Недавно у вас был приём" in home.texts()[0]


def test_a_bad_config_keeps_the_previous(home: Home, caplog: pytest.LogCaptureFixture) -> None:
    home.send_config(document())
    with caplog.at_level(logging.ERROR):
        home.send_config("{not json")
        home.send_config({"free_slots": [{**FREE[0], "starts_at": "tomorrow"}]})
        home.send_config({"free_slots": "none"})
    messages = [record.getMessage() for record in caplog.records]
    assert sum("appointments config rejected" in m for m in messages) == 3
    assert any("free_slots.0.starts_at" in m for m in messages)
    home.intent("appointment.book", "запиши", {"confirmed": True})
    assert "завтра, в 10 часов ровно" in home.texts()[-1]


def test_an_older_config_is_ignored(home: Home) -> None:
    home.send_config(document([FREE[1]]), version=5)
    home.send_config(document(), version=4)
    home.intent("appointment.book", "запиши", {"confirmed": True})
    assert "среда, 25 ноября" in home.texts()[-1]


def test_a_wipe_forgets_slots_and_pending_bookings(home: Home, tmp_path: Path) -> None:
    home.send_config(document())
    home.intent("appointment.book", "запиши", {"confirmed": True})
    home.intent("yes", "да")
    home.send_config("{}")
    stored = json.loads((tmp_path / "appointments.json").read_text(encoding="utf-8"))
    assert stored["pending_bookings"] == [] and stored["config"]["free_slots"] == []
    home.intent("appointment.book", "запиши", {"confirmed": True})
    assert "Свободного времени для записи сейчас нет" in home.texts()[-1]


def test_a_restart_keeps_asked_ratings_and_pending_bookings(tmp_path: Path) -> None:
    first = with_intents(make_home(tmp_path, {"appointments": APPOINTMENTS_NODE}))
    first.send_config(document(FREE, [DONE_TODAY]))
    first.rt.run_for(2)
    assert "Недавно у вас был приём" in first.texts()[0]
    first.intent("cancel", "хватит")
    first.intent("appointment.book", "запиши", {"confirmed": True})
    first.intent("yes", "да")
    assert first.event("appointment.book") == {"slot_id": "s1"}
    first.rt.stop()

    again = make_home(tmp_path, {"appointments": APPOINTMENTS_NODE})
    again.rt.run_for(5)
    assert again.said == []  # the stored cfg is used, and the rating was asked already
    booked = visit("a2", "s1", "2026-11-24T10:00:00+05:00", "booked")
    again.send_config(document([FREE[1]], [DONE_TODAY, booked]))
    assert again.texts()[-1].startswith("Вы записаны: завтра")
    assert again.rt.callback_errors == {}


def test_a_corrupt_state_file_is_reported_and_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "appointments.json").write_text("{broken", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        home = with_intents(make_home(tmp_path, {"appointments": APPOINTMENTS_NODE}))
    assert any("appointments state file unreadable" in r.getMessage() for r in caplog.records)
    home.send_config(document())
    stored = json.loads((tmp_path / "appointments.json").read_text(encoding="utf-8"))
    assert [s["slot_id"] for s in stored["config"]["free_slots"]] == ["s1", "s2"]


def test_a_bad_parameter_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"appointments: parameter quiet_hours_start=.late.: .*HH:MM"
    ):
        make_home(tmp_path, {"appointments": APPOINTMENTS_NODE},
                  {"appointments": {"quiet_hours_start": "late"}})  # fmt: skip


# -- end to end: typed words through the real dialog node and NLU -------------------------------


def dialog_home(tmp_path: Path) -> Home:
    home = make_home(
        tmp_path,
        {"dialog": ROBOT_NODES["dialog"], "appointments": APPOINTMENTS_NODE},
        {"dialog": {"timezone": "Asia/Yekaterinburg", "unsupported_intents": ["call.request"]}},
    )
    home.heard = home.probe.publisher("/speech/heard", home.types.Utterance, EVENTS)
    return home


def test_booking_through_the_dialog(tmp_path: Path) -> None:
    home = dialog_home(tmp_path)
    home.send_config(document())
    home.resident("Запиши меня к социальному работнику")
    # No separate "shall I book?" from the dialog: the offer of a concrete time is the question.
    assert "завтра, в 10 часов ровно" in home.texts()[-1]
    assert "Скажите: да, нет или другое время" in home.texts()[-1]
    home.resident("а другое время можно?")
    assert home.texts()[-1].startswith("Другой вариант: среда, 25 ноября, в 9 часов ровно.")
    home.resident("да")
    assert home.event("appointment.book") == {"slot_id": "s2"}
    assert home.texts()[-1] == "Я отправил запрос. Я скажу, когда запись подтвердят."
    assert home.rt.callback_errors == {}


def test_rating_and_complaint_through_the_dialog(tmp_path: Path) -> None:
    home = dialog_home(tmp_path)
    home.send_config(document([], [DONE_TODAY]))
    home.rt.run_for(2)
    assert "Как быстро вы получили услугу?" in home.texts()[-1]
    for answer in ("пять", "4", "на троечку", "пропустить", "два"):
        home.resident(answer)
    assert "Хотите что-то добавить?" in home.texts()[-1]
    home.resident("Долго искала кабинет")
    assert home.event("service.rating") == {
        "appointment_id": "a1",
        "scores": {"time_to_service": 5, "waiting_time": 4, "courtesy": 3, "information": 2},
        "comment": "Долго искала кабинет",
    }
    assert "Хотите подать жалобу?" in home.texts()[-1]
    home.resident("нет")
    assert not any("не понял" in text.lower() for text in home.texts())

    home.said.clear()
    home.resident("Я хочу пожаловаться")
    assert home.texts()[-1].startswith("На что вы жалуетесь?")
    home.resident("требовали лишние документы")
    home.resident("Просили принести справку, которой у меня нет")
    assert "Ваши слова: Просили принести справку, которой у меня нет." in home.texts()[-1]
    home.resident("да")
    assert home.event("complaint.filed") == {
        "ground": "extra_documents_or_fees",
        "text": "Просили принести справку, которой у меня нет",
        "appointment_id": None,
    }
    assert home.texts()[-1] == "Жалоба отправлена. Ответ должны дать в течение 15 дней."
    assert home.rt.callback_errors == {}
