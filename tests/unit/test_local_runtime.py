"""LocalRuntime semantics: ordering, timers, QoS, failing callbacks, services, threads."""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any

import pytest

from homecare.clock import AcceleratedClock, ManualClock, PacedClock
from homecare.errors import ConfigError, InterfaceError
from robot.runtime import LATCHED, SENSOR_DATA, LocalRuntime, QoS
from robot.runtime.futures import ServiceCallError
from robot.runtime.qos import Durability, Reliability


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def runtime(clock: ManualClock) -> LocalRuntime:
    return LocalRuntime(clock=clock)


def utterance(rt: Any, text: str) -> Any:
    return rt.types.Utterance(text=text, lang="en")


# ordering


def test_messages_are_delivered_in_publication_order_across_topics(runtime: LocalRuntime) -> None:
    talker, listener = runtime.node("talker"), runtime.node("listener")
    heard, said = (
        talker.publisher("/speech/heard", talker.types.Utterance),
        talker.publisher("/speech/say", talker.types.SayRequest),
    )
    seen: list[str] = []
    listener.subscribe("/speech/heard", listener.types.Utterance, lambda m: seen.append(m.text))
    listener.subscribe("/speech/say", listener.types.SayRequest, lambda m: seen.append(m.text))

    heard.publish(utterance(talker, "a"))
    said.publish(talker.types.SayRequest(text="b"))
    heard.publish(utterance(talker, "c"))
    runtime.run_until_idle()

    assert seen == ["a", "b", "c"]


def test_messages_published_in_a_callback_run_after_earlier_work(runtime: LocalRuntime) -> None:
    node = runtime.node("n")
    pub_a = node.publisher("/a", node.types.Utterance)
    pub_b = node.publisher("/b", node.types.Utterance)
    order: list[str] = []

    def on_a(message: Any) -> None:
        order.append("a:" + message.text)
        pub_b.publish(utterance(node, message.text))

    node.subscribe("/a", node.types.Utterance, on_a)
    node.subscribe("/b", node.types.Utterance, lambda m: order.append("b:" + m.text))
    pub_a.publish(utterance(node, "1"))
    pub_a.publish(utterance(node, "2"))
    runtime.run_until_idle()

    assert order == ["a:1", "a:2", "b:1", "b:2"]


def test_same_inputs_give_the_same_callback_order() -> None:
    def run_once() -> list[str]:
        rt = LocalRuntime(clock=ManualClock())
        node = rt.node("n")
        pub = node.publisher("/t", node.types.Utterance)
        log: list[str] = []
        node.subscribe("/t", node.types.Utterance, lambda m: log.append("msg:" + m.text))
        node.timer(0.5, lambda: log.append("fast"))
        node.timer(1.0, lambda: (log.append("slow"), pub.publish(utterance(node, "x"))))
        rt.run_for(3.0)
        return log

    first = run_once()
    assert first == run_once()
    assert first == ["fast", "fast", "slow", "msg:x", "fast", "fast", "slow", "msg:x", "fast",
                     "fast", "slow", "msg:x"]  # fmt: skip


# timers


def test_timers_fire_on_the_manual_clock_only_when_time_moves(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    node = runtime.node("n")
    fired: list[float] = []
    node.timer(2.0, lambda: fired.append(clock.monotonic()))

    runtime.run_until_idle()
    assert fired == []
    clock.advance(1.9)
    runtime.run_until_idle()
    assert fired == []
    clock.advance(0.1)
    runtime.run_until_idle()
    assert fired == [2.0]


def test_run_for_jumps_from_timer_to_timer_on_a_manual_clock(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    node = runtime.node("n")
    fired: list[float] = []
    node.timer(60.0, lambda: fired.append(clock.monotonic()))

    runtime.run_for(24 * 3600)  # a simulated day, at once

    assert len(fired) == 24 * 60
    assert fired[:3] == [60.0, 120.0, 180.0]
    assert clock.monotonic() == 24 * 3600


def test_a_late_timer_skips_missed_periods_and_keeps_its_phase(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    node = runtime.node("n")
    fired: list[float] = []
    node.timer(1.0, lambda: fired.append(clock.monotonic()))

    clock.advance(3.5)  # the executor was busy elsewhere for 3.5 s
    runtime.run_until_idle()
    clock.advance_to(4.0)
    runtime.run_until_idle()

    assert fired == [3.5, 4.0]


def test_cancelled_timer_stops(runtime: LocalRuntime, clock: ManualClock) -> None:
    node = runtime.node("n")
    fired: list[float] = []
    timer = node.timer(1.0, lambda: fired.append(clock.monotonic()))
    runtime.run_for(2.0)
    timer.cancel()
    runtime.run_for(5.0)
    assert fired == [1.0, 2.0]


def test_timers_run_on_accelerated_time() -> None:
    clock = AcceleratedClock(speed=2000.0)
    rt = LocalRuntime(clock=clock)
    node = rt.node("n")
    fired: list[float] = []
    node.timer(1.0, lambda: fired.append(clock.monotonic()))

    rt.run_until(lambda: len(fired) >= 20, timeout=1000.0)

    assert len(fired) >= 20
    # Each firing happens at or after its due time, in order, about a period apart.
    for index, moment in enumerate(fired, start=1):
        assert moment >= index * 1.0
    gaps = [b - a for a, b in itertools.pairwise(fired)]
    assert all(gap > 0 for gap in gaps)
    assert sum(gaps) / len(gaps) == pytest.approx(1.0, abs=0.5)


def test_timers_fire_exactly_on_time_on_a_paced_clock_even_when_work_is_slow() -> None:
    clock = PacedClock(max_speed=5000.0)
    rt = LocalRuntime(clock=clock)
    node = rt.node("n")
    fired: list[float] = []
    node.timer(0.5, lambda: fired.append(clock.monotonic()))

    rt.run_until(lambda: len(fired) >= 10, timeout=100.0)

    # Simulated time stands still in callbacks, so frames stay evenly spaced.
    assert fired[:10] == pytest.approx([0.5 * i for i in range(1, 11)])


def test_work_from_another_thread_wakes_a_paced_runtime() -> None:
    clock = PacedClock(max_speed=0.001)  # a simulated second would take 1000 s of wall time
    rt = LocalRuntime(clock=clock)
    rt.node("n").timer(1.0, lambda: None)
    done: list[float] = []
    threading.Timer(0.05, lambda: rt.call_soon_threadsafe(lambda: done.append(1.0))).start()

    assert rt.run_until(lambda: bool(done), timeout=1.0)


def test_timer_period_must_be_positive(runtime: LocalRuntime) -> None:
    with pytest.raises(ValueError, match="positive"):
        runtime.node("n").timer(0, lambda: None)


# QoS


def test_keep_last_depth_drops_the_oldest_and_counts_it(runtime: LocalRuntime) -> None:
    node = runtime.node("camera")
    pub = node.publisher("/speech/heard", node.types.Utterance, QoS(depth=10))
    got: list[str] = []
    node.subscribe(
        "/speech/heard", node.types.Utterance, lambda m: got.append(m.text), QoS(depth=3)
    )

    for index in range(10):
        pub.publish(utterance(node, str(index)))
    runtime.run_until_idle()

    assert got == ["7", "8", "9"]
    assert runtime.dropped_messages["camera:/speech/heard"] == 7


def test_best_effort_publisher_does_not_reach_a_reliable_subscriber(
    runtime: LocalRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    node = runtime.node("n")
    reliable: list[str] = []
    best_effort: list[str] = []
    node.subscribe("/t", node.types.Utterance, lambda m: reliable.append(m.text))
    node.subscribe("/t", node.types.Utterance, lambda m: best_effort.append(m.text), SENSOR_DATA)
    with caplog.at_level(logging.WARNING):
        pub = node.publisher("/t", node.types.Utterance, SENSOR_DATA)
    pub.publish(utterance(node, "x"))
    runtime.run_until_idle()

    assert reliable == []
    assert best_effort == ["x"]
    assert "incompatible QoS" in caplog.text


def test_reliable_publisher_serves_a_best_effort_subscriber(runtime: LocalRuntime) -> None:
    node = runtime.node("n")
    got: list[str] = []
    node.subscribe("/t", node.types.Utterance, lambda m: got.append(m.text), SENSOR_DATA)
    node.publisher("/t", node.types.Utterance).publish(utterance(node, "x"))
    runtime.run_until_idle()
    assert got == ["x"]


def test_transient_local_subscriber_gets_the_last_messages_when_it_joins_late(
    runtime: LocalRuntime,
) -> None:
    node = runtime.node("n")
    pub = node.publisher("/fleet/config", node.types.ConfigUpdate, LATCHED)
    pub.publish(node.types.ConfigUpdate(kind="reminders", version=1))
    pub.publish(node.types.ConfigUpdate(kind="reminders", version=2))
    runtime.run_until_idle()

    latched: list[int] = []
    volatile: list[int] = []
    node.subscribe(
        "/fleet/config", node.types.ConfigUpdate, lambda m: latched.append(m.version), LATCHED
    )
    node.subscribe("/fleet/config", node.types.ConfigUpdate, lambda m: volatile.append(m.version))
    runtime.run_until_idle()

    assert latched == [2]
    assert volatile == []


def test_volatile_publisher_cannot_serve_a_transient_local_subscriber(
    runtime: LocalRuntime,
) -> None:
    node = runtime.node("n")
    got: list[int] = []
    node.subscribe("/c", node.types.ConfigUpdate, lambda m: got.append(m.version), LATCHED)
    node.publisher("/c", node.types.ConfigUpdate).publish(node.types.ConfigUpdate(version=1))
    runtime.run_until_idle()
    assert got == []


def test_qos_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        QoS(depth=0)
    assert QoS(reliability=Reliability.BEST_EFFORT, durability=Durability.VOLATILE).depth == 10


# failing callbacks


def test_an_exception_in_a_callback_is_logged_counted_and_the_runtime_goes_on(
    runtime: LocalRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    node = runtime.node("fragile")
    pub = node.publisher("/t", node.types.Utterance)
    got: list[str] = []

    def explode_on_bad(message: Any) -> None:
        if message.text == "bad":
            raise ValueError("boom")
        got.append(message.text)

    node.subscribe("/t", node.types.Utterance, explode_on_bad)
    node.timer(1.0, lambda: 1 / 0)
    for text in ("ok1", "bad", "ok2"):
        pub.publish(utterance(node, text))

    with caplog.at_level(logging.ERROR):
        runtime.run_for(2.0)

    assert got == ["ok1", "ok2"]
    assert runtime.callback_errors["fragile:subscription:/t"] == 1
    assert runtime.callback_errors["fragile:timer:1s"] == 2
    assert "callback failed" in caplog.text and "ZeroDivisionError" in caplog.text


# services


def test_service_call_returns_the_handlers_response(runtime: LocalRuntime) -> None:
    server, caller = runtime.node("server"), runtime.node("caller")
    srv = server.types.GetRobotStatus

    def status(request: Any, response: Any) -> Any:
        response.state = "ready"
        response.battery_pct = 77.0
        return response

    server.service("/robot/status", srv, status)
    client = caller.client("/robot/status", "GetRobotStatus")
    assert client.service_is_ready()
    done: list[str] = []
    future = client.call_async(srv.Request())
    future.add_done_callback(lambda f: done.append(f.result().state))

    assert not future.done()
    runtime.run_until_idle()

    assert future.done()
    assert future.result().battery_pct == pytest.approx(77.0)
    assert done == ["ready"]


def test_service_call_without_a_service_fails_clearly(runtime: LocalRuntime) -> None:
    node = runtime.node("caller")
    client = node.client("/nobody", node.types.GetRobotStatus)
    assert not client.service_is_ready()
    future = client.call_async(node.types.GetRobotStatus.Request())
    assert future.done()
    with pytest.raises(ServiceCallError, match="no service named /nobody"):
        future.result()


def test_a_failing_service_handler_fails_the_call_and_is_counted(runtime: LocalRuntime) -> None:
    node = runtime.node("server")
    node.service("/s", node.types.GetRobotStatus, lambda request, response: 1 / 0)
    future = node.client("/s", node.types.GetRobotStatus).call_async(
        node.types.GetRobotStatus.Request()
    )
    runtime.run_until_idle()
    with pytest.raises(ServiceCallError, match="failed"):
        future.result()
    assert runtime.callback_errors["server:service:/s"] == 1


def test_service_type_mismatch_is_reported(runtime: LocalRuntime) -> None:
    node = runtime.node("n")
    node.service("/s", node.types.GetRobotStatus, lambda req, resp: resp)
    future = node.client("/s", node.types.ListReminders).call_async(
        node.types.ListReminders.Request()
    )
    with pytest.raises(ServiceCallError, match="is a homecare_interfaces/srv/GetRobotStatus"):
        future.result()


# type checks


def test_unknown_message_type_is_a_clear_error(runtime: LocalRuntime) -> None:
    node = runtime.node("n")
    with pytest.raises(InterfaceError, match="unknown message type 'NoSuchThing'"):
        node.publisher("/x", "NoSuchThing")


def test_a_topic_keeps_one_type(runtime: LocalRuntime) -> None:
    node = runtime.node("n")
    node.publisher("/x", node.types.Utterance)
    with pytest.raises(InterfaceError, match="carries homecare_interfaces/msg/Utterance"):
        node.subscribe("/x", node.types.Alert, lambda m: None)


def test_publishing_the_wrong_message_type_is_refused(runtime: LocalRuntime) -> None:
    node = runtime.node("n")
    pub = node.publisher("/x", node.types.Utterance)
    with pytest.raises(InterfaceError, match="got a homecare_interfaces/msg/Alert"):
        pub.publish(node.types.Alert())


def test_node_names_are_unique(runtime: LocalRuntime) -> None:
    runtime.node("n")
    with pytest.raises(InterfaceError, match="already exists"):
        runtime.node("n")


# parameters


def test_parameters_come_from_the_file_sections_with_wildcard_and_node_override() -> None:
    rt = LocalRuntime(
        clock=ManualClock(),
        parameters={"**": {"lang": "ru", "x": 1}, "n": {"x": 2}},
    )
    node = rt.node("n")
    assert node.params.declare("lang", "en") == "ru"
    assert node.params.declare("x", 0) == 2
    assert node.params.declare("y", 5) == 5
    assert node.params.get("y") == 5
    with pytest.raises(KeyError, match="not declared"):
        node.params.get("z")


# threads


def test_work_from_another_thread_wakes_a_waiting_runtime() -> None:
    from homecare.clock import SystemClock

    rt = LocalRuntime(clock=SystemClock())
    node = rt.node("n")
    pub = node.publisher("/t", node.types.Utterance)
    got: list[str] = []
    node.subscribe("/t", node.types.Utterance, lambda m: got.append(m.text))

    runner = threading.Thread(target=rt.run_until, args=(lambda: got == ["from thread"], 30.0))
    runner.start()
    pub.publish(utterance(node, "from thread"))
    runner.join(timeout=30)

    assert not runner.is_alive()
    assert got == ["from thread"]


def test_stop_ends_spin_from_a_callback(runtime: LocalRuntime) -> None:
    node = runtime.node("n")
    node.timer(5.0, runtime.stop)
    runtime.spin()
    assert runtime.clock.monotonic() == 5.0


def test_structured_parameters_may_be_given_as_json_strings_like_on_ros() -> None:
    rt = LocalRuntime(clock=ManualClock(), parameters={"n": {"lines": '[{"at_s": 1}]'}})
    assert rt.node("n").params.declare("lines", []) == [{"at_s": 1}]
    broken = LocalRuntime(clock=ManualClock(), parameters={"n": {"lines": "[oops"}})
    with pytest.raises(ConfigError, match="parameter lines is not valid JSON"):
        broken.node("n").params.declare("lines", [])


def test_a_failing_tap_does_not_stop_delivery(runtime: LocalRuntime) -> None:
    def broken_tap(*args: object) -> None:
        raise OSError("disk full")

    runtime.add_tap(broken_tap)
    node = runtime.node("n")
    got: list[str] = []
    node.subscribe("/t", node.types.Utterance, lambda m: got.append(m.text))
    node.publisher("/t", node.types.Utterance).publish(utterance(node, "still here"))
    runtime.run_until_idle()
    assert got == ["still here"]
    assert runtime.callback_errors["runtime:tap:/t"] == 1
