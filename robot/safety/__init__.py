"""Safety behaviours of the robot: battery watch (and, later, fall detection and the guardian)."""
