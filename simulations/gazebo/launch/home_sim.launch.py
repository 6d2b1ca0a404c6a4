"""Gazebo Harmonic home simulation with the robot's nodes on ROS 2 Jazzy.

    ros2 launch simulations/gazebo/launch/home_sim.launch.py world:=two_room_flat

Starts `gz sim` on a world from simulations/gazebo/worlds/ (a name or a path to an
.sdf file; the robot is already in the world, included at the dock from
model://homecare_robot), `ros_gz_bridge` with config/bridge.yaml (/clock, camera,
battery), and robot/launch/home.launch.py with use_sim_time:=true.

Launch arguments:
  world     world name under simulations/gazebo/worlds/ or an .sdf path (default one_room_flat)
  headless  true to run the server only, without the Gazebo GUI (default false)
  lang      the resident's language, passed to the robot's nodes (default ru)
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import (
    AppendEnvironmentVariable,
    DeclareLaunchArgument,
    IncludeLaunchDescription,
    OpaqueFunction,
)
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

GAZEBO_DIR = Path(__file__).resolve().parent.parent


def _world_path(world: str) -> str:
    candidate = GAZEBO_DIR / "worlds" / f"{world}.sdf"
    return str(candidate) if candidate.is_file() else world


def _gz_sim(context: LaunchContext) -> list[IncludeLaunchDescription]:
    world = _world_path(LaunchConfiguration("world").perform(context))
    headless = LaunchConfiguration("headless").perform(context).lower() == "true"
    # -r: start running; -s: server only (no GUI).
    gz_args = f"-r {'-s ' if headless else ''}{world}"
    gz_sim_launch = Path(get_package_share_directory("ros_gz_sim")) / "launch" / "gz_sim.launch.py"
    return [
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(str(gz_sim_launch)),
            launch_arguments={"gz_args": gz_args, "on_exit_shutdown": "true"}.items(),
        )
    ]


def generate_launch_description() -> LaunchDescription:
    robot_launch = Path(get_package_share_directory("robot")) / "launch" / "home.launch.py"
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                "world",
                default_value="one_room_flat",
                description="World name under simulations/gazebo/worlds/ or an .sdf path",
            ),
            DeclareLaunchArgument(
                "headless", default_value="false", description="true: no Gazebo GUI"
            ),
            DeclareLaunchArgument(
                "lang", default_value="ru", description="The resident's language: ru or en"
            ),
            # model://homecare_robot and model://person resolve from here.
            AppendEnvironmentVariable("GZ_SIM_RESOURCE_PATH", str(GAZEBO_DIR / "models")),
            OpaqueFunction(function=_gz_sim),
            Node(
                package="ros_gz_bridge",
                executable="parameter_bridge",
                name="home_sim_bridge",
                parameters=[
                    {
                        "config_file": str(GAZEBO_DIR / "config" / "bridge.yaml"),
                        "use_sim_time": True,
                    }
                ],
                output="screen",
            ),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(str(robot_launch)),
                launch_arguments={
                    "use_sim_time": "true",
                    "lang": LaunchConfiguration("lang"),
                }.items(),
            ),
        ]
    )
