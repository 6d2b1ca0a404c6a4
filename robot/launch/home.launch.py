"""Start every robot node on ROS 2: `ros2 launch robot home.launch.py`.

The nodes are those of `robot.nodes.ROBOT_NODES` (the same list `homecare
robot run` starts locally), each as the executable of the same name from the
ament package `robot`, with its node name set to that name.

Launch arguments:
  params_file   ROS 2 parameter file (default: share/robot/config/robot.yaml)
  use_sim_time  true to follow /clock (Gazebo, bag playback); default false
  lang          the resident's language, ru or en (homecare's robot.language); default ru
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from robot.nodes import ROBOT_NODES


def generate_launch_description() -> LaunchDescription:
    default_params = Path(get_package_share_directory("robot")) / "config" / "robot.yaml"
    params_file = LaunchConfiguration("params_file")
    use_sim_time = ParameterValue(LaunchConfiguration("use_sim_time"), value_type=bool)

    actions: list = [
        DeclareLaunchArgument(
            "params_file",
            default_value=str(default_params),
            description="ROS 2 parameter file for the robot's nodes",
        ),
        DeclareLaunchArgument(
            "lang", default_value="ru", description="The resident's language: ru or en"
        ),
        DeclareLaunchArgument(
            "use_sim_time",
            default_value="false",
            description="Use the simulation clock (/clock) instead of the system time",
        ),
    ]
    for name in ROBOT_NODES:
        actions.append(
            Node(
                package="robot",
                executable=name,
                name=name,
                parameters=[
                    params_file,
                    {"use_sim_time": use_sim_time, "lang": LaunchConfiguration("lang")},
                ],
                output="screen",
            )
        )
    return LaunchDescription(actions)
