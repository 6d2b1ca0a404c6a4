"""`homecare fleet mqtt-config`: a mosquitto configuration for the fleet's robots.

Writes three files into one folder: `mosquitto.conf`, `passwd` (the service
user and every robot that is not retired, with the hashes the database keeps,
which are mosquitto's own `$7$` format) and `acl` (the service user everywhere;
each robot only under `hc/v1/r/{its id}/`, plus the fleet's online state).
Re-running it rewrites `passwd` and `acl` in place with the robots added since
and keeps the service user's password; mosquitto rereads both on SIGHUP.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from fleet.mqtt_passwords import hash_mqtt_password
from fleet.protocol import FLEET_STATE_TOPIC, ID_PATTERN, TOPIC_ROOT
from homecare.errors import HomecareError

MOSQUITTO_USER = "mosquitto"  # the user Debian's mosquitto drops to when started as root
_ROBOT_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class MosquittoConfig:
    out_dir: Path
    config_file: Path
    password_file: Path
    acl_file: Path
    persistence_dir: Path
    service_username: str
    # The service user's password when this run made it up (shown once), else None.
    service_password: str | None
    robots: tuple[str, ...]
    # Robot ids mosquitto cannot take as user names (a ':' ends the name in `passwd`).
    skipped: tuple[str, ...]


def write_mosquitto_config(
    db_path: Path,
    out_dir: Path,
    *,
    listener_host: str = "0.0.0.0",
    port: int = 1883,
    service_username: str = "homecare-fleet",
    service_password: str | None = None,
) -> MosquittoConfig:
    robots = _robot_hashes(db_path)
    out_dir = _prepare_dir(out_dir)
    paths = _paths(out_dir)
    usable = {rid: stored for rid, stored in robots.items() if _usable_name(rid)}
    skipped = tuple(sorted(set(robots) - set(usable)))
    if service_username in usable or not _usable_name(service_username):
        raise HomecareError(f"{service_username!r} cannot be the fleet service's MQTT user")
    generated = None
    service_hash = _kept_hash(paths["passwd"], service_username) if not service_password else None
    if service_hash is None:
        if not service_password:
            service_password = generated = secrets.token_urlsafe(24)
        service_hash = hash_mqtt_password(service_password)
    try:
        _write_private(paths["passwd"], _password_file(service_username, service_hash, usable))
        _write_private(paths["acl"], _acl_file(service_username))
        _write_public(paths["conf"], _config_file(paths, listener_host, port, db_path))
        _hand_to_mosquitto(paths)
    except OSError as error:
        raise HomecareError(
            f"cannot write the mosquitto configuration in {out_dir}: {error}"
        ) from None
    return MosquittoConfig(
        out_dir=out_dir,
        config_file=paths["conf"],
        password_file=paths["passwd"],
        acl_file=paths["acl"],
        persistence_dir=paths["data"],
        service_username=service_username,
        service_password=generated,
        robots=tuple(sorted(usable)),
        skipped=skipped,
    )


def _robot_hashes(db_path: Path) -> dict[str, str]:
    """Every robot that may connect (not retired) and its stored password hash."""
    if not db_path.is_file():
        raise HomecareError(f"no fleet database at {db_path}: run `homecare fleet init` first")
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=5)) as connection:
            rows = connection.execute(
                "SELECT id, mqtt_password_hash FROM robots WHERE status != 'retired' ORDER BY id"
            ).fetchall()
    except sqlite3.Error as error:
        raise HomecareError(
            f"{db_path} is not a usable fleet database ({error}): run `homecare fleet init` first"
        ) from None
    return {str(rid): str(stored) for rid, stored in rows}


def _usable_name(name: str) -> bool:
    # mosquitto splits `passwd` lines at the first ':' and refuses %u patterns with + # /.
    return bool(_ROBOT_ID.match(name)) and ":" not in name


def _prepare_dir(out_dir: Path) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise HomecareError(f"{out_dir} is a file; give a folder for the mosquitto configuration")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "data").mkdir(exist_ok=True)
    except OSError as error:
        raise HomecareError(f"cannot create {out_dir}: {error.strerror}") from None
    return out_dir.resolve()


def _paths(out_dir: Path) -> dict[str, Path]:
    return {
        "conf": out_dir / "mosquitto.conf",
        "passwd": out_dir / "passwd",
        "acl": out_dir / "acl",
        "data": out_dir / "data",
    }


def _kept_hash(password_file: Path, username: str) -> str | None:
    """The service user's hash from a previous run, so its password stays valid."""
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise HomecareError(f"cannot read {password_file}: {error.strerror}") from None
    for line in lines:
        name, _, stored = line.partition(":")
        if name == username and stored.startswith("$7$"):
            return stored
    return None


def _password_file(service_username: str, service_hash: str, robots: dict[str, str]) -> str:
    lines = [f"{service_username}:{service_hash}"]
    lines += [f"{rid}:{stored}" for rid, stored in sorted(robots.items())]
    return "\n".join(lines) + "\n"


def _acl_file(service_username: str) -> str:
    return f"""\
# Written by `homecare fleet mqtt-config`; re-run it rather than editing.
# Patterns apply to every user: a robot logs in with its robot id (%u), so it may
# publish and subscribe only under its own topics, and read the fleet's online state.
pattern readwrite {TOPIC_ROOT}/r/%u/#
pattern read {FLEET_STATE_TOPIC}

# The fleet service reads every robot and sends acks, configuration and commands.
user {service_username}
topic readwrite {TOPIC_ROOT}/#
"""


def _config_file(paths: dict[str, Path], host: str, port: int, db_path: Path) -> str:
    return f"""\
# Written by `homecare fleet mqtt-config` from {db_path}.
# Re-run it after adding robots, then reload mosquitto (SIGHUP) to reread passwd and acl.
# Without TLS, passwords cross the network in clear: add certfile/keyfile to the
# listener (and give robots mqtts:// URLs) anywhere but a trusted network.
per_listener_settings false
listener {port} {host}
allow_anonymous false
password_file {paths["passwd"]}
acl_file {paths["acl"]}

# Sessions, queued messages and retained state survive a restart; saved every
# minute rather than every 30 (the default), so a crash loses less.
persistence true
persistence_location {paths["data"]}/
autosave_interval 60
# A persistent session unused for 30 days (e.g. a retired robot's) is dropped.
persistent_client_expiration 30d

# The default keeps 1000 QoS 1 messages per offline client and then drops the
# rest silently: a fleet service restart during a busy hour would lose alerts and
# events that robots had seen acknowledged. Keep more, and watch the backlog.
max_queued_messages 10000
# The default of 20 unacknowledged QoS 1 messages per client capped throughput and
# dropped messages under load in our measurements; 200 did not.
max_inflight_messages 200
"""


def _write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with a file only its owner can read (mosquitto 2 asks it)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    temporary.replace(path)


def _write_public(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.chmod(0o644)
    temporary.replace(path)


def _hand_to_mosquitto(paths: dict[str, Path]) -> None:
    """When root writes the files, give them to the user mosquitto drops to.

    mosquitto started as root switches to the `mosquitto` user before it reads
    the password and ACL files and writes its persistence: root-owned 0600
    files would be unreadable to it.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    try:
        for key in ("passwd", "acl", "data"):
            shutil.chown(paths[key], MOSQUITTO_USER, MOSQUITTO_USER)
    except LookupError:
        return  # no mosquitto user here: whoever runs mosquitto owns the files
