"""Emergency numbers per country, read from `data/content/emergency.yml`.

The file is re-read when it changes, so staff corrections show in the next answer
without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import ROOT

EMERGENCY_FILE = ROOT / "data" / "content" / "emergency.yml"
_cache: dict[Path, tuple[float, dict]] = {}


@dataclass(frozen=True)
class EmergencyInfo:
    contacts: list[tuple[str, str]]  # (number, label in the user's language)
    sources: list[str]  # URLs
    checked_at: str


def _load(path: Path) -> dict:
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    _cache[path] = (mtime, data)
    return data


def emergency_info(country: str, language: str, path: Path = EMERGENCY_FILE) -> EmergencyInfo:
    """Numbers to call in ``country`` (or ``other``), labelled in ``language``."""
    data = _load(path)
    entry = data["countries"].get(country) or data["countries"]["other"]
    contacts = [
        (c["number"], c["label"].get(language) or c["label"]["en"]) for c in entry["contacts"]
    ]
    return EmergencyInfo(
        contacts=contacts,
        sources=[s["url"] for s in entry["sources"]],
        checked_at=str(data["checked_at"]),
    )


def format_contacts(info: EmergencyInfo, rtl: bool = False) -> str:
    """One line per number; in right-to-left text the number keeps its own direction."""
    if rtl:
        # U+2068/U+2069 isolate the digits so "112" is not reordered inside Arabic text.
        return "\n".join(f"📞 \u2068{number}\u2069 : {label}" for number, label in info.contacts)
    return "\n".join(f"📞 {number}: {label}" for number, label in info.contacts)


def emergency_slots(country: str, language: str) -> dict[str, str]:
    """The slot values the ``utter_emergency*`` responses show."""
    info = emergency_info(country, language)
    return {
        "emergency_contacts": format_contacts(info, rtl=language == "ar"),
        "emergency_sources": " · ".join(info.sources),
        "emergency_checked": info.checked_at,
    }
