"""Short labels the assistant puts around data (directory cards, article footers), per
language, from `data/content/labels.yml`."""

from __future__ import annotations

from functools import lru_cache

import yaml

from bot.settings import ROOT

LABELS_FILE = ROOT / "data" / "content" / "labels.yml"


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def label(key: str, language: str) -> str:
    entry = labels()[key]
    return entry.get(language) or entry["en"]
