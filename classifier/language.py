"""Language detection for short texts, restricted to the languages Matchpoint serves."""

from __future__ import annotations

import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_CODES = {
    Language.DANISH: "da",
    Language.SWEDISH: "sv",
    Language.BOKMAL: "nb",
    Language.ENGLISH: "en",
}


class LanguageGuesser:
    """Wraps lingua; builds its detector on first use (it loads language models)."""

    def __init__(self, default: str = "en") -> None:
        self.default = default
        self._detector: LanguageDetector | None = None
        self._lock = threading.Lock()

    def _built(self) -> LanguageDetector:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    self._detector = LanguageDetectorBuilder.from_languages(*_CODES).build()
        return self._detector

    def detect(self, text: str) -> str:
        """ISO 639-1 code of the likeliest language; the default when nothing is telling."""
        if not any(ch.isalpha() for ch in text):
            return self.default
        language = self._built().detect_language_of(text)
        return _CODES.get(language, self.default) if language is not None else self.default
