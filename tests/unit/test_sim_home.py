"""Home descriptions: the shipped homes load, and each mistake names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from homecare.errors import HomecareError
from simulations.home import HomeError, load_home, resolve_home, shipped_homes

BAD_HOMES = Path(__file__).parent.parent / "data" / "homes"


def test_the_shipped_homes_are_the_one_and_two_room_flats() -> None:
    assert {"one_room_flat", "two_room_flat"} <= set(shipped_homes())


@pytest.mark.parametrize("name", shipped_homes())
def test_every_shipped_home_loads(name: str) -> None:
    home = load_home(resolve_home(name))
    assert home.name == name
    assert home.room_at(home.dock.x, home.dock.y) is not None


def test_two_room_flat_has_kitchen_hall_bathroom_and_two_rooms() -> None:
    home = load_home(resolve_home("two_room_flat"))
    names = {room.name for room in home.rooms}
    assert names == {"hall", "bathroom", "kitchen", "living_room", "bedroom"}
    assert {item.type for item in home.furniture} >= {"bed", "sofa", "chair", "table"}


@pytest.mark.parametrize(
    ("filename", "line", "field", "message"),
    [
        ("unknown_room.yaml", 18, "furniture[3].room", "unknown room 'lounge'"),
        ("door_unknown_room.yaml", 13, "doors[0].joins[1]", "unknown room 'garden'"),
        ("overlapping_walls.yaml", 10, "walls[2]", "wall overlaps walls[1]"),
        ("furniture_outside.yaml", 19, "furniture[4]", "table is not inside room 'living_room'"),
        ("furniture_in_wall.yaml", 18, "furniture[3]", "sofa overlaps walls[2]"),
        ("door_blocked.yaml", 49, "furniture[12]", "tv_stand blocks doors[3] at (5, 3)"),
        ("door_not_on_wall.yaml", 13, "doors[0]", "is not on a wall"),
        ("dock_outside.yaml", 24, "dock", "outside every room"),
        ("unknown_field.yaml", 24, "dock.colour", "Extra inputs are not permitted"),
        ("unknown_furniture_type.yaml", 20, "furniture[5].type", "Input should be"),
    ],
)
def test_a_bad_home_names_file_line_and_field(
    filename: str, line: int, field: str, message: str
) -> None:
    path = BAD_HOMES / filename
    with pytest.raises(HomeError) as caught:
        load_home(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:{line}: {field}: "), text
    assert message in text
    assert isinstance(caught.value, HomecareError)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nrooms: [\n  {name: a\n", encoding="utf-8")
    with pytest.raises(HomeError, match=r"broken\.yaml:\d+: not valid YAML"):
        load_home(path)


def test_a_missing_field_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nodock.yaml"
    text = (resolve_home("one_room_flat")).read_text(encoding="utf-8")
    path.write_text(text.split("\ndock:")[0] + "\n", encoding="utf-8")
    with pytest.raises(HomeError, match=r"nodock\.yaml:3: dock: Field required"):
        load_home(path)


def test_an_unknown_home_name_lists_the_shipped_ones() -> None:
    with pytest.raises(HomeError, match="one_room_flat"):
        resolve_home("castle")


def test_an_unreadable_file_is_a_home_error(tmp_path: Path) -> None:
    with pytest.raises(HomeError, match="cannot read home file"):
        load_home(tmp_path / "absent.yaml")
