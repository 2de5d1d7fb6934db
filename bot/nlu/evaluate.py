"""Evaluate the NLU: the trained model on the held-out set in tests/nlu, one language at
a time, and Rasa's cross-validation on data/nlu.

Prints accuracy and macro-F1 per language and the most confused intent pairs, writes them
to docs/evaluation.md and keeps the confusion-matrix images `rasa test nlu` draws under
docs/evaluation/. Runs in the engine environment: `make eval`.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "fr", "nl", "ar", "other")
MARKER = "<!-- make eval writes below this line -->"
IMAGES = ROOT / "docs" / "evaluation"


def _keep_image(target: Path, name: str) -> None:
    image = target / "intent_confusion_matrix.png"
    if image.exists():
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, IMAGES / name)


def evaluate(model: Path, data_dir: Path, out: Path) -> dict[str, dict]:
    results = {}
    for lang in LANGUAGES:
        data = data_dir / f"{lang}.yml"
        if not data.exists():
            continue
        target = out / lang
        subprocess.run(
            [sys.executable, "-m", "rasa", "test", "nlu", "--model", str(model),
             "--nlu", str(data), "--out", str(target), "--successes"],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _keep_image(target, f"heldout_{lang}_confusion.png")
        report_file = target / "intent_report.json"
        if not report_file.exists():
            # Rasa writes no report for a file with a single intent (other.yml).
            results[lang] = _single_intent(model, data)
            continue
        report = json.loads(report_file.read_text(encoding="utf-8"))
        results[lang] = _scores(_predictions(target))
        # Rasa's own average also counts predicted-only labels (nlu_fallback) as classes.
        results[lang]["rasa_macro_f1"] = report["macro avg"]["f1-score"]
    return results


def _predictions(target: Path) -> list[tuple[str, str]]:
    """(true, predicted) intent of every example, from Rasa's successes and errors."""
    pairs = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = target / name
        for row in json.loads(path.read_text(encoding="utf-8")) if path.exists() else []:
            pairs.append((row["intent"], row["intent_prediction"]["name"]))
    return pairs


def _single_intent(model: Path, data: Path) -> dict:
    """Accuracy on a one-intent file, by parsing each example with the model."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(data)).intent_examples
    agent = Agent.load(str(model))
    pairs: collections.Counter = collections.Counter()

    async def run() -> int:
        correct = 0
        for example in examples:
            predicted = (await agent.parse_message(example.get("text")))["intent"]["name"]
            if predicted == example.get("intent"):
                correct += 1
            else:
                pairs[(example.get("intent"), predicted)] += 1
        return correct

    correct = asyncio.run(run())
    accuracy = correct / len(examples) if examples else 0.0
    return {
        "accuracy": accuracy,
        "macro_f1": accuracy,  # one class: recall of that class, no precision to speak of
        "support": len(examples),
        "confused": pairs.most_common(5),
    }


def _language_of_examples(data_dir: Path) -> dict[str, str]:
    """Example text → language, from the file names (`en.yml`, `rights_en.yml`, ...)."""
    from rasa.shared.nlu.training_data.loading import load_data

    languages = {}
    for path in sorted(data_dir.glob("*.yml")):
        lang = path.stem.rsplit("_", 1)[-1]
        if lang not in LANGUAGES:
            continue
        for example in load_data(str(path)).intent_examples:
            languages[example.get("text")] = lang
    return languages


def _scores(pairs: list[tuple[str, str]]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    truth = [t for t, _ in pairs]
    predicted = [p for _, p in pairs]
    confused = collections.Counter((t, p) for t, p in pairs if t != p)
    return {
        "accuracy": accuracy_score(truth, predicted),
        "macro_f1": f1_score(truth, predicted, average="macro", labels=sorted(set(truth))),
        "support": len(pairs),
        "confused": confused.most_common(5),
    }


def cross_validate(folds: int, data_dir: Path, out: Path) -> dict[str, dict]:
    """Rasa's cross-validation on the training data, scored per language."""
    subprocess.run(
        [sys.executable, "-m", "rasa", "test", "nlu", "--nlu", str(data_dir),
         "--config", str(ROOT / "config.yml"), "--cross-validation", "--folds", str(folds),
         "--out", str(out), "--successes"],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _keep_image(out, "cross_validation_confusion.png")
    languages = _language_of_examples(data_dir)
    by_language: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for row in json.loads(path.read_text(encoding="utf-8")) if path.exists() else []:
            lang = languages.get(row["text"])
            if lang:
                by_language[lang].append((row["intent"], row["intent_prediction"]["name"]))
    return {lang: _scores(by_language[lang]) for lang in LANGUAGES if by_language[lang]}


def markdown(results: dict[str, dict], title: str) -> str:
    """macro-F1: the mean F1 of the intents in the set; a fallback prediction is a miss.
    Rasa's report also averages in predicted-only labels (nlu_fallback, F1 = 0): shown
    beside it when known."""
    lines = [
        f"## {title}",
        "",
        "| language | examples | accuracy | macro-F1 | Rasa report macro avg |",
    ]
    lines.append("|---|---|---|---|---|")
    for lang, r in results.items():
        rasa = f"{r['rasa_macro_f1']:.3f}" if "rasa_macro_f1" in r else "—"
        lines.append(
            f"| {lang} | {r['support']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {rasa} |"
        )
    lines += ["", "Most confused (true → predicted, count):", ""]
    for lang, r in results.items():
        pairs = ", ".join(f"{a} → {b} ({n})" for (a, b), n in r["confused"]) or "none"
        lines.append(f"- **{lang}**: {pairs}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "dalil.tar.gz")
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "nlu")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "eval")
    parser.add_argument("--title", default="Held-out set (tests/nlu)")
    parser.add_argument(
        "--report", type=Path, default=None, help="markdown file; replaced below MARKER"
    )
    parser.add_argument(
        "--folds", type=int, default=0, help="also cross-validate data/nlu with this many folds"
    )
    args = parser.parse_args()
    results = evaluate(args.model, args.data, args.out)
    text = markdown(results, args.title)
    drawn = [lang for lang in results if (IMAGES / f"heldout_{lang}_confusion.png").exists()]
    text += (
        "\nConfusion matrices: "
        + ", ".join(f"[{lang}](evaluation/heldout_{lang}_confusion.png)" for lang in drawn)
        + ".\n"
    )
    if args.folds:
        cv = cross_validate(args.folds, ROOT / "data" / "nlu", args.out / "cross_validation")
        text += "\n" + markdown(cv, f"Cross-validation ({args.folds} folds of data/nlu)")
        text += "\nConfusion matrix: [all languages](evaluation/cross_validation_confusion.png).\n"
    print(text)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        old = args.report.read_text(encoding="utf-8") if args.report.exists() else ""
        head = old.split(MARKER)[0] + MARKER + "\n\n" if MARKER in old else ""
        args.report.write_text(head + text, encoding="utf-8")


if __name__ == "__main__":
    main()
