"""ICE server and peer settings: a wrong setting fails at start-up, naming the setting."""

from __future__ import annotations

import pytest

from telepresence.config import IceServer, PeerConfig
from telepresence.errors import IceServerError, MediaError


def test_stun_and_turn_over_udp_tcp_and_tls_reach_aiortcs_configuration() -> None:
    config = PeerConfig(
        ice_servers=(
            IceServer(("stun:stun.agency.example:3478",)),
            IceServer(
                (
                    "turn:turn.agency.example:3478?transport=udp",
                    "turn:turn.agency.example:3478?transport=tcp",
                    "turns:turn.agency.example:443?transport=tcp",
                ),
                username="robot-7",
                credential="s3cret",
            ),
        )
    )
    servers = config.rtc_configuration().iceServers
    assert servers is not None and len(servers) == 2
    assert servers[1].urls[2] == "turns:turn.agency.example:443?transport=tcp"
    assert (servers[1].username, servers[1].credential) == ("robot-7", "s3cret")


def test_no_ice_servers_means_host_candidates_only_not_aiortcs_public_stun_default() -> None:
    assert PeerConfig().rtc_configuration().iceServers == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://turn.example", "malformed"),
        ("turn:", "malformed"),
        ("turns:turn.example:443?transport=udp", "TCP only"),
        ("stuns:stun.example", "not supported"),
    ],
)
def test_an_unusable_ice_url_is_refused_naming_it(url: str, message: str) -> None:
    with pytest.raises(IceServerError, match=message) as caught:
        IceServer((url,), username="u", credential="c")
    assert url in str(caught.value)


def test_turn_without_credentials_is_refused() -> None:
    with pytest.raises(IceServerError, match="needs a username and a credential"):
        IceServer(("turn:turn.example:3478",))


def test_an_ice_server_needs_a_url() -> None:
    with pytest.raises(IceServerError, match="at least one URL"):
        IceServer(())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"video_codec": "AV1"}, "video codec 'AV1'"),
        ({"fps": 0}, "fps must be"),
        ({"max_width": 8}, "resolution 8x480"),
        ({"adaptation_period_s": 0}, "adaptation_period_s"),
    ],
)
def test_bad_peer_settings_are_refused_naming_the_setting(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(MediaError, match=message):
        PeerConfig(**settings)  # type: ignore[arg-type]
