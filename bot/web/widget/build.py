"""Build the web widget bundle and measure it; no network, no Node.

``python -m bot.web.widget.build`` writes ``bot/web/static/dalil.js``: the vendored
Socket.IO client (``bot/web/static/vendor/``), our stylesheet and our script in one
file, in a scope of its own (no globals but ``window.DalilWidget``). The bundle is
committed; a test checks it matches its sources. ``--size`` prints what a page loads,
gzipped, and fails over the budget (``make widget-size``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "static"
VENDOR = STATIC / "vendor" / "socket.io.min.js"
BUNDLE = STATIC / "dalil.js"
BUDGET = 60 * 1024  # bytes, gzipped: widget JS + CSS, Socket.IO client included

HEADER = (
    "/*! Dalil web chat widget, AGPL-3.0-or-later. Built by bot/web/widget/build.py from\n"
    " * bot/web/widget/widget.{js,css}; bundles the Socket.IO client (MIT), see\n"
    " * bot/web/static/vendor/VENDOR.md. */\n"
)


def minify_css(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.sub(r"\s*\n\s*", "", css).strip()


def build() -> str:
    vendor = VENDOR.read_text(encoding="utf-8")
    vendor = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", vendor)
    css = minify_css((HERE / "widget.css").read_text(encoding="utf-8"))
    js = (HERE / "widget.js").read_text(encoding="utf-8")
    return (
        HEADER
        # The UMD wrapper of socket.io.min.js sees `module` and fills it: no global `io`.
        + "(function(){var module={exports:{}},exports=module.exports,define;\n"
        + vendor
        + ";var io=module.exports;\nvar CSS="
        + json.dumps(css, ensure_ascii=False)
        + ";\n"
        + js
        + "})();\n"
    )


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="store_true", help="print the gzipped size and check it")
    args = parser.parse_args(argv)
    if args.size:
        size = gzipped_size(BUNDLE)
        raw = BUNDLE.stat().st_size
        verdict = "within" if size <= BUDGET else "OVER"
        print(
            f"widget: {BUNDLE.relative_to(HERE.parents[2])} {raw} bytes, {size} bytes gzipped "
            f"({size / 1024:.1f} KB; JS + CSS + Socket.IO client), {verdict} the "
            f"{BUDGET // 1024} KB budget"
        )
        return 0 if size <= BUDGET else 1
    BUNDLE.write_text(build(), encoding="utf-8")
    print(f"wrote {BUNDLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
