"""``mapgov user | token | audit``: accounts, wall-screen tokens and the audit log.

Audited as actor ``cli:<OS user>``; passwords and tokens made here are printed once and stored
only as hashes. Each command is a function ``_run_<name>(args) -> int``, its docstring its help,
registered in :data:`COMMANDS` with the function that adds its arguments.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from mapgov.cli.common import EXIT_OK, Commands, _date, _db_option, _open, _path
from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.core.errors import ValidationError

if TYPE_CHECKING:  # the CLI starts fast: geopandas only when a command needs it
    from mapgov.domain.audit import Stamp

COMMANDS = Commands()
"""``user``, ``token``, ``audit``."""
_DB_HELP = f"database (default ${DB_ENV})"


# -- accounts, display tokens, audit ---------------------------------------------------------
def _actor() -> str:
    """Who runs an account command: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in the environment or password database
        return f"cli:uid{os.getuid()}"


def _by() -> Stamp:
    """The audit stamp of a change made by an account command: now, by :func:`_actor`."""
    return {"now": clock.system_now(), "actor": _actor(), "source": "cli"}


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        msg = "--password-stdin: no password on standard input"
        raise ValidationError(msg)
    return password


def _user_arguments(p: argparse.ArgumentParser) -> None:
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
    _db_option(add, _DB_HELP)
    _db_option(actions.add_parser("list", help="every account (no passwords)"), _DB_HELP)
    disable = actions.add_parser("disable", help="stop an account signing in; end its sessions")
    disable.add_argument("login")
    _db_option(disable, _DB_HELP)
    passwd = actions.add_parser(
        "passwd", help="set a password (default a one-time one, printed once)"
    )
    passwd.add_argument("login")
    passwd.add_argument("--password-stdin", action="store_true")
    _db_option(passwd, _DB_HELP)
    email = actions.add_parser(
        "email", help="the e-mail an OpenID Connect sign-in finds the account by (none: clear)"
    )
    email.add_argument("login")
    email.add_argument("email", nargs="?", default=None)
    _db_option(email, _DB_HELP)


@COMMANDS.register("user", _user_arguments)
def _run_user(args: argparse.Namespace) -> int:
    """accounts: add, list, disable, set a password"""
    from mapgov.domain import accounts  # lazy: pulls in geopandas

    store, by = _open(args), _by()
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
        accounts.disable(store, args.login, **by)
        print(f"{args.login}: disabled; its sessions ended")
        return EXIT_OK
    if args.action == "email":
        from mapgov.domain import oidc

        oidc.set_email(store, args.login, args.email, **by)
        print(f"{args.login}: e-mail {args.email or 'cleared'}")
        return EXIT_OK
    given = _stdin_password() if args.password_stdin else None
    if args.action == "add":
        account, one_time = accounts.add_account(
            store,
            args.login,
            role=args.role,
            name=args.name,
            street_id=args.street,
            community_id=args.community,
            password=given,
            **by,
        )
        scope = account.community_id or account.street_id or "-"
        print(f"{account.login}: added ({account.role.value}, {scope})")
    else:
        one_time = accounts.set_password(store, args.login, password=given, **by)
        print(f"{args.login}: password set; its sessions ended")
    if one_time is not None:
        print(f"one-time password (shown once; change it at the first sign-in): {one_time}")
    return EXIT_OK


def _token_arguments(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="issue a token that opens one street's wall screen")
    add.add_argument("label")
    add.add_argument("--street", required=True, metavar="ID")
    _db_option(add, _DB_HELP)
    revoke = actions.add_parser("revoke", help="stop a token working")
    revoke.add_argument("label")
    _db_option(revoke, _DB_HELP)


@COMMANDS.register("token", _token_arguments)
def _run_token(args: argparse.Namespace) -> int:
    """wall-screen display tokens: add, revoke"""
    from mapgov.domain import display_tokens  # lazy: pulls in geopandas

    store, by = _open(args), _by()
    if args.action == "revoke":
        display_tokens.revoke_display_token(store, args.label, **by)
        print(f"{args.label}: revoked")
        return EXIT_OK
    token = display_tokens.add_display_token(store, args.label, args.street, **by)
    print(f"{args.label} ({args.street}), shown once: {token}")
    print(f"wall screen: /wall?kiosk=1&token={token}")
    return EXIT_OK


def _audit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_date, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--out", type=_path, default=None, metavar="FILE.csv|.xlsx")
    _db_option(p, _DB_HELP)


@COMMANDS.register("audit", _audit_arguments)
def _run_audit(args: argparse.Namespace) -> int:
    """the audit log (sign-ins, failures, account changes)"""
    from mapgov.domain import accounts  # lazy: pulls in geopandas
    from mapgov.io.exports import write_frame

    if args.out is not None and args.out.suffix.lower() not in (".csv", ".xlsx"):
        msg = f"--out must end in .csv or .xlsx, not {args.out.name!r}"
        raise ValidationError(msg)
    log = accounts.read_audit(_open(args), since=args.since)
    if args.out is not None:
        write_frame(log, args.out)
        print(f"{args.out}: {len(log)} audit entries")
        return EXIT_OK
    columns = ["at", "actor", "kind", "subject", "detail", "source"]
    for row in log[columns].itertuples(index=False):
        print("\t".join("-" if v is None else str(v) for v in row))
    return EXIT_OK
