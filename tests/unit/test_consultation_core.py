"""The consultation core on a manual clock: consent, connection, hang-up, deadlines."""

from __future__ import annotations

import pytest

from homecare.clock import ManualClock
from telepresence.config import IceServer
from telepresence.consultation import (
    Action,
    ApplyAnswer,
    CameraShared,
    ClosePeer,
    Consultation,
    ConsultationParams,
    ConsultationState,
    IncomingSignal,
    MakeOffer,
    RestartPeer,
    Say,
    SendEvent,
    SendSignal,
)
from telepresence.phrases import Phrase, camera_on, phrase, ring_question

CID = "42"
STUN = (IceServer(urls=("stun:stun.example.org:3478",)),)


def ring(cid: str = CID, lang: str = "ru", deadline: float | None = 20.0) -> IncomingSignal:
    return IncomingSignal(
        consultation_id=cid, type="ring", caller_name="Анна Петрова",
        caller_role="социальный работник", lang=lang, ice_servers=STUN,
        connect_deadline_s=deadline,
    )  # fmt: skip


def signal(type_: str, cid: str = CID, **fields: str) -> IncomingSignal:
    return IncomingSignal(consultation_id=cid, type=type_, **fields)  # type: ignore[arg-type]


class Call:
    """The core on a manual clock, with a record of every action it returned."""

    def __init__(self, consent_timeout_s: float = 30.0) -> None:
        self.clock = ManualClock()
        self.core = Consultation(
            ConsultationParams(consent_timeout_s=consent_timeout_s, lang="en"), self.clock
        )
        self.actions: list[Action] = []

    def run(self, actions: list[Action]) -> list[Action]:
        self.actions += actions
        return actions

    def wait(self, seconds: float, step: float = 0.5) -> list[Action]:
        produced: list[Action] = []
        target = self.clock.monotonic() + seconds
        while self.clock.monotonic() < target - 1e-9:
            self.clock.advance(min(step, target - self.clock.monotonic()))
            produced += self.run(self.core.tick())
        return produced

    def signals(self) -> list[SendSignal]:
        return [a for a in self.actions if isinstance(a, SendSignal)]

    def said(self) -> list[Say]:
        return [a for a in self.actions if isinstance(a, Say)]

    def connected(self) -> None:
        self.run(self.core.on_signal(ring()))
        self.run(self.core.on_intent("yes", "ru"))
        self.run(self.core.on_offer_ready(CID, "v=0 offer"))
        self.run(self.core.on_signal(signal("answer", sdp="v=0 answer")))
        self.run(self.core.on_peer_state("connecting"))
        self.run(self.core.on_peer_state("connected"))
        assert self.core.state is ConsultationState.CONNECTED


def test_ring_asks_by_name_and_role_in_the_rings_language() -> None:
    call = Call()
    actions = call.run(call.core.on_signal(ring()))
    assert actions == [
        Say(
            "Анна Петрова, социальный работник, звонит вам по видеосвязи. Принять звонок?",
            "ru",
            expects_answer=True,
        )
    ]
    assert call.core.state is ConsultationState.ASKING
    assert not call.core.media_allowed


def test_ring_without_a_language_uses_the_robots() -> None:
    call = Call()
    [question] = call.core.on_signal(ring(lang=""))
    assert question == Say(
        "Анна Петрова, социальный работник, is calling you by video. Accept the call?",
        "en",
        expects_answer=True,
    )


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        ("Anna Smith", "", "Anna Smith is calling you by video. Accept the call?"),
        ("", "social worker", "Social worker is calling you by video. Accept the call?"),
        ("", "", "A specialist is calling you by video. Accept the call?"),
    ],
)
def test_the_question_leaves_out_a_missing_name_or_role(
    name: str, role: str, expected: str
) -> None:
    assert ring_question(name, role, "en") == expected


def test_yes_accepts_then_offers_then_reports_connecting() -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    actions = call.run(call.core.on_intent("yes", "ru"))
    assert actions == [SendSignal(CID, "accepted"), MakeOffer(CID, STUN)]
    assert call.core.state is ConsultationState.CONNECTING and call.core.media_allowed
    actions = call.run(call.core.on_offer_ready(CID, "v=0 offer"))
    assert actions == [
        SendSignal(CID, "offer", sdp="v=0 offer"),
        SendSignal(CID, "state", state="connecting"),
    ]
    assert call.run(call.core.on_signal(signal("answer", sdp="v=0 answer"))) == [
        ApplyAnswer("v=0 answer")
    ]


@pytest.mark.parametrize("not_an_answer", ["status.ok", "time.now", "unknown", "repeat"])
def test_only_yes_accepts(not_an_answer: str) -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    assert call.run(call.core.on_intent(not_an_answer, "ru")) == []
    call.wait(60)
    assert not any(isinstance(a, (MakeOffer, CameraShared)) for a in call.actions)
    assert call.signals() == [SendSignal(CID, "declined", reason="no answer")]
    assert call.core.state is ConsultationState.IDLE


@pytest.mark.parametrize("refusal", ["no", "cancel", "call.end"])
def test_no_declines_with_a_spoken_confirmation(refusal: str) -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    actions = call.run(call.core.on_intent(refusal, "ru"))
    assert actions == [
        SendSignal(CID, "declined", reason="the resident said no"),
        Say(phrase(Phrase.DECLINED, "ru"), "ru"),
    ]
    assert call.core.state is ConsultationState.IDLE and not call.core.media_allowed
    # Later answers belong to nobody.
    assert call.core.on_intent("yes", "ru") == []
    assert not any(isinstance(a, (MakeOffer, CameraShared)) for a in call.actions)


def test_silence_repeats_the_question_once_at_half_time_then_declines() -> None:
    call = Call(consent_timeout_s=30)
    [question] = call.run(call.core.on_signal(ring()))
    assert call.wait(14.5) == []
    assert call.wait(0.5) == [question]  # the same question, again, at 15 s
    assert call.wait(14.5) == []
    assert call.wait(0.5) == [SendSignal(CID, "declined", reason="no answer")]
    assert call.wait(60) == []
    assert call.core.state is ConsultationState.IDLE


def test_a_ring_during_a_call_is_declined_busy_and_the_call_goes_on() -> None:
    call = Call()
    call.connected()
    actions = call.run(call.core.on_signal(ring(cid="43")))
    assert actions == [SendSignal("43", "declined", reason="busy")]
    assert call.core.state is ConsultationState.CONNECTED and call.core.consultation_id == CID


def test_a_ring_while_asking_is_busy_too_and_a_resent_ring_is_not_asked_twice() -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    assert call.core.on_signal(ring()) == []
    assert call.core.on_signal(ring(cid="7")) == [SendSignal("7", "declined", reason="busy")]
    assert call.core.state is ConsultationState.ASKING


def test_connected_shares_the_camera_and_says_so() -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    call.run(call.core.on_intent("yes", "ru"))
    call.run(call.core.on_offer_ready(CID, "v=0 offer"))
    assert not any(isinstance(a, CameraShared) for a in call.actions)
    actions = call.run(call.core.on_peer_state("connected"))
    assert actions == [
        SendSignal(CID, "state", state="connected"),
        CameraShared(True),
        Say(camera_on("Анна Петрова", "ru"), "ru"),
    ]
    assert "Камера включена" in camera_on("Анна Петрова", "ru")
    assert "закончить" in camera_on("Анна Петрова", "ru")


def test_the_resident_ends_the_call_by_voice() -> None:
    call = Call()
    call.connected()
    actions = call.run(call.core.on_intent("call.end", "ru"))
    assert actions == [
        ClosePeer(),
        CameraShared(False),
        SendSignal(CID, "hangup", reason="the resident ended the call"),
        Say("Звонок завершён, камера выключена.", "ru"),
    ]
    assert call.core.state is ConsultationState.IDLE and not call.core.media_allowed


def test_call_end_while_connecting_ends_it_too() -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    call.run(call.core.on_intent("yes", "ru"))
    actions = call.run(call.core.on_intent("call.end", "ru"))
    assert ClosePeer() in actions and CameraShared(False) in actions
    assert SendSignal(CID, "hangup", reason="the resident ended the call") in actions


def test_the_specialist_hangs_up() -> None:
    call = Call()
    call.connected()
    actions = call.run(call.core.on_signal(signal("hangup", reason="the specialist hung up")))
    assert actions == [
        ClosePeer(),
        CameraShared(False),
        Say("Звонок завершён, камера выключена.", "ru"),
    ]
    assert call.core.state is ConsultationState.IDLE


def test_the_specialist_cancels_before_the_answer() -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    actions = call.run(call.core.on_signal(signal("cancel")))
    assert actions == [Say(phrase(Phrase.CANCELLED, "ru"), "ru")]
    assert call.core.state is ConsultationState.IDLE
    assert call.core.on_intent("yes", "ru") == []  # too late: nobody is calling


def test_signals_for_another_consultation_are_ignored() -> None:
    call = Call()
    call.connected()
    assert call.core.on_signal(signal("hangup", cid="99")) == []
    assert call.core.on_signal(signal("answer", cid="99", sdp="v=0 x")) == []
    assert call.core.state is ConsultationState.CONNECTED
    idle = Call()
    assert idle.core.on_signal(signal("answer", sdp="v=0 x")) == []
    assert idle.core.on_signal(signal("hangup")) == []


def test_link_lost_reconnects_with_a_new_offer() -> None:
    call = Call()
    call.connected()
    actions = call.run(call.core.on_peer_state("failed"))
    assert actions == [
        CameraShared(False),
        SendSignal(CID, "state", state="reconnecting"),
        RestartPeer(),
    ]
    assert call.core.state is ConsultationState.RECONNECTING and call.core.media_allowed
    # The new offer goes out without another "connecting".
    assert call.run(call.core.on_offer_ready(CID, "v=0 offer 2")) == [
        SendSignal(CID, "offer", sdp="v=0 offer 2")
    ]
    assert call.run(call.core.on_signal(signal("answer", sdp="v=0 answer 2"))) == [
        ApplyAnswer("v=0 answer 2")
    ]
    actions = call.run(call.core.on_peer_state("connected"))
    # Back: the indicator again, without repeating the whole spoken notice.
    assert actions == [SendSignal(CID, "state", state="connected"), CameraShared(True)]


def test_no_connection_within_the_deadline_ends_with_an_explanation() -> None:
    call = Call()
    call.run(call.core.on_signal(ring(deadline=20.0)))
    call.run(call.core.on_intent("yes", "ru"))
    call.run(call.core.on_offer_ready(CID, "v=0 offer"))
    assert call.wait(19.5) == []
    actions = call.wait(0.5)
    assert actions == [
        ClosePeer(),
        CameraShared(False),
        SendSignal(CID, "hangup", reason="could not connect within 20 s"),
        Say(phrase(Phrase.COULD_NOT_CONNECT, "ru"), "ru"),
    ]
    assert "Не удалось установить связь" in phrase(Phrase.COULD_NOT_CONNECT, "ru")
    assert call.core.state is ConsultationState.IDLE


def test_the_deadline_counts_again_from_each_reconnect() -> None:
    call = Call()
    call.run(call.core.on_signal(ring(deadline=20.0)))
    call.run(call.core.on_intent("yes", "ru"))
    call.run(call.core.on_peer_state("connected"))
    call.wait(300)  # a long, good call
    assert call.core.state is ConsultationState.CONNECTED
    call.run(call.core.on_peer_state("failed"))
    assert call.wait(19.5) == []
    actions = call.wait(0.5)
    assert SendSignal(CID, "hangup", reason="could not connect within 20 s") in actions


def test_a_ring_without_a_deadline_uses_the_default() -> None:
    call = Call()
    call.run(call.core.on_signal(ring(deadline=None)))
    call.run(call.core.on_intent("yes", "ru"))
    assert call.wait(29.5) == []
    assert SendSignal(CID, "hangup", reason="could not connect within 30 s") in call.wait(0.5)


def test_a_failure_before_connecting_makes_a_fresh_offer_within_the_same_deadline() -> None:
    call = Call()
    call.run(call.core.on_signal(ring(deadline=20.0)))
    call.run(call.core.on_intent("yes", "ru"))
    call.wait(10)
    assert call.run(call.core.on_peer_state("failed")) == [RestartPeer()]
    assert call.core.state is ConsultationState.CONNECTING
    assert call.wait(9.5) == []
    assert any(isinstance(a, ClosePeer) for a in call.wait(0.5))


def test_a_bad_answer_is_reported_and_a_good_one_still_connects() -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    call.run(call.core.on_intent("yes", "ru"))
    call.run(call.core.on_offer_ready(CID, "v=0 offer"))
    actions = call.run(call.core.on_answer_refused("the answer is not SDP"))
    assert actions == [SendSignal(CID, "error", reason="the answer is not SDP")]
    assert call.core.state is ConsultationState.CONNECTING
    assert call.core.on_signal(signal("answer", sdp="v=0 good")) == [ApplyAnswer("v=0 good")]
    assert CameraShared(True) in call.run(call.core.on_peer_state("connected"))


def test_an_offer_that_cannot_be_made_ends_the_call_with_the_reason() -> None:
    call = Call()
    call.run(call.core.on_signal(ring()))
    call.run(call.core.on_intent("yes", "ru"))
    actions = call.run(call.core.on_offer_failed(CID, "STUN servers unreachable"))
    assert SendSignal(
        CID, "hangup", reason="could not make an offer: STUN servers unreachable"
    ) in (actions)
    assert call.core.state is ConsultationState.IDLE


def test_reports_of_an_ended_call_change_nothing() -> None:
    call = Call()
    call.connected()
    call.run(call.core.on_intent("call.end", "ru"))
    assert call.core.on_peer_state("closed") == []
    assert call.core.on_offer_ready(CID, "v=0 late") == []
    assert call.core.on_answer_refused("late") == []
    assert call.core.on_intent("call.end", "ru") == []


def test_the_camera_is_shared_only_while_connected() -> None:
    call = Call()
    call.connected()
    call.run(call.core.on_peer_state("failed"))
    call.run(call.core.on_peer_state("connected"))
    call.run(call.core.on_signal(signal("hangup")))
    shared = [a.shared for a in call.actions if isinstance(a, CameraShared)]
    assert shared == [True, False, True, False]
    assert not call.core.camera_shared


def test_after_any_end_a_new_ring_is_asked() -> None:
    call = Call()
    call.connected()
    call.run(call.core.on_intent("call.end", "ru"))
    [question] = call.core.on_signal(ring(cid="43"))
    assert isinstance(question, Say) and question.expects_answer
    assert call.core.consultation_id == "43"


def test_call_request_after_the_residents_yes_notifies_the_fleet() -> None:
    call = Call()
    slots: dict[str, object] = {"role": "social_worker", "confirmed": True}
    actions = call.run(call.core.on_intent("call.request", "ru", slots))
    assert actions == [
        SendEvent("call.request", {"role": "social_worker", "person": "", "lang": "ru"}),
        Say("Я передала вашу просьбу. Специалист позвонит вам.", "ru"),
    ]
    assert call.core.state is ConsultationState.IDLE


def test_call_request_needs_the_confirmation_and_no_call_in_progress() -> None:
    call = Call()
    assert call.core.on_intent("call.request", "ru", {"role": "doctor"}) == []
    call.connected()
    assert call.core.on_intent("call.request", "ru", {"confirmed": True}) == []


def test_english_lines() -> None:
    call = Call()
    call.run(call.core.on_signal(ring(lang="en")))
    call.run(call.core.on_intent("yes", "en"))
    call.run(call.core.on_peer_state("connected"))
    call.run(call.core.on_intent("call.end", "en"))
    texts = [s.text for s in call.said()]
    assert texts[1] == (
        "The camera is on: Анна Петрова can see and hear you. To finish, say “end the call”."
    )
    assert texts[2] == "The call has ended, the camera is off."


def test_params_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ConsultationParams(consent_timeout_s=0)
