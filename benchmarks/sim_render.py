"""Camera rendering speed of the simulated home: `python -m benchmarks.sim_render`.

Times `SimWorld.render()` at 320x240 (pybullet's CPU renderer, ER_TINY_RENDERER)
in the furnished studio flat while the resident walks across the room, posing
the body before every frame as a camera-heavy scenario does. Baselines in the
same run: the same renderer drawing an empty scene (one floor plane) through
the same camera, and a plain numpy copy of a frame (the floor of any image
pipeline).

Target (issue 7): at least 20 frames/s.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pybullet

from benchmarks.machine import describe_machine
from simulations.home import load_home, resolve_home
from simulations.world import SimWorld
from simulations.world.camera import CameraView, render
from simulations.world.layout import Block
from simulations.world.scene import add_blocks, connect

TARGET_FPS = 20.0
WIDTH, HEIGHT = 320, 240


def world_fps(frames: int, seed: int = 1) -> tuple[float, float]:
    """(frames/s of render alone, frames/s of advance + render) with the resident walking."""
    home = load_home(resolve_home("one_room_flat"))
    with SimWorld(home, seed=seed, width=WIDTH, height=HEIGHT) as world:
        t = 0.0
        end = 0.0
        rendering = total = 0.0
        for i in range(frames):
            if t >= end:
                # Back and forth across the room, as long as the run needs.
                end = t + world.perform("walk_to", t, furniture="sofa" if i % 2 == 0 else "counter")
            started = time.perf_counter()
            world.advance(t)
            posed = time.perf_counter()
            world.render()
            done = time.perf_counter()
            rendering += done - posed
            total += done - started
            t += 1 / 15
    return frames / rendering, frames / total


def empty_scene_fps(frames: int) -> float:
    """The same renderer and camera on one floor plane: the renderer's own floor."""
    home = load_home(resolve_home("one_room_flat"))
    client = connect(pybullet)
    try:
        add_blocks(
            pybullet,
            client,
            [Block((3.0, 2.5, -0.025), (3.0, 2.5, 0.025), 0.0, (0.5, 0.4, 0.3, 1.0))],
        )
        view = CameraView(home.cameras[0], WIDTH, HEIGHT)
        started = time.perf_counter()
        for _ in range(frames):
            render(pybullet, client, view)
        return frames / (time.perf_counter() - started)
    finally:
        pybullet.disconnect(physicsClientId=client)


def copy_fps(frames: int) -> float:
    frame = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    started = time.perf_counter()
    for _ in range(frames):
        frame = frame.copy()
    return frames / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=600, help="frames to time (default 600)")
    parser.add_argument("--quick", action="store_true", help="60 frames only")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    frames = 60 if args.quick else max(10, args.frames)
    machine = describe_machine()
    render_fps, step_fps = world_fps(frames)
    empty_fps = empty_scene_fps(frames)
    numpy_fps = copy_fps(frames)
    report = {
        "machine": machine.as_dict(),
        "resolution": f"{WIDTH}x{HEIGHT}",
        "frames": frames,
        "render_fps": round(render_fps, 1),
        "advance_and_render_fps": round(step_fps, 1),
        "empty_scene_fps": round(empty_fps, 1),
        "numpy_copy_fps": round(numpy_fps, 1),
        "ratio_to_empty_scene": round(render_fps / empty_fps, 3),
        "target_fps": TARGET_FPS,
        "pass": step_fps >= TARGET_FPS,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(machine.line())
    verdict = "PASS" if step_fps >= TARGET_FPS else "MISS"
    print(
        f"Simulated camera, {WIDTH}x{HEIGHT}, ER_TINY_RENDERER, furnished studio flat, "
        f"resident walking, {frames} frames"
    )
    target = f"target >= {TARGET_FPS:.0f}"
    ratio = render_fps / empty_fps
    print(f"  advance + render             {step_fps:7.1f} frames/s  {target}  {verdict}")
    print(f"  render alone                 {render_fps:7.1f} frames/s")
    print(f"  baseline: empty scene        {empty_fps:7.1f} frames/s  (ratio {ratio:.2f})")
    print(f"  baseline: numpy frame copy   {numpy_fps:7.0f} frames/s")


if __name__ == "__main__":
    main()
