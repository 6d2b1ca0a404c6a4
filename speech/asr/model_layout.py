"""What a folder must hold to be a vosk model (checked before vosk sees it)."""

from __future__ import annotations

from pathlib import Path

REQUIRED_FILES = ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf")
# A small (dynamic-graph) model ships HCLr.fst + Gr.fst, a big one HCLG.fst.
GRAPH_CHOICES = (("graph/HCLr.fst", "graph/Gr.fst"), ("graph/HCLG.fst",))


def missing_model_files(path: Path) -> list[str]:
    """The files `path` lacks to be a vosk model; empty when it looks complete."""
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if not any(all((path / name).is_file() for name in choice) for choice in GRAPH_CHOICES):
        missing.append("graph/HCLr.fst + graph/Gr.fst (or graph/HCLG.fst)")
    return missing


def supports_grammar(path: Path) -> bool:
    """Grammar mode needs the dynamic graph (HCLr.fst + Gr.fst)."""
    return all((path / name).is_file() for name in GRAPH_CHOICES[0])
