"""The evaluation's per-language scoring (bot/nlu/evaluate.py), without training a model."""

from pathlib import Path

from bot.nlu.evaluate import _language_of_examples, _scores, markdown


def test_scores_count_macro_f1_over_the_true_intents():
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    scores = _scores(pairs)
    assert scores["accuracy"] == 0.75 and scores["support"] == 4
    # a: P=1, R=.5 → F1=.667; b: P=.667, R=1 → F1=.8
    assert abs(scores["macro_f1"] - (2 / 3 + 0.8) / 2) < 1e-9
    assert scores["confused"] == [(("a", "b"), 1)]


def test_examples_get_the_language_of_their_file(tmp_path: Path):
    (tmp_path / "fr.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - salut\n', "utf-8"
    )
    (tmp_path / "rights_nl.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: rights_work\n  examples: |\n    - werk\n', "utf-8"
    )
    (tmp_path / "feedback.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: feedback\n  examples: |\n    - nuttig\n', "utf-8"
    )
    assert _language_of_examples(tmp_path) == {"salut": "fr", "werk": "nl"}


def test_markdown_table_lists_every_language():
    text = markdown({"en": _scores([("a", "a")]), "ar": _scores([("a", "b")])}, "T")
    assert "| en | 1 | 1.000 | 1.000 | — |" in text and "| ar | 1 | 0.000 | 0.000 | — |" in text
    assert "a → b (1)" in text
