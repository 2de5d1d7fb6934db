"""Directory import/export on the command line (DATABASE_URL from bot.settings).

    python -m bot.directory import FILE [--format json|csv] [--dry-run] [--progress]
    python -m bot.directory export [--format json|csv] [--out PATH] [--progress]

FILE is an HSDS JSON array of services (.json) or HSDS tabular CSV: a directory or .zip of
organizations.csv, services.csv, ... (see bot.directory.transfer). Imports are validated
completely first and written in one transaction: on any error every problem is printed,
nothing is written and the exit status is 1. Bad input never produces a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class _Rollback(Exception):
    """Raised inside the session scope to undo a dry run."""


def _progress_factory(enabled: bool) -> tuple[Callable[[str, int], Callable[[int], None]], list]:
    bars: list = []

    def factory(label: str, total: int) -> Callable[[int], None]:
        from tqdm import tqdm

        for bar in bars:
            bar.close()
        bar = tqdm(
            total=total, desc=label, unit="rec", file=sys.stderr, disable=not enabled, leave=False
        )
        bars.append(bar)
        return bar.update

    return factory, bars


@contextmanager
def _bars(enabled: bool) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    factory, bars = _progress_factory(enabled)
    try:
        yield factory
    finally:
        for bar in bars:
            bar.close()


def _import(args: argparse.Namespace, show_progress: bool) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import session_scope
    from bot.directory.transfer import TransferError, import_file

    path = Path(args.file)
    try:
        with _bars(show_progress) as progress, session_scope() as session:
            result = import_file(session, path, fmt=args.format, progress=progress)
            if args.dry_run:
                raise _Rollback
    except _Rollback:
        _print_result(result, dry_run=True)
        return EXIT_OK
    except TransferError as exc:
        for warning in exc.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        count = len(exc.errors)
        print(
            f"{path.name}: {count} error{'s' if count != 1 else ''}, nothing was imported",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(
            f"error: {path.name}: the database refused the import ({exc.__class__.__name__}: "
            f"{detail}); nothing was imported",
            file=sys.stderr,
        )
        return EXIT_ERROR
    _print_result(result, dry_run=False)
    return EXIT_OK


def _print_result(result, *, dry_run: bool) -> None:
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    suffix = " (dry run: nothing was written)" if dry_run else ""
    print(f"imported {result.source} ({result.format}){suffix}")
    for line in result.summary():
        print(f"  {line}")


def _export(args: argparse.Namespace, show_progress: bool) -> int:
    from bot.db import session_scope
    from bot.directory.transfer import dumps_json, export_csv, export_json, write_csv

    out = Path(args.out) if args.out else None
    fmt = args.format
    if fmt is None:
        fmt = "csv" if out and (out.suffix.lower() == ".zip" or out.is_dir()) else "json"
    if fmt == "csv" and out is None:
        print("error: CSV export needs --out DIRECTORY or --out FILE.zip", file=sys.stderr)
        return EXIT_USAGE
    with _bars(show_progress) as progress, session_scope() as session:
        tick = progress("exporting", 1)
        if fmt == "json":
            text = dumps_json(export_json(session))
        else:
            files = export_csv(session)
        tick(1)
    if fmt == "json":
        if out is None:
            sys.stdout.write(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
    else:
        write_csv(files, out)
    if out is not None:
        print(f"exported the directory to {out} ({fmt})", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.directory",
        description="Import or export the Dalil service directory (HSDS JSON or HSDS CSV).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="validate, then upsert a file into the database")
    imp.add_argument("file", help="HSDS JSON (.json) or HSDS CSV (directory, .zip or one .csv)")
    imp.add_argument("--format", choices=("json", "csv"), help="default: from the file name")
    imp.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    exp = commands.add_parser("export", help="write the directory as HSDS JSON or CSV")
    exp.add_argument("--format", choices=("json", "csv"), help="default: json (csv for .zip)")
    exp.add_argument("--out", help="file (json), directory or .zip (csv); json default: stdout")
    for sub in (imp, exp):
        sub.add_argument(
            "--progress", action="store_true", help="progress bar even when stderr is no TTY"
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    show_progress = args.progress or sys.stderr.isatty()
    try:
        if args.command == "import":
            return _import(args, show_progress)
        return _export(args, show_progress)
    except KeyboardInterrupt:
        print("interrupted: nothing was imported", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - a message, never a traceback
        print(f"error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
