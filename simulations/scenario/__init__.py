"""Scenarios: a day in the simulated home as data, run end to end against the real system."""
