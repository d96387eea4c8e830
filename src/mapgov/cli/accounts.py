"""``mapgov user | token | audit``: accounts, wall-screen tokens and the audit log.

Audited as actor ``cli:<OS user>``; passwords and tokens made here are printed once and stored
only as hashes. Each command is a pair ``_add_<name>(subparsers)`` / ``_run_<name>(args) -> int``
that :mod:`mapgov.cli` registers.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from mapgov.core import clock
from mapgov.core.config import DB_ENV, default_db_path
from mapgov.core.errors import ValidationError

if TYPE_CHECKING:  # the CLI starts fast: geopandas only when a command needs it
    pass
from mapgov.cli.common import (
    EXIT_OK,
    _date,
    _Parser,
    _path,
)


# -- accounts, display tokens, audit ---------------------------------------------------------
def _actor() -> str:
    """Who runs an account command: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in the environment or password database
        return f"cli:uid{os.getuid()}"


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        msg = "--password-stdin: no password on standard input"
        raise ValidationError(msg)
    return password


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=_path, default=None, help=f"database (default ${DB_ENV})")


def _add_user(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("user", help="accounts: add, list, disable, set a password")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add an account",
        description="Add an account. Without --password-stdin a one-time password is printed "
        "once; it must be changed at the first sign-in.",
    )
    add.add_argument("login")
    add.add_argument(
        "--role", required=True, choices=["admin", "leader", "planner", "staff", "display"]
    )
    add.add_argument("--name", default=None, help="display name (default the login)")
    add.add_argument("--street", default=None, metavar="ID")
    add.add_argument("--community", default=None, metavar="ID")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _db_option(add)
    _db_option(actions.add_parser("list", help="every account (no passwords)"))
    disable = actions.add_parser("disable", help="stop an account signing in; end its sessions")
    disable.add_argument("login")
    _db_option(disable)
    passwd = actions.add_parser(
        "passwd", help="set a password (default a one-time one, printed once)"
    )
    passwd.add_argument("login")
    passwd.add_argument("--password-stdin", action="store_true")
    _db_option(passwd)
    email = actions.add_parser(
        "email", help="the e-mail an OpenID Connect sign-in finds the account by (none: clear)"
    )
    email.add_argument("login")
    email.add_argument("email", nargs="?", default=None)
    _db_option(email)


def _run_user(args: argparse.Namespace) -> int:
    from mapgov.domain import accounts  # lazy: pulls in geopandas
    from mapgov.store import open_store

    store = open_store(args.db if args.db is not None else default_db_path())
    now, actor = clock.system_now(), _actor()
    if args.action == "list":
        for a in accounts.list_accounts(store):
            state = "enabled" if a.enabled else "disabled"
            password = (
                ("must change" if a.must_change_password else "set") if a.has_password else "none"
            )
            print(
                f"{a.login}\t{a.name}\t{a.role.value}\t{a.street_id or '-'}\t"
                f"{a.community_id or '-'}\t{state}\tpassword {password}\t{a.created_at or '-'}"
            )
        return EXIT_OK
    if args.action == "disable":
        accounts.disable(store, args.login, now=now, actor=actor, source="cli")
        print(f"{args.login}: disabled; its sessions ended")
        return EXIT_OK
    if args.action == "email":
        from mapgov.domain import oidc

        oidc.set_email(store, args.login, args.email, now=now, actor=actor, source="cli")
        print(f"{args.login}: e-mail {args.email or 'cleared'}")
        return EXIT_OK
    given = _stdin_password() if args.password_stdin else None
    if args.action == "add":
        account, one_time = accounts.add_account(
            store,
            args.login,
            role=args.role,
            now=now,
            actor=actor,
            name=args.name,
            street_id=args.street,
            community_id=args.community,
            password=given,
            source="cli",
        )
        scope = account.community_id or account.street_id or "-"
        print(f"{account.login}: added ({account.role.value}, {scope})")
    else:
        one_time = accounts.set_password(
            store, args.login, now=now, actor=actor, password=given, source="cli"
        )
        print(f"{args.login}: password set; its sessions ended")
    if one_time is not None:
        print(f"one-time password (shown once; change it at the first sign-in): {one_time}")
    return EXIT_OK


def _add_token(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("token", help="wall-screen display tokens: add, revoke")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="issue a token that opens one street's wall screen")
    add.add_argument("label")
    add.add_argument("--street", required=True, metavar="ID")
    _db_option(add)
    revoke = actions.add_parser("revoke", help="stop a token working")
    revoke.add_argument("label")
    _db_option(revoke)


def _run_token(args: argparse.Namespace) -> int:
    from mapgov.domain import display_tokens  # lazy: pulls in geopandas
    from mapgov.store import open_store

    store = open_store(args.db if args.db is not None else default_db_path())
    now, actor = clock.system_now(), _actor()
    if args.action == "revoke":
        display_tokens.revoke_display_token(store, args.label, now=now, actor=actor, source="cli")
        print(f"{args.label}: revoked")
        return EXIT_OK
    token = display_tokens.add_display_token(
        store, args.label, args.street, now=now, actor=actor, source="cli"
    )
    print(f"{args.label} ({args.street}), shown once: {token}")
    print(f"wall screen: /wall?kiosk=1&token={token}")
    return EXIT_OK


def _add_audit(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("audit", help="the audit log (sign-ins, failures, account changes)")
    p.add_argument("--since", type=_date, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--out", type=_path, default=None, metavar="FILE.csv|.xlsx")
    _db_option(p)


def _run_audit(args: argparse.Namespace) -> int:
    from mapgov.domain import accounts  # lazy: pulls in geopandas
    from mapgov.io.exports import write_frame
    from mapgov.store import open_store

    if args.out is not None and args.out.suffix.lower() not in (".csv", ".xlsx"):
        msg = f"--out must end in .csv or .xlsx, not {args.out.name!r}"
        raise ValidationError(msg)
    store = open_store(args.db if args.db is not None else default_db_path())
    log = accounts.read_audit(store, since=args.since)
    if args.out is not None:
        write_frame(log, args.out)
        print(f"{args.out}: {len(log)} audit entries")
        return EXIT_OK
    columns = ["at", "actor", "kind", "subject", "detail", "source"]
    for row in log[columns].itertuples(index=False):
        print("\t".join("-" if v is None else str(v) for v in row))
    return EXIT_OK
