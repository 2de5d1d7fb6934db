"""Every label the assistant puts around directory data exists in every language."""

import yaml

from bot.settings import ROOT, SUPPORTED_LANGUAGES


def test_labels_exist_in_every_language():
    labels = yaml.safe_load((ROOT / "data" / "content" / "labels.yml").read_text("utf-8"))
    for key, texts in labels.items():
        assert set(texts) == set(SUPPORTED_LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key
