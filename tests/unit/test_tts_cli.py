"""`homecare say`: bad input ends in one clear line (a HomecareError), before any speech."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from homecare.cli import speech
from homecare.errors import HomecareError

app = typer.Typer()
app.command("say")(speech.say)


@app.command("version")
def _version() -> None:  # a second command, so `say` is a subcommand as in `homecare say`
    pass


def run_say(*args: str) -> HomecareError:
    result = CliRunner().invoke(app, ["say", *args])
    assert isinstance(result.exception, HomecareError), result.output
    return result.exception


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "nothing to say: the text is empty"),
        (["", "--out", "x.wav"], "nothing to say: the text is empty"),
        (["Hallo", "--lang", "de"], "unknown language 'de': the voices are ru, en"),
        (["Привет", "--rate", "400"], "rate 400 words per minute is out of range 90..220"),
        (["Привет", "--rate", "50"], "rate 50 words per minute is out of range 90..220"),
        (["Привет", "--volume", "1.5"], "volume 1.5 is out of range 0..1"),
        (["Привет", "--volume", "-0.1"], "volume -0.1 is out of range 0..1"),
    ],
)
def test_bad_arguments_are_named(args: list[str], message: str) -> None:
    assert str(run_say(*args)) == message


def test_a_folder_as_out_is_refused(tmp_path: Path) -> None:
    error = run_say("Привет", "--out", str(tmp_path))
    assert str(error) == f"{tmp_path} is a directory; give a file name such as speech.wav"


def test_out_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "a.wav"
    error = run_say("Привет", "--out", str(target))
    assert str(error) == f"cannot write {target}: folder {target.parent} does not exist"


def test_out_must_be_a_wav_file(tmp_path: Path) -> None:
    error = run_say("Привет", "--out", str(tmp_path / "speech.mp3"))
    assert str(error) == (
        f"--out {tmp_path / 'speech.mp3'}: the audio is WAV, so the file name must end in .wav"
    )


def test_out_where_nothing_can_be_written_is_refused() -> None:
    error = run_say("Привет", "--out", "/proc/a.wav")  # unwritable even for root
    assert str(error).startswith("cannot write /proc/a.wav: ")
