"""`homecare fleet ...`: create, serve and configure the agencies' fleet service.

Imports of the `fleet` package stay inside the commands: it needs the `fleet`
extra, and the rest of the CLI must work without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from homecare.cli.options import ConfigOption
from homecare.clock import SystemClock
from homecare.errors import UsageError
from homecare.logs import configure_logging
from homecare.settings import FleetSettings, load_settings

app = typer.Typer(help="The agencies' fleet service: robots, residents, rentals, incidents.",
                  no_args_is_help=True)  # fmt: skip

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="The fleet's SQLite file (default: setting fleet.db_path).", dir_okay=False
    ),
]


def _require_fleet_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import sqlite_utils  # noqa: F401
    except ImportError as error:
        raise UsageError(
            f"the fleet service needs the 'fleet' extra ({error.name} is missing): "
            "pip install 'homecare[fleet]'"
        ) from None


def _fleet_settings(config: Path | None, db: Path | None, **overrides: object) -> FleetSettings:
    settings = load_settings(config).fleet
    values = {key: value for key, value in overrides.items() if value is not None}
    if db is not None:
        values["db_path"] = db.expanduser()
    return settings.model_copy(update=values)


@app.command("init")
def init(
    *,
    admin_email: Annotated[str, typer.Option(help="Email of the agency's first admin.")],
    admin_password: Annotated[
        str, typer.Option(help="Their password: 12+ characters, not easy to guess.")
    ],
    db: DbOption = None,
    agency: Annotated[str, typer.Option(help="The agency's name.")] = "Social agency",
    region: Annotated[str, typer.Option(help="ISO 3166-2 region, e.g. RU-PER.")] = "RU-PER",
    config: ConfigOption = None,
) -> None:
    """Create the fleet database, an agency and its first admin."""
    _require_fleet_extra()
    from fleet.setup import init_fleet

    settings = _fleet_settings(config, db)
    created = init_fleet(
        settings.db_path,
        SystemClock(),
        admin_email=admin_email,
        admin_password=admin_password,
        agency_name=agency,
        region=region,
    )
    typer.echo(
        f"fleet database {settings.db_path}: agency {agency!r} (id {created.agency_id}) "
        f"with admin {admin_email}"
    )


@app.command("serve")
def serve(
    *,
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port.", min=1, max=65535)] = None,
    mqtt: Annotated[
        str | None,
        typer.Option(help="External broker mqtt://user:pass@host:port (default: embedded)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the fleet service (web app, API, MQTT ingest) until Ctrl+C."""
    _require_fleet_extra()
    from fleet.service import FleetService

    settings = _fleet_settings(config, db, host=host, port=port, mqtt_url=mqtt)
    configure_logging(load_settings(config).log_level)
    service = FleetService(settings, SystemClock())
    service.start()
    address = service.broker_address
    assert address is not None
    where = "embedded, loopback only" if address.embedded else "external"
    console = Console(soft_wrap=True)  # URLs must stay whole to be clicked or copied
    console.print(f"fleet service: {service.url}  (API docs {service.url}/api/v1/docs)")
    console.print(f"MQTT broker ({where}): {address.host}:{address.port}; Ctrl+C stops")
    service.serve()


@app.command("mqtt-config")
def mqtt_config(
    *,
    out: Annotated[
        Path, typer.Option(help="Folder for mosquitto.conf, passwd and acl.", file_okay=False)
    ],
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port mosquitto listens on.", min=1, max=65535)] = 1883,
    listen: Annotated[str, typer.Option(help="Address mosquitto listens on.")] = "0.0.0.0",
    config: ConfigOption = None,
) -> None:
    """Write a mosquitto configuration that confines each robot to its own topics."""
    _require_fleet_extra()
    from fleet.mqtt_config import write_mosquitto_config

    settings = _fleet_settings(config, db)
    written = write_mosquitto_config(
        settings.db_path, out.expanduser(), listener_host=listen, port=port
    )
    typer.echo(
        f"wrote mosquitto configuration in {out}: {len(written.robots)} robot(s)"
        + (
            f"; left out (mosquitto cannot take ':' in a user name): {', '.join(written.skipped)}"
            if written.skipped
            else ""
        )
    )
    typer.echo("a running mosquitto rereads the password and ACL files on SIGHUP")
    if written.service_password:
        typer.echo(
            "fleet service MQTT user homecare-fleet, password (shown once): "
            f"{written.service_password}"
        )
        typer.echo(
            f"run: mosquitto -c {out / 'mosquitto.conf'}  and  homecare fleet serve "
            f"--mqtt mqtt://homecare-fleet:{written.service_password}@HOST:{port}"
        )
