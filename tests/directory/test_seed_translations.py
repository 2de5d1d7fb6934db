"""Translations of service texts come from translations.yml and only fill gaps."""

import yaml

from bot.directory.seed import LANGUAGES, SERVICES_PATH, with_translations


def test_translation_file_fills_gaps_only(tmp_path):
    path = tmp_path / "translations.yml"
    path.write_text(
        yaml.safe_dump(
            {"services": {"s1": {"description": {"fr": "Aide", "ar": "مساعدة", "xx": "?"},
                                 "name": {"en": "Other name"}}}},
            allow_unicode=True,
        )
    )  # fmt: skip
    records = [{"id": "s1", "name": {"en": "Help"}, "description": {"en": "Help", "fr": "Mine"}}]
    [merged] = with_translations(records, path)
    assert merged["description"] == {"en": "Help", "fr": "Mine", "ar": "مساعدة"}
    assert merged["name"] == {"en": "Help"}
    assert records[0]["description"] == {"en": "Help", "fr": "Mine"}  # input untouched


def test_every_service_can_be_read_in_every_language():
    records = yaml.safe_load(SERVICES_PATH.read_text(encoding="utf-8"))["services"]
    merged = with_translations(records, SERVICES_PATH.parent / "translations.yml")
    missing = [
        (r["id"], field, language)
        for r in merged
        for field in ("name", "description")
        for language in LANGUAGES
        if not (r.get(field) or {}).get(language)
    ]
    assert not missing, missing[:10]
