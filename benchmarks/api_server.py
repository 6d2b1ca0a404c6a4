"""The real fleet web app under uvicorn, in its own process, for the API benchmark.

Run as `python -m benchmarks.api_server --db D --port P`: the database must be
seeded (signing key included) by the caller. A separate process, so the
benchmark's client never shares a GIL with the server it measures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from fleet.app import create_app
from fleet.context import FleetContext
from fleet.store import connect_database
from fleet.store.accounts import signing_key
from homecare.clock import SystemClock
from homecare.settings import FleetSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    clock = SystemClock()
    db = connect_database(args.db)
    key = signing_key(db, clock.now().timestamp())
    db.conn.close()
    settings = FleetSettings(db_path=args.db, port=args.port)
    context = FleetContext(db_path=args.db, clock=clock, settings=settings, signing_key=key)
    # Access logging off, as a production deployment behind a proxy would run it.
    uvicorn.run(
        create_app(context),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
