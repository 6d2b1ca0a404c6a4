"""The robot of the fault-injection runs: the real fleet link raising a fixed sequence of alerts.

    python -m benchmarks.fault_robot --url mqtt://RID:PASSWORD@127.0.0.1:PORT --rid RID \
        --outbox PATH --seed 1 --alerts 200 --rate 50

It runs what the `fleet_link` node runs (AlertOutbox on disk, FleetLink,
MqttConnection with the robot's will), driven the way the node drives it: `birth()`
after every (re)connect, `pump()` on a short period. Alert ids come from the seed and
an index, and the outbox file outlives a SIGKILL, so a restarted robot continues the
sequence after the last alert its outbox holds: every id is raised exactly once,
whatever happens to the process. It runs until SIGTERM (or SIGINT), then stops cleanly.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from pathlib import Path

from fleet import protocol
from fleet.protocol import AlertPayload
from homecare.clock import SystemClock
from robot.fleet_link.link import FleetLink
from robot.fleet_link.mqtt import MqttConnection, Will, parse_broker_url
from robot.fleet_link.outbox import AlertOutbox


def alert_id(seed: int, index: int) -> str:
    return f"fi{seed}-{index:06d}"


def make_alert(seed: int, index: int, clock: SystemClock) -> AlertPayload:
    return AlertPayload(
        alert_id=alert_id(seed, index),
        kind="fall",
        severity="critical",
        ts=clock.now().timestamp(),
        details={"index": index},
    )


class FaultRobot:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.clock = SystemClock()
        self.outbox = AlertOutbox(Path(args.outbox), self.clock)
        lost = protocol.encode(protocol.RobotState(state="lost", ts=1.0))
        self.connection = MqttConnection(
            parse_broker_url(args.url),
            client_id=args.rid,
            will=Will(protocol.state_topic(args.rid), lost),
        )
        self.link = FleetLink(args.rid, self.connection, self.outbox, self.clock, "fault-robot")
        self.birth_due = threading.Event()
        self.connection.add_on_connect(self.birth_due.set)  # paho's thread: only note it
        self.stopping = threading.Event()
        stats = self.outbox.stats()
        # Adds are committed in sequence order, so the rows held are the indices raised.
        self.next_index = stats.pending + stats.acknowledged

    def run(self) -> None:
        self.connection.start()
        first, started = self.next_index, time.monotonic()
        while not self.stopping.wait(self.args.pump_period):
            if self.birth_due.is_set():
                self.birth_due.clear()
                self.link.birth()
                # The harness reads this to tell reconnect time from drain time.
                print(f"connected {time.time():.3f}", flush=True)
            self.link.pump()
            self._raise_due(first, started)
        self.connection.stop()
        self.outbox.close()

    def _raise_due(self, first: int, started: float) -> None:
        """Alerts at `rate` per second from this process's start, up to `alerts` in all."""
        due = first + int((time.monotonic() - started) * self.args.rate) + 1
        while self.next_index < min(due, self.args.alerts):
            self.link.raise_alert(make_alert(self.args.seed, self.next_index, self.clock))
            self.next_index += 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fault_robot")
    parser.add_argument("--url", required=True, help="mqtt://RID:PASSWORD@HOST:PORT")
    parser.add_argument("--rid", required=True, help="robot id (also the MQTT client id)")
    parser.add_argument("--outbox", required=True, help="the outbox SQLite file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--alerts", type=int, default=200, help="alerts in the sequence")
    parser.add_argument("--rate", type=float, default=50.0, help="alerts raised per second")
    # The node pumps every 0.1 s (fleet_link's pump_period_s default).
    parser.add_argument("--pump-period", type=float, default=0.1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    robot = FaultRobot(parse_args(argv))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: robot.stopping.set())
    robot.run()


if __name__ == "__main__":
    main()
