"""Follow the resident through a timeline on paper, so impossible steps are refused at load time.

A scenario that has the resident fall "from_chair" while standing, lie down in
a room without a bed, or walk while lying would fail half-way through a run;
this catches it with the line that is wrong.
"""

from __future__ import annotations

from simulations.home import Home
from simulations.scenario.model import TimelineEntry

SEATS = ("chair", "sofa", "armchair")
# Known here so a scenario can be checked without starting the physics world;
# `tests/unit/test_scenario_loader.py` keeps them equal to `simulations.world`'s.
ACTIONS = ("walk_to", "sit_down", "stand_up", "lie_down", "get_up", "pick_up", "fall")
FALL_DIRECTIONS = ("forward", "backward", "left", "right", "from_chair")


class PostureTracker:
    def __init__(self, home: Home, room: str | None) -> None:
        self.home = home
        self.room = room or (home.cameras[0].room if home.cameras else home.rooms[0].name)
        self.posture = "standing"

    def apply(self, entry: TimelineEntry) -> tuple[str, str] | None:
        """Move on by one action; a problem is (field, message)."""
        action = entry.action or ""
        if action not in ACTIONS:
            return "action", f"unknown action {action!r} (actions: {', '.join(ACTIONS)})"
        return getattr(self, f"_{action}")(entry)  # type: ignore[no-any-return]

    def _need(self, entry: TimelineEntry, *postures: str) -> tuple[str, str] | None:
        if self.posture in postures:
            return None
        return "action", (
            f"{entry.action} needs the resident {' or '.join(postures)}, "
            f"but they are {self.posture} at this point"
        )

    def _walk_to(self, entry: TimelineEntry) -> tuple[str, str] | None:
        if (problem := self._need(entry, "standing")) is not None:
            return problem
        rooms = [room.name for room in self.home.rooms]
        if entry.room is not None:
            if entry.room not in rooms:
                return "room", f"unknown room {entry.room!r} (rooms: {', '.join(rooms)})"
            self.room = entry.room
            return None
        if entry.furniture is not None:
            pieces = [f for f in self.home.furniture if f.type == entry.furniture]
            if not pieces:
                return "furniture", self._no_furniture(entry.furniture, anywhere=True)
            self.room = pieces[0].room
            return None
        return "room", "walk_to needs room (or furniture): where does the resident go?"

    def _sit_down(self, entry: TimelineEntry) -> tuple[str, str] | None:
        if (problem := self._need(entry, "standing")) is not None:
            return problem
        seat_types = (entry.furniture,) if entry.furniture else SEATS
        if entry.furniture is not None and entry.furniture not in SEATS:
            return "furniture", f"{entry.furniture!r} is not a seat ({', '.join(SEATS)})"
        if not self._in_room(*seat_types):
            return "furniture", self._no_furniture(" or ".join(seat_types), anywhere=False)
        self.posture = "sitting"
        return None

    def _stand_up(self, entry: TimelineEntry) -> tuple[str, str] | None:
        if (problem := self._need(entry, "sitting")) is not None:
            return problem
        self.posture = "standing"
        return None

    def _lie_down(self, entry: TimelineEntry) -> tuple[str, str] | None:
        if (problem := self._need(entry, "standing")) is not None:
            return problem
        if not self._in_room("bed"):
            return "action", self._no_furniture("bed", anywhere=False)
        self.posture = "lying"
        return None

    def _get_up(self, entry: TimelineEntry) -> tuple[str, str] | None:
        if (problem := self._need(entry, "lying", "fallen")) is not None:
            return problem
        self.posture = "standing"
        return None

    def _pick_up(self, entry: TimelineEntry) -> tuple[str, str] | None:
        return self._need(entry, "standing")

    def _fall(self, entry: TimelineEntry) -> tuple[str, str] | None:
        direction = entry.direction or "forward"
        if direction not in FALL_DIRECTIONS:
            return "direction", (
                f"unknown fall direction {direction!r} ({', '.join(FALL_DIRECTIONS)})"
            )
        needed = ("sitting",) if direction == "from_chair" else ("standing",)
        if (problem := self._need(entry, *needed)) is not None:
            return problem
        self.posture = "fallen"
        return None

    def _in_room(self, *types: str) -> bool:
        return any(f.type in types and f.room == self.room for f in self.home.furniture)

    def _no_furniture(self, what: str, *, anywhere: bool) -> str:
        place = f"home {self.home.name}" if anywhere else f"room {self.room!r}"
        return f"there is no {what} in {place}"
