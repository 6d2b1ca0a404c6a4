"""Performance benchmarks: scripts that print the figures the issues name (not timed tests)."""
