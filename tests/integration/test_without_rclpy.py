"""Every package imports, and the demo runs, with rclpy absent (even where it is installed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

BLOCK_RCLPY = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoRos(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"rclpy", "homecare_interfaces", "launch", "launch_ros"}:
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, NoRos())
    """
)

IMPORT_ALL = BLOCK_RCLPY + textwrap.dedent(
    """
    import importlib, pkgutil
    packages = ["homecare", "robot", "speech", "reminders", "benefits", "telepresence",
                "fleet", "simulations"]
    count = 0
    for name in packages:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            skipped = ("robot.ros_package", "robot.launch", "homecare.__main__")
            if info.name.startswith(skipped):
                continue
            importlib.import_module(info.name)
            count += 1
    assert "rclpy" not in sys.modules
    print("imported", count)
    """
)

RUN_DEMO = BLOCK_RCLPY + textwrap.dedent(
    """
    import sys
    sys.argv = ["homecare", "demo", "--headless", "--duration", "10"]
    from homecare.cli import main
    try:
        main()
    except SystemExit as exit:
        assert not exit.code, exit.code
    assert "rclpy" not in sys.modules
    """
)


def run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        check=False,
    )  # fmt: skip


def test_every_module_imports_without_rclpy(tmp_path: Path) -> None:
    result = run_python(IMPORT_ALL, tmp_path)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 20


def test_demo_runs_without_rclpy(tmp_path: Path) -> None:
    result = run_python(RUN_DEMO, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "battery" in result.stdout
