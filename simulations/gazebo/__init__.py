"""Gazebo Harmonic: worlds exported from the home descriptions, robot and person models."""
