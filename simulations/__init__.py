"""Simulated home for developers and CI: simulated devices, resident and scenarios."""
