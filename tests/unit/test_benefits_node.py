"""The benefits node on LocalRuntime: intents in, questions and fleet events out, local catalog.

The last test runs the real dialog node with the NLU and this node together,
with the resident's words typed on /speech/heard.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from benefits import load_catalog
from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.nodes.benefits_node import benefit_names, local_catalog
from robot.runtime import EVENTS, LATCHED, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header

BENEFITS_NODE = "robot.nodes.benefits_node:BenefitsNode"
# 05:00 UTC is 10:00 in Perm.
START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
NORMAL = 1


def seed_document() -> dict[str, Any]:
    return load_catalog().document.model_dump(mode="json")


@dataclass
class Home:
    rt: LocalRuntime
    probe: LocalNode
    config: LocalPublisher
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
                header=header(self.probe), kind="benefits", version=self.version, json=text
            )
        )
        self.rt.run_until_idle()

    def texts(self) -> list[str]:
        return [request.text for request in self.said]

    def event(self, kind: str) -> dict[str, Any]:
        [found] = [item for item in self.events if item.type == kind]
        fields: dict[str, Any] = json.loads(found.json)
        return fields


def make_home(
    tmp_path: Path, nodes: dict[str, str], overrides: dict[str, Any] | None = None
) -> Home:
    parameters = {
        "benefits": {
            "state_file": str(tmp_path / "benefits.json"),
            "timezone": "Asia/Yekaterinburg",
        },
        **(overrides or {}),
    }
    rt = robot_runtime(ManualClock(START), PACKAGED_ROBOT_PARAMETERS, "ru", parameters)
    start_nodes(rt, nodes)
    probe = rt.node("probe")
    types = probe.types
    home = Home(rt, probe, config=probe.publisher("/fleet/config", types.ConfigUpdate, LATCHED))
    probe.subscribe("/speech/say", types.SayRequest, home.said.append, EVENTS)
    probe.subscribe("/fleet/event", types.FleetEvent, home.events.append, EVENTS)
    rt.run_until_idle()
    return home


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    made = make_home(tmp_path, {"benefits": BENEFITS_NODE})
    made.intents = made.probe.publisher("/dialog/intent", made.types.Intent, EVENTS)
    yield made
    assert made.rt.callback_errors == {}


def test_query_asks_one_question_at_a_time_expecting_an_answer(home: Home) -> None:
    home.intent("benefits.query", "какие льготы мне положены")
    intro, question = home.said
    assert not intro.expects_answer
    assert question.expects_answer and "Пермском крае" in question.text
    assert {request.priority for request in home.said} == {NORMAL}
    assert all(request.rate_scale == pytest.approx(0.9) for request in home.said)
    home.intent("yes", "да")
    assert home.said[-1].expects_answer and "году вы родились" in home.said[-1].text
    home.intent("unknown", "мне восемьдесят четыре")
    assert home.said[-1].expects_answer and "группа инвалидности" in home.said[-1].text


def test_other_intents_are_ignored_when_no_interview_runs(home: Home) -> None:
    home.intent("yes", "да")
    home.intent("unknown", "1950")
    assert home.said == [] and home.events == []


def test_cancel_ends_the_interview(home: Home) -> None:
    home.intent("benefits.query")
    home.intent("cancel", "хватит")
    assert "закончим" in home.said[-1].text and not home.said[-1].expects_answer
    home.intent("yes", "да")
    assert len(home.said) == 3


def test_an_urgent_question_ends_the_interview(home: Home) -> None:
    home.intent("benefits.query")
    urgent = home.probe.publisher("/speech/say", home.types.SayRequest, EVENTS)
    urgent.publish(
        home.types.SayRequest(header=header(home.probe), text="Вам нужна помощь?", lang="ru",
                              priority=3, utterance_id="g1", rate_scale=1.0)
    )  # fmt: skip
    home.rt.run_until_idle()
    asked = len(home.said)
    home.intent("yes", "да")  # the answer to the guardian, not to "do you live in Perm?"
    assert len(home.said) == asked and home.events == []


def test_silence_skips_on_the_nodes_timer(home: Home) -> None:
    home.intent("benefits.query")
    home.rt.run_for(45)
    assert home.texts()[-2] == "Хорошо, пропустим."
    assert "году вы родились" in home.texts()[-1]


def full_interview(home: Home, consent: bool) -> None:
    home.send_config(
        {
            "catalog": seed_document(),
            "profile": {
                "birth_date": "1940-03-01", "region": "RU-PER", "disability_group": None,
                "receives_insurance_pension": True, "titles": [], "needs_help_at_home": True,
                "has_ipra": False, "receives_edv": False,
            },
        }
    )  # fmt: skip
    home.intent("benefits.query")
    assert "Я помню ваши ответы" in home.texts()[0]
    home.intent("yes", "да")
    assert "меньше 22 тысяч" in home.texts()[-1]
    home.intent("unknown", "тысяч двадцать")
    assert home.said[-1].expects_answer and "записать вас на приём" in home.texts()[-1]
    home.intent("yes", "да")
    assert home.said[-1].expects_answer and "Сохранить ваши ответы" in home.texts()[-1]
    home.intent("yes" if consent else "no", "да" if consent else "нет")


def test_booking_and_consent_become_fleet_events(home: Home, tmp_path: Path) -> None:
    full_interview(home, consent=True)
    assert [event.type for event in home.events] == ["appointment.request", "benefits.profile"]
    assert home.event("appointment.request") == {
        "agency_id": "perm.minsoc",
        "measure_ids": ["ru.home_social_services", "ru.home_social_services_free"],
        "note": "",
    }
    saved = home.event("benefits.profile")
    assert saved["consent"] is True
    assert saved["facts"]["per_capita_income_rub"] == {"below": 22000.0}
    assert len({event.event_id for event in home.events}) == 2
    stored = json.loads((tmp_path / "benefits.json").read_text(encoding="utf-8"))
    assert stored["profile"]["per_capita_income_rub"] == {"below": 22000.0}


def test_no_consent_no_profile_event(home: Home) -> None:
    full_interview(home, consent=False)
    assert [event.type for event in home.events] == ["appointment.request"]


def test_delete_my_answers_at_the_read_back(home: Home, tmp_path: Path) -> None:
    home.send_config({"catalog": seed_document(), "profile": {"birth_date": "1946-05-01"}})
    home.intent("benefits.query")
    home.intent("unknown", "удалите мои ответы")
    assert home.event("benefits.profile_deleted") == {}
    stored = json.loads((tmp_path / "benefits.json").read_text(encoding="utf-8"))
    assert stored["profile"] == {}
    home.intent("benefits.query")
    assert "Я помню" not in " ".join(home.texts()[-2:])


def test_explain_uses_the_slot_or_the_words(home: Home) -> None:
    home.intent("benefits.explain", "что такое ЕДВ", {"benefit": "ru.edv_disabled"})
    assert home.texts()[0].startswith("Ежемесячная денежная выплата (ЕДВ)")
    assert not any(request.expects_answer for request in home.said)
    home.said.clear()
    home.intent(
        "benefits.explain",
        "расскажи про набор соцуслуг",
        {"benefit_text": "набор социальных услуг"},
    )
    assert home.texts()[0].startswith("Набор социальных услуг (НСУ)")


def test_a_fleet_catalog_replaces_the_seed_and_a_bad_one_is_kept_out(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    changed = seed_document()
    changed["measures"][0]["title"]["ru"] = "Ежемесячная выплата (ЕДВ) по новому каталогу"
    home.send_config({"catalog": changed})
    bad = copy.deepcopy(changed)
    bad["measures"][0]["eligibility"] = {"fact": "shoe_size", "op": "eq", "value": 1}
    with caplog.at_level(logging.ERROR):
        home.send_config({"catalog": bad})
        home.send_config("{not json")
        home.send_config({"catalog": changed, "profile": {"birth_date": "2030-01-01"}})
    messages = [record.getMessage() for record in caplog.records]
    assert sum("benefits config rejected" in m for m in messages) == 3
    assert any("unknown fact 'shoe_size'" in m for m in messages)
    assert any("birth_date" in m and "future" in m for m in messages)
    home.intent("benefits.explain", "", {"benefit": "ru.edv_disabled"})
    assert home.texts()[0].startswith("Ежемесячная выплата (ЕДВ) по новому каталогу")


def test_an_older_config_is_ignored(home: Home) -> None:
    changed = seed_document()
    changed["measures"][0]["title"]["ru"] = "Новое название (ЕДВ)"
    home.send_config({"catalog": changed}, version=5)
    home.send_config({"catalog": seed_document()}, version=4)
    home.intent("benefits.explain", "", {"benefit": "ru.edv_disabled"})
    assert home.texts()[0].startswith("Новое название (ЕДВ)")


def test_offline_restart_answers_from_the_stored_catalog(tmp_path: Path) -> None:
    first = make_home(tmp_path, {"benefits": BENEFITS_NODE})
    changed = seed_document()
    changed["measures"][0]["title"]["ru"] = "Выплата из сохранённого каталога (ЕДВ)"
    first.send_config({"catalog": changed, "profile": {"birth_date": "1946-05-01"}})
    first.rt.stop()

    again = make_home(tmp_path, {"benefits": BENEFITS_NODE})  # no fleet this time
    again.intents = again.probe.publisher("/dialog/intent", again.types.Intent, EVENTS)
    again.intent("benefits.explain", "", {"benefit": "ru.edv_disabled"})
    assert again.texts()[0].startswith("Выплата из сохранённого каталога (ЕДВ)")
    again.said.clear()
    again.intent("benefits.query")
    assert "дата рождения: 1 мая 1946 года" in again.texts()[0]
    assert again.rt.callback_errors == {}


def test_the_dialog_can_read_the_catalog_names_offline(tmp_path: Path) -> None:
    state = tmp_path / "benefits.json"
    assert "ru.nsu" in local_catalog(state).measures  # nothing stored: the seed
    home = make_home(tmp_path, {"benefits": BENEFITS_NODE})
    changed = seed_document()
    changed["measures"] = changed["measures"][:1]
    changed["measures"][0]["title"]["ru"] = "Особая выплата (ОВ)"
    home.send_config({"catalog": changed})
    assert benefit_names(local_catalog(state), "ru") == {
        "ru.edv_disabled": ["Особая выплата (ОВ)", "Особая выплата", "ОВ"]
    }
    state.write_text("{broken", encoding="utf-8")
    assert len(local_catalog(state).measures) == len(load_catalog().measures)


def test_a_wipe_forgets_the_residents_answers_but_not_the_catalog(
    home: Home, tmp_path: Path
) -> None:
    changed = seed_document()
    changed["measures"][0]["title"]["ru"] = "Каталог агентства (ЕДВ)"
    home.send_config({"catalog": changed, "profile": {"birth_date": "1946-05-01"}})
    home.send_config("{}")
    home.intent("benefits.query")
    assert "Я помню" not in home.texts()[0]
    stored = json.loads((tmp_path / "benefits.json").read_text(encoding="utf-8"))
    assert stored["profile"] == {} and stored["catalog"]["measures"][0]["title"]["ru"] == (
        "Каталог агентства (ЕДВ)"
    )


def test_a_corrupt_state_file_falls_back_to_the_seed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "benefits.json").write_text("{broken", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        home = make_home(tmp_path, {"benefits": BENEFITS_NODE})
    assert any("benefits state file unreadable" in r.getMessage() for r in caplog.records)
    home.intents = home.probe.publisher("/dialog/intent", home.types.Intent, EVENTS)
    home.intent("benefits.explain", "", {"benefit": "ru.nsu"})
    assert home.texts()[0].startswith("Набор социальных услуг (НСУ)")


# -- end to end: typed words through the real dialog node and NLU -------------------------------


def test_benefits_conversation_through_the_dialog(tmp_path: Path) -> None:
    home = make_home(
        tmp_path,
        {"dialog": ROBOT_NODES["dialog"], "benefits": BENEFITS_NODE},
        {
            "dialog": {
                "timezone": "Asia/Yekaterinburg",
                "unsupported_intents": ["appointment.book", "call.request"],
            }
        },
    )
    home.heard = home.probe.publisher("/speech/heard", home.types.Utterance, EVENTS)
    dialog_intents: list[Any] = []
    home.probe.subscribe("/dialog/intent", home.types.Intent, dialog_intents.append, EVENTS)

    home.resident("Какие льготы мне положены?")
    assert "Пермском крае" in home.texts()[-1]
    home.resident("да")
    assert "году вы родились" in home.texts()[-1]
    asked = len(home.said)
    home.resident("мне восемьдесят четыре")  # `unknown` to the NLU: passed on, not re-asked
    assert dialog_intents[-1].name == "unknown"
    assert len(home.said) == asked + 1
    assert "группа инвалидности" in home.texts()[-1]
    home.resident("повтори")  # the dialog repeats the question, slower
    assert "группа инвалидности" in home.texts()[-1] and home.said[-1].rate_scale < 0.9
    home.resident("нет группы")
    for _ in range(10):
        if "записать вас на приём" in home.texts()[-1] or "Сохранить" in home.texts()[-1]:
            break
        home.resident("не знаю")
    assert not any("не поняла" in text.lower() for text in home.texts())
    assert any("Нужно уточнить" in text for text in home.texts())
    if "записать вас на приём" in home.texts()[-1]:
        home.resident("нет")
    assert "Сохранить ваши ответы" in home.texts()[-1]
    home.resident("да")
    saved = home.event("benefits.profile")
    assert saved["facts"]["disability_group"] is None
    assert saved["facts"]["birth_date"] == {"from": "1941-11-24", "to": "1942-11-23"}
    assert saved["facts"]["region"] == "RU-PER"

    home.said.clear()
    # (Until the dialog gives the NLU the benefit names, "выплата" is what makes it benefits.)
    home.resident("Расскажи про выплату ЕДВ")
    assert home.texts()[0].startswith("Ежемесячная денежная выплата (ЕДВ)")
    assert "скорее всего, не положено" in " ".join(home.texts())
    assert home.rt.callback_errors == {}
