"""The home and the resident's body as pybullet bodies, in one physics client per world.

Everything is drawn from visual shapes only (no collision, no stepping):
the resident is posed kinematically, which keeps every run deterministic
and fast.
"""

from __future__ import annotations

from typing import Any

from simulations.world.body import PARTS, PartPlacement, PartShape
from simulations.world.layout import Block, Layout


def connect(bullet: Any) -> int:
    """A new headless physics client (DIRECT: no display)."""
    client = int(bullet.connect(bullet.DIRECT))
    return client


def add_blocks(bullet: Any, client: int, blocks: list[Block]) -> None:
    for block in blocks:
        shape = bullet.createVisualShape(
            bullet.GEOM_BOX,
            halfExtents=list(block.half),
            rgbaColor=list(block.colour),
            physicsClientId=client,
        )
        bullet.createMultiBody(
            baseMass=0,
            baseVisualShapeIndex=shape,
            basePosition=list(block.centre),
            baseOrientation=bullet.getQuaternionFromEuler((0.0, 0.0, block.yaw)),
            physicsClientId=client,
        )


def build_home(bullet: Any, client: int, layout: Layout) -> None:
    add_blocks(bullet, client, layout.floor_blocks())
    add_blocks(bullet, client, layout.wall_blocks())
    add_blocks(bullet, client, layout.furniture_blocks())


def _part_shape(bullet: Any, client: int, part: PartShape) -> int:
    colour = list(part.colour)
    if part.shape == "box":
        return int(
            bullet.createVisualShape(
                bullet.GEOM_BOX, halfExtents=list(part.size), rgbaColor=colour,
                physicsClientId=client,
            )
        )  # fmt: skip
    if part.shape == "sphere":
        return int(
            bullet.createVisualShape(
                bullet.GEOM_SPHERE, radius=part.size[0], rgbaColor=colour, physicsClientId=client
            )
        )
    return int(
        bullet.createVisualShape(
            bullet.GEOM_CAPSULE, radius=part.size[0], length=part.size[1], rgbaColor=colour,
            physicsClientId=client,
        )
    )  # fmt: skip


def build_body(bullet: Any, client: int) -> list[int]:
    """One body per part of `PARTS`, parked out of sight until posed."""
    ids = []
    for i, part in enumerate(PARTS):
        ids.append(
            int(
                bullet.createMultiBody(
                    baseMass=0,
                    baseVisualShapeIndex=_part_shape(bullet, client, part),
                    basePosition=[-100.0 - i, -100.0, -100.0],
                    physicsClientId=client,
                )
            )
        )
    return ids


def pose_body(bullet: Any, client: int, ids: list[int], parts: list[PartPlacement]) -> None:
    for body_id, part in zip(ids, parts, strict=True):
        bullet.resetBasePositionAndOrientation(
            body_id, part.position, part.orientation, physicsClientId=client
        )
