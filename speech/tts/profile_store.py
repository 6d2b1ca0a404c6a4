"""The resident's voice profile in a small JSON file that survives restarts.

`{"rate_wpm": 135, "volume": 1.0}`. Written atomically (temporary file, then
rename) so a power cut never leaves half a file behind.
"""

from __future__ import annotations

import json
from pathlib import Path

from speech.tts.errors import ProfileError, TtsError
from speech.tts.voice import VoiceProfile, check_rate, check_volume


class ProfileStore:
    def __init__(self, path: Path, default: VoiceProfile | None = None) -> None:
        self.path = path
        self.default = default or VoiceProfile()

    def load(self) -> VoiceProfile:
        """The saved profile; the default when there is no file yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self.default
        except OSError as error:
            raise ProfileError(f"cannot read voice profile {self.path}: {error.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise ProfileError(f"voice profile {self.path} is not valid JSON") from None
        if not isinstance(data, dict):
            raise ProfileError(f"voice profile {self.path}: expected a JSON object")
        rate = data.get("rate_wpm", self.default.rate_wpm)
        volume = data.get("volume", self.default.volume)
        if not isinstance(rate, int) or isinstance(rate, bool):
            raise ProfileError(f"voice profile {self.path}: rate_wpm must be a whole number")
        if not isinstance(volume, int | float) or isinstance(volume, bool):
            raise ProfileError(f"voice profile {self.path}: volume must be a number")
        try:
            return VoiceProfile(check_rate(rate), check_volume(float(volume)))
        except TtsError as error:
            raise ProfileError(f"voice profile {self.path}: {error}") from None

    def save(self, profile: VoiceProfile) -> None:
        data = {"rate_wpm": profile.rate_wpm, "volume": profile.volume}
        partial = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            partial.replace(self.path)
        except OSError as error:
            raise ProfileError(
                f"cannot save voice profile {self.path}: {error.strerror or error}"
            ) from None
