"""The robot: interface definitions, the runtime (local and ROS 2), nodes, launch files."""
