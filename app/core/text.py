"""Text hygiene for everything people type: NFC, trimmed, no control characters."""

from __future__ import annotations

import unicodedata

# Newline and tab are ordinary in free text (descriptions, notes); every other control character is refused.
_ALLOWED_CONTROLS = {"\n", "\t", "\r"}


def clean_text(value: str, *, multiline: bool = True) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf") and not (multiline and ch in _ALLOWED_CONTROLS):
            if ch in ("\u200d", "\u200c"):  # zero-width joiners are legitimate in some scripts
                continue
            raise ValueError(f"control character U+{ord(ch):04X} is not allowed")
    return value.replace("\r\n", "\n").replace("\r", "\n")
