"""`homecare models ...`: the speech-recognition (vosk) models on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from homecare.cli.options import ConfigOption
from homecare.settings import load_settings
from speech.asr.models import CATALOG, download_model, installed_models

app = typer.Typer(help="Speech-recognition models: list and download them.", no_args_is_help=True)

ModelsDirOption = Annotated[
    Path | None,
    typer.Option(
        "--models-dir", help="Where models live (default: the models folder in data_dir).",
        file_okay=False,
    ),
]  # fmt: skip


def _models_dir(models_dir: Path | None, config: Path | None) -> Path:
    return models_dir.expanduser() if models_dir else load_settings(config).data_dir / "models"


@app.command("list")
def list_models(
    models_dir: ModelsDirOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the models as JSON.")] = False,
) -> None:
    """Show the installed models: language, size and folder."""
    folder = _models_dir(models_dir, config)
    models = installed_models(folder)
    if as_json:
        rows = [
            {
                "lang": m.lang,
                "name": m.name,
                "path": str(m.path),
                "size_bytes": m.size_bytes,
                "source": m.source,
            }
            for m in models
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not any(m.source == "models dir" for m in models):
        typer.echo(f"no models installed in {folder}: run `homecare models download ru`")
    if not models:
        return
    typer.echo(f"{'lang':<5} {'size':>9}  {'name':<32} path")
    for m in models:
        typer.echo(f"{m.lang:<5} {_megabytes(m.size_bytes):>9}  {m.name:<32} {m.path}")


@app.command("download")
def download(
    lang: Annotated[str, typer.Argument(help=f"Language: {' or '.join(sorted(CATALOG))}.")],
    *,
    source: Annotated[
        str | None,
        typer.Option("--from", help="Another URL, or a zip file on disk (machines offline)."),
    ] = None,
    sha256: Annotated[
        str | None, typer.Option("--sha256", help="Expected SHA-256 of the zip (overrides ours).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an installed model.")] = False,
    models_dir: ModelsDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Fetch the small vosk model of LANG, verify it and install it."""
    folder = _models_dir(models_dir, config)
    entry = CATALOG.get(lang)
    typer.echo(f"fetching {source or (entry.url if entry else lang)}", err=True)
    shown = [-1]

    def progress(done: int, total: int | None) -> None:
        if total:
            tenth = 10 * done // total
            if tenth != shown[0]:
                shown[0] = tenth
                typer.echo(f"  {10 * tenth}% of {_megabytes(total)}", err=True)

    result = download_model(
        lang, folder, source=source, expected_sha256=sha256, force=force, progress=progress
    )
    check = "verified" if result.digest_checked else "no published digest to compare with"
    typer.echo(f"installed {result.path} ({_megabytes(result.size_bytes)} zip)")
    typer.echo(f"sha256 {result.sha256} ({check})")


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
