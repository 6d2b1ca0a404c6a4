"""The evaluation tool's input checks: labels CSV, crop, folders (no clips needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homecare.errors import UsageError
from robot.vision.evaluation import ClipResult, _rate, evaluate, read_labels
from robot.vision.video import Crop, VideoError, read_frames


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_labels_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "clip,label\na.mp4,fall\n\nb.mp4, NO_FALL\n")
    assert read_labels(path) == {"a.mp4": "fall", "b.mp4": "no_fall"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1 must be the header"),
        ("name,kind\na.mp4,fall\n", "line 1 must be the header"),
        ("clip,label\na.mp4,fall\nb.mp4,maybe\n", "line 3: label 'maybe' must be fall or no_fall"),
        ("clip,label\na.mp4\n", "line 2: expected 'clip,label'"),
        ("clip,label\na.mp4,fall,extra\n", "line 2: expected 'clip,label'"),
        ("clip,label\n,fall\n", "line 2: the clip name is empty"),
        ("clip,label\na.mp4,fall\na.mp4,no_fall\n", "line 3: clip a.mp4 is listed twice"),
        ("clip,label\n", "lists no clips"),
    ],
)
def test_bad_labels_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        read_labels(write(tmp_path, text))


def test_a_missing_labels_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        read_labels(tmp_path / "nope.csv")


def test_missing_clips_and_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"folder .* does not exist"):
        evaluate(tmp_path / "nowhere", {"a.mp4": "fall"})
    with pytest.raises(UsageError, match=r"lacks a\.mp4"):
        evaluate(tmp_path, {"a.mp4": "fall"})


def test_an_unreadable_video_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    with pytest.raises(VideoError, match=r"broken\.mp4"):
        list(read_frames(broken))
    with pytest.raises(VideoError, match="does not exist"):
        list(read_frames(tmp_path / "absent.mp4"))


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "1,2,-3,4", "0,0,0,240"])
def test_bad_crops_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="crop"):
        Crop.parse(text)


def test_rates_count_only_their_label() -> None:
    results = [
        ClipResult("a", "fall", "fall", 1.0),
        ClipResult("b", "fall", "no_fall", None),
        ClipResult("c", "no_fall", "no_fall", None),
    ]
    assert _rate(results, "fall") == 0.5
    assert _rate(results, "no_fall") == 1.0
    assert _rate(results[:2], "no_fall") is None
