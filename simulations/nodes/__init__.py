"""Nodes that stand in for hardware and people in the simulated home."""
