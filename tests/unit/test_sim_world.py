"""The simulated home's world with real pybullet (DIRECT, CPU renderer): build, move, render."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from simulations.home import Home, load_home, resolve_home, shipped_homes
from simulations.world import ACTIONS, FALL_DIRECTIONS, SimWorld, WorldError

pytest.importorskip("pybullet", reason="pybullet is not installed")


def home(name: str) -> Home:
    return load_home(resolve_home(name))


@pytest.fixture
def studio() -> Iterator[SimWorld]:
    with SimWorld(home("one_room_flat"), seed=3) as world:
        yield world


@pytest.fixture
def flat() -> Iterator[SimWorld]:
    with SimWorld(home("two_room_flat"), seed=4, room="kitchen", width=160, height=120) as world:
        yield world


def finish(world: SimWorld, action: str, t: float, **kwargs: str) -> float:
    """Perform `action` at `t` and advance to its end; returns that end time."""
    end = t + world.perform(action, t, **kwargs)  # type: ignore[arg-type]
    world.advance(end)
    return end


def test_public_names() -> None:
    assert {"walk_to", "sit_down", "stand_up", "lie_down", "get_up", "pick_up", "fall"} == ACTIONS
    assert {"forward", "backward", "left", "right", "from_chair"} == FALL_DIRECTIONS


@pytest.mark.parametrize("name", shipped_homes())
def test_every_shipped_home_builds_and_renders(name: str) -> None:
    with SimWorld(home(name), seed=0) as world:
        frame = world.render()
        assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
        assert world.resident.posture == "standing"
        assert world.camera_name == home(name).cameras[0].name
        # Rooms and furniture are coloured, not one flat colour.
        assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 20


def test_picture_changes_when_the_resident_moves(studio: SimWorld) -> None:
    before = studio.render()
    end = finish(studio, "walk_to", 0.0, furniture="sofa")
    after = studio.render()
    assert end > 1.0
    assert np.mean(np.any(before != after, axis=2)) > 0.002


def test_walk_to_the_kitchen_goes_through_the_doors() -> None:
    with SimWorld(home("two_room_flat"), seed=1, room="hall", width=160, height=120) as world:
        assert world.resident.room == "hall" and world.camera_name == "hall_cam"
        finish(world, "walk_to", 0.0, room="kitchen")
        assert world.resident.room == "kitchen"
        assert world.camera_name == "kitchen_cam"
        assert world.resident.posture == "standing"


def test_is_moving_only_while_an_action_runs(studio: SimWorld) -> None:
    duration = studio.perform("walk_to", 1.0, furniture="sofa")
    assert not studio.is_moving(0.5)
    studio.advance(1.0 + duration / 2)
    assert studio.is_moving(1.0 + duration / 2)
    assert studio.resident.posture == "walking"
    studio.advance(1.0 + duration + 0.1)
    assert not studio.is_moving(1.0 + duration + 0.1)
    assert studio.resident.posture == "standing"


def test_lie_down_on_the_bed_ends_lying_and_get_up_ends_standing(studio: SimWorld) -> None:
    end = finish(studio, "lie_down", 0.0)
    assert studio.resident.posture == "lying"
    bed = next(f for f in studio.home.furniture if f.type == "bed")
    assert abs(studio.resident.x - bed.x) < 0.5 and abs(studio.resident.y - bed.y) < 0.5
    finish(studio, "get_up", end)
    assert studio.resident.posture == "standing"


@pytest.mark.parametrize("direction", ["forward", "backward", "left", "right"])
def test_a_fall_ends_fallen_within_a_second_or_so(flat: SimWorld, direction: str) -> None:
    duration = flat.perform("fall", 0.0, direction=direction)
    flat.advance(0.3)
    assert flat.resident.posture == "falling"
    flat.advance(duration)
    assert flat.resident.posture == "fallen"
    assert duration < 2.0


def test_fall_from_a_chair_after_sitting_down(flat: SimWorld) -> None:
    end = finish(flat, "sit_down", 0.0, furniture="chair")
    assert flat.resident.posture == "sitting"
    end = finish(flat, "fall", end, direction="from_chair")
    assert flat.resident.posture == "fallen"
    finish(flat, "get_up", end)
    assert flat.resident.posture == "standing"


def test_sit_stand_and_pick_up(studio: SimWorld) -> None:
    end = finish(studio, "sit_down", 0.0, furniture="chair_2")
    assert studio.resident.posture == "sitting"
    end = finish(studio, "stand_up", end)
    assert studio.resident.posture == "standing"
    duration = studio.perform("pick_up", end)
    studio.advance(end + duration / 2)
    assert studio.resident.posture == "bending"
    studio.advance(end + duration)
    assert studio.resident.posture == "standing"


@pytest.mark.parametrize(
    ("action", "kwargs", "message"),
    [
        ("dance", {}, "unknown action 'dance'"),
        ("walk_to", {"room": "garage"}, "unknown room 'garage'"),
        ("walk_to", {}, "walk_to needs one of room=, furniture= or to="),
        ("sit_down", {"furniture": "piano"}, "unknown furniture 'piano'"),
        ("sit_down", {"furniture": "chair_9"}, "unknown furniture 'chair_9'"),
        ("sit_down", {"furniture": "table"}, "cannot sit on a table"),
        ("fall", {"direction": "from_chair"}, "cannot fall from_chair while standing"),
        ("fall", {"direction": "upwards"}, "unknown fall direction 'upwards'"),
        ("stand_up", {}, "cannot stand_up while standing"),
        ("get_up", {}, "cannot get_up while standing"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    studio: SimWorld, action: str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(WorldError, match=message):
        studio.perform(action, 0.0, **kwargs)  # type: ignore[arg-type]


def test_lie_down_needs_a_bed_in_the_room(flat: SimWorld) -> None:
    with pytest.raises(WorldError, match="cannot lie_down in room 'kitchen': it has no bed"):
        flat.perform("lie_down", 0.0)


def test_overlapping_actions_name_both(studio: SimWorld) -> None:
    duration = studio.perform("walk_to", 0.0, furniture="sofa")
    with pytest.raises(WorldError, match=r"cannot start pick_up .* walk_to is still running"):
        studio.perform("pick_up", duration / 2)


def test_moves_that_need_another_first(studio: SimWorld) -> None:
    end = finish(studio, "fall", 0.0, direction="forward")
    with pytest.raises(WorldError, match="cannot walk_to while fallen: get_up first"):
        studio.perform("walk_to", end, room="living_room")


def test_time_only_goes_forward(studio: SimWorld) -> None:
    studio.advance(2.0)
    with pytest.raises(WorldError, match="time goes forward only"):
        studio.advance(1.0)


def test_the_same_seed_gives_the_same_frames() -> None:
    def frames(seed: int) -> list[np.ndarray]:
        with SimWorld(home("one_room_flat"), seed=seed, width=160, height=120) as world:
            duration = world.perform("walk_to", 0.0, furniture="sofa")
            shots = []
            for t in (0.0, duration / 3, duration):
                world.advance(t)
                shots.append(world.render())
            return shots

    first, again, other = frames(7), frames(7), frames(8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_several_worlds_live_in_one_process() -> None:
    with (
        SimWorld(home("one_room_flat"), seed=1, width=64, height=48) as a,
        SimWorld(home("two_room_flat"), seed=1, width=64, height=48) as b,
    ):
        assert a.render().shape == b.render().shape == (48, 64, 3)
        assert not np.array_equal(a.render(), b.render())
    with pytest.raises(WorldError, match="closed"):
        a.render()
