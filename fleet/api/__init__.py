"""The fleet's HTTP API (FastAPI) under /api/v1."""
