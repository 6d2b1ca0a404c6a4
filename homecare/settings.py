"""Settings: defaults that run on a laptop, overridden by a YAML file and `HOMECARE_*` variables.

Precedence (highest first): environment variables (`HOMECARE_LOG_LEVEL`,
nested with `__` as in `HOMECARE_ROBOT__LANGUAGE=en`), the YAML file named
by `--config` or `HOMECARE_CONFIG`, then the defaults below.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from homecare.errors import ConfigError

CONFIG_ENV = "HOMECARE_CONFIG"
PACKAGED_ROBOT_PARAMETERS = (
    Path(__file__).resolve().parent.parent / "robot" / "config" / "robot.yaml"
)


class RobotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        default=None, description="Robot id assigned by the fleet at provisioning (MQTT username)."
    )
    language: Literal["ru", "en"] = Field(default="ru", description="The resident's language.")
    timezone: str = Field(default="Asia/Yekaterinburg", description="IANA zone of the home.")
    parameters_file: Path = Field(
        default=PACKAGED_ROBOT_PARAMETERS,
        description="ROS 2 style parameter YAML for the robot's nodes.",
    )
    fleet_broker_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="The fleet's MQTT broker, mqtt://host:port or mqtts://host:port.",
    )
    mqtt_password: SecretStr | None = Field(
        default=None,
        description="The robot's MQTT password, given by the fleet with its id (keep it secret).",
    )
    home_broker_url: str | None = Field(
        default=None,
        description="The home's MQTT broker (Zigbee2MQTT, Home Assistant), mqtt://host:port; "
        "unset: the robot runs one on loopback at home_broker_port.",
    )
    home_broker_port: int = Field(
        default=1884,
        ge=0,
        le=65535,
        description="Port of the robot's own home broker (0: any free port, for tests).",
    )


class SmtpSettings(BaseModel):
    """The mail server escalation e-mails go through (`fleet.smtp`)."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(default=None, description="SMTP server; unset: no e-mails sent.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587: submission).")
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    username: str | None = Field(default=None, description="Login, if the server wants one.")
    password: SecretStr | None = Field(default=None, description="Password of the login.")
    from_address: str = Field(
        default="homecare@localhost", description="The From: of escalation e-mails."
    )
    timeout_s: float = Field(default=10.0, gt=0, description="Connection and reply timeout.")


class IceServerSettings(BaseModel):
    """One STUN or TURN server, as WebRTC's RTCIceServer (sent to the robot and the browser)."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(
        min_length=1, max_length=8,
        description="e.g. ['stun:stun.example.org:3478'] or ['turns:turn.example.org:443'].",
    )  # fmt: skip
    username: str = Field(default="", max_length=256, description="TURN user name.")
    credential: str = Field(default="", max_length=256, description="TURN password.")


class TelepresenceSettings(BaseModel):
    """Video consultations between a resident's robot and a specialist's browser.

    With no `ice_servers` both peers offer host candidates only: enough on one LAN or
    on loopback. A real deployment sets a STUN server and a TURN server reachable over
    TCP/TLS on port 443 (`turns:turn.example.org:443`), for networks that block UDP.
    """

    model_config = ConfigDict(extra="forbid")

    ice_servers: list[IceServerSettings] = Field(
        default_factory=list, max_length=8, description="STUN/TURN servers for both peers."
    )
    call_token_ttl_s: float = Field(
        default=120.0, gt=0, le=3600, description="Lifetime of a token to join one call."
    )
    ring_timeout_s: float = Field(
        default=60.0, gt=0, description="No answer at all from the robot: the call ends."
    )
    connect_deadline_s: float = Field(
        default=30.0, gt=0, le=600,
        description="Sent in `ring`: how long the robot tries to connect before hanging up.",
    )  # fmt: skip


class FleetSettings(BaseModel):
    """The agencies' fleet service (`homecare fleet serve`)."""

    model_config = ConfigDict(extra="forbid")

    db_path: Path = Field(
        default=Path("~/.local/share/homecare/fleet.db"), description="The fleet's SQLite file."
    )
    host: str = Field(default="127.0.0.1", description="Address the web service listens on.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port of the web service.")
    mqtt_url: str | None = Field(
        default=None,
        description="External broker, mqtt://user:pass@host:port; unset runs the embedded one.",
    )
    embedded_mqtt_port: int = Field(
        default=1883, ge=0, le=65535, description="Loopback port of the embedded broker (0: any)."
    )
    token_ttl_minutes: int = Field(default=60, ge=1, description="Lifetime of API tokens.")
    heartbeat_s: float = Field(default=30.0, gt=0, description="Robots' telemetry period.")
    missed_heartbeats: int = Field(default=3, ge=1, description="Silent periods until offline.")
    telemetry_raw_days: float = Field(
        default=7.0, gt=0, description="Raw telemetry older than this is downsampled."
    )
    telemetry_bucket_s: int = Field(
        default=300, ge=1, description="Bucket of downsampled telemetry (averages)."
    )
    telemetry_retention_days: float = Field(
        default=365.0, gt=0, description="Telemetry older than this is deleted."
    )
    worker_id: str = Field(
        default="main",
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="This service worker's stable name: its MQTT session keeps alerts sent "
        "while it was down. Give each worker of one deployment its own.",
    )
    share_group: str | None = Field(
        default=None,
        description="MQTT shared-subscription group, so several workers split telemetry.",
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    telepresence: TelepresenceSettings = Field(default_factory=TelepresenceSettings)

    @field_validator("db_path")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOMECARE_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(
        default=Path("~/.local/share/homecare"), description="Where the robot keeps its data."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    robot: RobotSettings = Field(default_factory=RobotSettings)
    fleet: FleetSettings = Field(default_factory=FleetSettings)

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init_settings carries the YAML file's values (see load_settings): env wins over it.
        return env_settings, init_settings

    def require(self, dotted: str) -> Any:
        """A setting a command cannot run without, or a ConfigError saying how to set it."""
        value: Any = self
        for part in dotted.split("."):
            value = getattr(value, part)
        if value in (None, ""):
            env = "HOMECARE_" + dotted.upper().replace(".", "__")
            raise ConfigError(f"setting {dotted} is missing: set it in the config file or as {env}")
        return value


def load_settings(config_file: Path | None = None) -> Settings:
    """Settings from defaults, the YAML file (argument or $HOMECARE_CONFIG) and the environment."""
    path = config_file or _path_from_env()
    values = _read_yaml(path) if path else {}
    try:
        return Settings(**values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        source = f" in {path}" if path else ""
        raise ConfigError(f"setting {where}{source}: {first['msg']}") from None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests override by calling `load_settings` directly)."""
    return load_settings()


def _path_from_env() -> Path | None:
    value = os.environ.get(CONFIG_ENV)
    return Path(value) if value else None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "malformed YAML"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}: {problem}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"config file {path}: expected a mapping of settings at the top level")
    return document
