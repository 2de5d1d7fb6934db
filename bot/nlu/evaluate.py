"""Evaluate the trained model on the held-out set in tests/nlu, one language at a time.

Prints accuracy and macro-F1 per language and the most confused intent pairs, and writes
them to docs/evaluation.md. Runs in the engine environment: `make eval`.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "fr", "nl", "ar", "other")
MARKER = "<!-- make eval writes below this line -->"


def evaluate(model: Path, data_dir: Path, out: Path) -> dict[str, dict]:
    results = {}
    for lang in LANGUAGES:
        data = data_dir / f"{lang}.yml"
        if not data.exists():
            continue
        target = out / lang
        subprocess.run(
            [sys.executable, "-m", "rasa", "test", "nlu", "--model", str(model),
             "--nlu", str(data), "--out", str(target), "--no-plot"],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        report_file = target / "intent_report.json"
        if not report_file.exists():
            # Rasa writes no report for a file with a single intent (other.yml).
            results[lang] = _single_intent(model, data)
            continue
        report = json.loads(report_file.read_text(encoding="utf-8"))
        errors_file = target / "intent_errors.json"
        errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.exists() else []
        pairs = collections.Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
        results[lang] = {
            "accuracy": report["accuracy"],
            "macro_f1": report["macro avg"]["f1-score"],
            "support": report["macro avg"]["support"],
            "confused": pairs.most_common(5),
        }
    return results


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


def markdown(results: dict[str, dict], title: str) -> str:
    lines = [f"## {title}", "", "| language | examples | accuracy | macro-F1 |"]
    lines.append("|---|---|---|---|")
    for lang, r in results.items():
        lines.append(f"| {lang} | {r['support']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} |")
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
    args = parser.parse_args()
    results = evaluate(args.model, args.data, args.out)
    text = markdown(results, args.title)
    print(text)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        old = args.report.read_text(encoding="utf-8") if args.report.exists() else ""
        head = old.split(MARKER)[0] + MARKER + "\n\n" if MARKER in old else ""
        args.report.write_text(head + text, encoding="utf-8")


if __name__ == "__main__":
    main()
