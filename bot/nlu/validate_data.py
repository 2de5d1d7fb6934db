"""`rasa data validate`, with no warning tolerated except Rasa's known blind spot.

Rasa 3.6 warns that a response "is not used in any story or rule" when only a form
(``utter_ask_<slot>``) or a custom action (``response="utter_..."`` in actions/) sends
it. Those warnings are checked against the code and dropped; any other warning fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
UNUSED = re.compile(r"UserWarning: The utterance '([^']+)' is not used in any story or rule\.")
WARNING = re.compile(r"UserWarning: (.*)")


def responses_sent_by_code(root: Path = ROOT) -> set[str]:
    """Responses a form asks with, or a custom action sends."""
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    used = set()
    for form in (domain.get("forms") or {}).values():
        used.update(f"utter_ask_{slot}" for slot in form.get("required_slots", []))
    for path in (root / "actions").glob("*.py"):
        used.update(re.findall(r'response="(utter_[a-z_]+)"', path.read_text(encoding="utf-8")))
        used.update(re.findall(r'"(utter_[a-z_]+)"', path.read_text(encoding="utf-8")))
    return used


def unexpected_warnings(output: str, allowed: set[str]) -> list[str]:
    problems = []
    for line in output.splitlines():
        unused = UNUSED.search(line)
        if unused and unused.group(1) in allowed:
            continue
        warning = WARNING.search(line)
        if warning:
            problems.append(warning.group(1))
    return problems


def main(argv: list[str]) -> int:
    command = [sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings", *argv]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    output = run.stdout + run.stderr
    problems = unexpected_warnings(output, responses_sent_by_code())
    for problem in problems:
        print(f"warning: {problem}")
    if run.returncode != 0 or problems:
        print(output[-3000:])
        print("rasa data validate: FAILED")
        return 1
    print("rasa data validate: no warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
