"""`python -m bot.web create-user --username NAME --role admin [--password-stdin]`."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.web.admin.models import ROLES


def create_user(args: argparse.Namespace) -> int:
    from bot.web.admin.auth import AccountError
    from bot.web.admin.auth import create_user as create

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            print("The passwords differ.", file=sys.stderr)
            return 1
    try:
        user = create(args.username, password, args.role)
    except AccountError as exc:
        print(f"Not created: {exc}", file=sys.stderr)
        return 1
    print(f"Created {user.role} account {user.username!r}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.web", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("create-user", help="create a staff console account")
    new.add_argument("--username", required=True)
    new.add_argument("--role", choices=ROLES, default="viewer")
    new.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    new.set_defaults(run=create_user)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
