"""The ament_python package `robot`: ROS 2 executables, launch and parameter files.

This package installs no Python code (`packages=[]`). The code (`robot`,
`speech`, `reminders`, ...) comes from the repository's main distribution,
installed into the ROS Python environment:

    source /opt/ros/jazzy/setup.bash
    python3 -m venv --system-site-packages .venv-ros && . .venv-ros/bin/activate
    pip install -e .            # from the repository root
    colcon build --base-paths robot   # builds homecare_interfaces and robot
    source install/setup.bash
    ros2 launch robot home.launch.py

What it adds for ROS: one console script per `robot/nodes/*_node.py`
(`battery_monitor_node.py` -> executable `battery_monitor`, running
`robot.nodes.battery_monitor_node:main`) in lib/robot, where `ros2 run` and
launch files look, and the launch files and parameter files in share/robot.
`launch` and `config` here are symlinks to ../launch and ../config.
"""

from pathlib import Path

from setuptools import setup

PACKAGE_NAME = "robot"
HERE = Path(__file__).resolve().parent
NODES_DIR = HERE.parent / "nodes"


def relative_files(folder: str, pattern: str) -> list[str]:
    """Files in `folder` (relative to this file) matching `pattern`, as relative paths."""
    return sorted(str(path.relative_to(HERE)) for path in (HERE / folder).glob(pattern))


def console_scripts() -> list[str]:
    scripts = []
    for path in sorted(NODES_DIR.glob("*_node.py")):
        module = path.stem
        executable = module.removesuffix("_node")
        scripts.append(f"{executable} = robot.nodes.{module}:main")
    return scripts


setup(
    name=PACKAGE_NAME,
    version="0.1.0",
    packages=[],
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE_NAME}"]),
        (f"share/{PACKAGE_NAME}", ["package.xml"]),
        (f"share/{PACKAGE_NAME}/launch", relative_files("launch", "*.launch.py")),
        (f"share/{PACKAGE_NAME}/config", relative_files("config", "*.yaml")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="homecare maintainers",
    maintainer_email="maintainers@homecare.invalid",
    description="The home-care robot's nodes as ROS 2 executables, with launch and parameter files",
    license="Apache-2.0",
    entry_points={"console_scripts": console_scripts()},
)
