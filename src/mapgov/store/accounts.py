"""The SQL of accounts, sessions, wall-screen tokens and the audit log.

Mixed into :class:`~mapgov.store.sqlite.SQLiteStore`. Every write appends its ``audit_log``
rows in the same transaction, so an account change and its record land together or not at
all. Password and token hashes are written here and never into ``change_log``
(:meth:`SQLiteStore.edit` refuses these tables).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from mapgov.core.errors import StaleEditError, StoreError, ValidationError
from mapgov.store.schema import table

__all__ = ["ACCOUNT_TABLES", "AccountRecords", "append_audit_rows"]

ACCOUNT_TABLES: Final = ("app_user", "display_token", "auth_session", "audit_log")
"""Tables written only through :class:`AccountRecords`: they hold hashes and the audit trail."""

_AUDIT_COLUMNS: Final = ("at", "actor", "kind", "subject", "detail", "source")


def append_audit_rows(con: sqlite3.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append audit rows (at, actor, kind, subject, detail, source) inside the caller's
    transaction."""
    con.executemany(
        f"INSERT INTO audit_log ({', '.join(_AUDIT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(_AUDIT_COLUMNS))})",
        [[None if r.get(c) is None else str(r[c]) for c in _AUDIT_COLUMNS] for r in rows],
    )


def _insert(
    con: sqlite3.Connection,
    name: str,
    row: Mapping[str, Any],
    taken: tuple[str, str, str],
    audit: Sequence[Mapping[str, Any]],
) -> None:
    """Insert `row` into `name` and append its `audit` rows; a UNIQUE clash on `taken` =
    (column, key, param) is a :class:`StaleEditError` with that catalogue key."""
    cols = [c for c in table(name).column_names if c in row]
    column, key, param = taken
    try:
        con.execute(
            f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
    except sqlite3.IntegrityError as err:
        value = row.get(column)
        if "UNIQUE" in str(err) and f"{name}.{column}" in str(err):
            msg = f"{name}: the {column} {value!r} is taken"
            raise StaleEditError(msg, key=key, **{param: value}) from err
        msg = f"cannot add {name} {value!r}: {err}"
        raise StoreError(msg) from err
    append_audit_rows(con, audit)


def _keep_an_admin(con: sqlite3.Connection, street_id: str | None, user_id: str) -> None:
    """Raise if `street_id` (None: every street) has no enabled administrator left."""
    left = con.execute(
        "SELECT COUNT(*) FROM app_user WHERE role = 'admin' AND enabled = 1 AND street_id IS ?",
        (street_id,),
    ).fetchone()[0]
    if not left:
        msg = (
            f"{user_id!r} is the last enabled administrator of "
            f"{street_id or 'every street'}: add or enable another one first"
        )
        raise ValidationError(
            msg, key="error.account.last_admin", login=user_id, street=street_id or "*"
        )


class AccountRecords:
    """Reads and writes of accounts, sessions, display tokens and the audit log."""

    def transaction(
        self, *, bump: bool = True
    ) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One write transaction (provided by the store class)."""
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """A read-only SELECT (provided by the store class)."""
        raise NotImplementedError

    @staticmethod
    def _bump_version(
        con: sqlite3.Connection, name: str, key: Mapping[str, Any], version: int
    ) -> None:
        """Raise unless the record is at `version`, then count it up (provided by the store)."""
        raise NotImplementedError

    # -- the audit log --------------------------------------------------------------------
    def append_audit(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append rows (at, actor, kind, subject, detail, source) to ``audit_log``."""
        with self.transaction(bump=False) as con:
            append_audit_rows(con, rows)

    def audit_rows(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        subject: str | None = None,
        kinds: Sequence[str] = (),
    ) -> pd.DataFrame:
        """Audit rows at or after `since` and before `until` (ISO text), of `subject` and
        `kinds`, in order."""
        clauses, params = [], []
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("at < ?")
            params.append(until)
        if subject is not None:
            clauses.append("subject = ?")
            params.append(subject)
        if kinds:
            clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return self.query(f"SELECT * FROM audit_log{where} ORDER BY at, audit_id", params)

    # -- accounts -------------------------------------------------------------------------
    def insert_account(self, row: Mapping[str, Any], audit: Sequence[Mapping[str, Any]]) -> None:
        """Add an account and its audit rows in one transaction.

        Raises
        ------
        StaleEditError
            If the login or user id is taken (nothing is written).
        """
        with self.transaction() as con:
            _insert(con, "app_user", row, ("login", "error.account.login_taken", "login"), audit)

    def update_account(
        self,
        user_id: str,
        *,
        version: int,
        changes: Mapping[str, Any],
        audit: Sequence[Mapping[str, Any]],
        end_sessions_at: str | None = None,
    ) -> int:
        """Change an account seen at `version`; append its audit rows; all or nothing.

        Parameters
        ----------
        end_sessions_at
            If given, every live session of the account ends at this time (disabled, or
            password changed elsewhere).

        Returns
        -------
        int
            The account's new version.

        Raises
        ------
        StaleEditError
            If the account changed since `version` (``error.edit.stale``).
        ValidationError
            If there is no such account (``error.edit.not_found``), or if the change would
            leave the street of an enabled administrator without one (disabled, given another
            role or street: ``error.account.last_admin``); checked inside the transaction, so
            two administrators disabling each other at once cannot both succeed.
        """
        spec = table("app_user")
        bad = set(changes) - set(spec.column_names) | ({"user_id", "version"} & set(changes))
        if bad:
            msg = f"cannot change account columns {sorted(bad)}"
            raise StoreError(msg)
        key = {"user_id": user_id}
        with self.transaction() as con:
            self._bump_version(con, "app_user", key, version)
            before = con.execute(
                "SELECT street_id FROM app_user WHERE user_id = ? AND role = 'admin' "
                "AND enabled = 1",
                (user_id,),
            ).fetchone()
            if changes:
                con.execute(
                    f"UPDATE app_user SET {', '.join(f'{c} = ?' for c in changes)} "
                    "WHERE user_id = ?",
                    [*changes.values(), user_id],
                )
            if end_sessions_at is not None:
                con.execute(
                    "UPDATE auth_session SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                    (end_sessions_at, user_id),
                )
            if before is not None:
                _keep_an_admin(con, before[0], user_id)
            append_audit_rows(con, audit)
        return int(version) + 1

    # -- sessions -------------------------------------------------------------------------
    def start_session(
        self, token_hash: str, user_id: str, at: str, audit: Sequence[Mapping[str, Any]]
    ) -> None:
        """Record a new session (its token's hash) and its audit rows."""
        with self.transaction(bump=False) as con:
            con.execute(
                "INSERT INTO auth_session (token_hash, user_id, created_at, last_seen_at) "
                "VALUES (?, ?, ?, ?)",
                (token_hash, user_id, at, at),
            )
            append_audit_rows(con, audit)

    def live_session(self, token_hash: str) -> dict[str, Any] | None:
        """The session with this token hash, not ended, with its account; None otherwise."""
        frame = self.query(
            "SELECT s.session_id, s.user_id, s.last_seen_at, u.enabled "
            "FROM auth_session s JOIN app_user u ON u.user_id = s.user_id "
            "WHERE s.token_hash = ? AND s.ended_at IS NULL",
            (token_hash,),
        )
        return None if frame.empty else frame.iloc[0].to_dict()

    def touch_session(self, session_id: int, at: str) -> None:
        """Note that the session was used at `at`."""
        with self.transaction(bump=False) as con:
            con.execute(
                "UPDATE auth_session SET last_seen_at = ? WHERE session_id = ?", (at, session_id)
            )

    def end_session(
        self, session_id: int, at: str, audit: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        """End a session at `at` (sign-out, idle); append its audit rows."""
        with self.transaction(bump=False) as con:
            con.execute(
                "UPDATE auth_session SET ended_at = ? WHERE session_id = ? AND ended_at IS NULL",
                (at, session_id),
            )
            append_audit_rows(con, audit)

    # -- wall-screen tokens ---------------------------------------------------------------
    def insert_display_token(
        self, row: Mapping[str, Any], audit: Sequence[Mapping[str, Any]]
    ) -> None:
        """Add a display token (its hash) and its audit rows.

        Raises
        ------
        StaleEditError
            If the label is taken.
        """
        taken = ("label", "error.account.token_taken", "label")
        with self.transaction() as con:
            _insert(con, "display_token", row, taken, audit)

    def revoke_display_token(
        self,
        label: str,
        at: str,
        audit: Sequence[Mapping[str, Any]],
        *,
        street_id: str | None = None,
    ) -> None:
        """Revoke the live token called `label` (of `street_id`, if given) at `at`.

        Raises
        ------
        ValidationError
            If there is no live token of that label (in that street).
        """
        street = "" if street_id is None else " AND street_id = ?"
        with self.transaction() as con:
            cur = con.execute(
                "UPDATE display_token SET revoked_at = ? WHERE label = ? AND revoked_at IS NULL"
                + street,
                (at, label) + (() if street_id is None else (street_id,)),
            )
            if cur.rowcount == 0:
                msg = f"no live display token {label!r}"
                raise ValidationError(msg, key="error.account.token_unknown", label=label)
            append_audit_rows(con, audit)
