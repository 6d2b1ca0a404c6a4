"""`homecare demo`: the one command that shows the whole system working."""
