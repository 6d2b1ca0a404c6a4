"""homecare: the shared core of the home-care robot controller (clock, settings, CLI)."""

__version__ = "0.1.0"
