"""A node's small JSON state on disk (the benefits and appointments nodes).

Read tolerantly (a missing, unreadable or malformed file is logged and counts
as empty: the node starts fresh rather than not at all) and written atomically
(a crash mid-write keeps the previous file).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from robot.runtime.api import Logger


class JsonStateFile:
    def __init__(self, path: Path, log: Logger, what: str) -> None:
        self.path = path
        self.log = log
        self.what = what  # "benefits state", for the log lines

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, ValueError) as error:
            self.log.error(f"{self.what} file unreadable", problem=str(error))
            return {}
        if not isinstance(data, dict):
            self.log.error(f"{self.what} file is not an object", path=str(self.path))
            return {}
        return data

    def write(self, data: Mapping[str, Any]) -> bool:
        """False (and a warning) when the disk refused it; the node keeps running."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            partial.replace(self.path)
        except OSError as error:
            self.log.warning(f"{self.what} not stored", problem=str(error))
            return False
        return True
