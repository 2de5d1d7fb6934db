"""Country names as users read them, per language."""

COUNTRY_NAMES = {
    "BE": {"en": "Belgium", "fr": "la Belgique", "nl": "België", "ar": "بلجيكا"},
    "MA": {"en": "Morocco", "fr": "le Maroc", "nl": "Marokko", "ar": "المغرب"},
    "other": {
        "en": "a country other than Belgium or Morocco",
        "fr": "un pays autre que la Belgique ou le Maroc",
        "nl": "een ander land dan België of Marokko",
        "ar": "بلد غير بلجيكا والمغرب",
    },
}
COUNTRY_VALUES = tuple(COUNTRY_NAMES)


def country_name(country: str, language: str) -> str:
    names = COUNTRY_NAMES.get(country, COUNTRY_NAMES["other"])
    return names.get(language, names["en"])


def explicit_country(entities: list[dict]) -> str | None:
    """The country the user named or tapped, if any."""
    for entity in entities or []:
        if entity.get("entity") == "country" and entity.get("value") in COUNTRY_VALUES:
            return entity["value"]
    return None
