"""Bring a database written by an older mapgov up to this schema, keeping every record.

A street office's database holds years of its ledger: an upgrade of mapgov must not ask it
to start again. :func:`migrate` takes the database's write lock (``BEGIN IMMEDIATE``), keeps a
copy of it as ``<name>.v<old version>.sqlite`` beside it, reads every table, applies the steps
in :data:`STEPS` one version at a time (each a pure function over the frames), and puts the
new schema and the migrated rows in place of the old ones in the same transaction, on the live
file. Nothing is built aside and renamed over it: a program still writing the old file (an
older mapgov serving the office) either commits before the migration reads, and its edit is
migrated, or waits and then writes to the upgraded file; none writes to a file that was
replaced. A failure (a step, a check, a foreign key) rolls everything back.

A PostgreSQL database (a ``postgresql://`` URL) is upgraded with the same steps by
:mod:`mapgov.store.pgmigrate`, in one transaction of the server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from mapgov.core.crs import WGS84
from mapgov.core.errors import StoreError
from mapgov.core.model import SCHEMA_VERSION, CallbackRating, PropertyMode
from mapgov.store.build import check_tables, insert_frame
from mapgov.store.pgsql import is_url
from mapgov.store.replace import connection, writing
from mapgov.store.schema import GEOMETRY_TABLES, INDEXES, TABLES, TRIGGERS
from mapgov.store.schema_governance import UNKNOWN_START

__all__ = ["STEPS", "migrate", "refuse_unknown", "schema_version_of", "upgraded"]

Frames = dict[str, pd.DataFrame]


def _two_to_three(frames: Frames) -> Frames:
    """Schema 3 (co-building workflow): versions and step times on needs and projects, the
    residents' rating of a project as satisfied / basically / unsatisfied (it was 1-5: 4-5
    satisfied, 3 basically, 1-2 unsatisfied), who filed a resource; micro_wish,
    volunteer_event and co_event start empty."""
    out = dict(frames)
    resources = out["unit_resource"].copy()
    resources["filed_by"] = None
    out["unit_resource"] = resources
    needs = out["community_need"].copy()
    needs["closed_at"] = None
    needs["version"] = 1
    out["community_need"] = needs
    projects = out["co_project"].copy()
    rating = pd.to_numeric(projects.pop("rating"), errors="coerce")
    projects["satisfaction"] = np.select(
        [rating >= 4, rating == 3, rating <= 2],
        [
            CallbackRating.SATISFIED.value,
            CallbackRating.BASICALLY_SATISFIED.value,
            CallbackRating.UNSATISFIED.value,
        ],
        default="",  # no rating: no satisfaction (made None just below)
    )
    projects["satisfaction"] = projects["satisfaction"].where(projects["satisfaction"] != "", None)
    projects["rated_at"] = projects["completed_at"].where(rating.notna(), None)
    for column in ("paired_by", "started_at", "cancelled_at"):
        projects[column] = None
    projects["version"] = 1
    out["co_project"] = projects
    return out


def _three_to_four(frames: Frames) -> Frames:
    """Schema 4 (accounts): every user becomes an account whose login is its user id, enabled,
    with no password (nobody signs in as them until ``mapgov user passwd`` sets one);
    display_token, auth_session and audit_log start empty."""
    out = dict(frames)
    users = out["app_user"].copy()
    users.insert(1, "login", users["user_id"])
    users["enabled"] = 1
    users["password_hash"] = None
    users["must_change_password"] = 0
    users["created_at"] = None  # not known for users from before accounts
    users["changed_at"] = None
    users["version"] = 1
    out["app_user"] = users
    return out


def _four_to_five(frames: Frames) -> Frames:
    """Schema 5 (OpenID Connect, reusable token labels): accounts gain ``email`` and
    ``oidc_subject`` (none set); a display token's label is unique among live tokens only."""
    out = dict(frames)
    users = out["app_user"].copy()
    users["email"] = None
    users["oidc_subject"] = None
    out["app_user"] = users
    return out


def _five_to_six(frames: Frames) -> Frames:
    """Schema 6 (reports from the field): every issue so far was entered at a desk
    (``channel = 'desk'``) and has no ticket; issue_photo starts empty."""
    out = dict(frames)
    issues = out["issue"].copy()
    issues["channel"] = "desk"
    issues["ticket"] = None
    out["issue"] = issues
    return out


def _six_to_seven(frames: Frames) -> Frames:
    """Schema 7 (deliberation and evaluation): the help categories join the ledger's CHECK
    (no issue holds one yet); deliberation, its rounds, attendees, issues and history,
    property_company, property_evaluation, member_registration and member_service start
    empty."""
    return dict(frames)


def _seven_to_eight(frames: Frames) -> Frames:
    """Schema 8 (tenure): ``property_tenure`` starts with one open tenure per compound served by
    a company now (mode company, a company named), from :data:`UNKNOWN_START`: the store kept
    no history before, so each company counts as having served its compounds since before the
    records began (every earlier month counts them for it, as schema 7's scorecard did)."""
    out = dict(frames)
    prop = out["property_management"]
    company = prop["company"].astype("string").str.strip()
    served = (prop["mode"] == PropertyMode.COMPANY.value) & company.notna() & (company != "")
    out["property_tenure"] = pd.DataFrame(
        {
            "compound_id": prop.loc[served, "compound_id"].to_numpy(dtype=object),
            "company": company[served].to_numpy(dtype=object),
            "started_on": UNKNOWN_START,
            "ended_on": None,
        },
        columns=["compound_id", "company", "started_on", "ended_on"],
    )
    return out


STEPS: Final[dict[int, Callable[[Frames], Frames]]] = {
    2: _two_to_three,
    3: _three_to_four,
    4: _four_to_five,
    5: _five_to_six,
    6: _six_to_seven,
    7: _seven_to_eight,
}
"""Version ``v`` -> the function that turns schema ``v`` frames into schema ``v + 1``."""


def schema_version_of(path: Path) -> int:
    """The schema version recorded in a mapgov database (without opening it as a store)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        finally:
            con.close()
        return int(row[0])
    except (sqlite3.Error, TypeError, ValueError) as err:
        msg = f"{path} is not a mapgov database ({err})"
        raise StoreError(msg) from err


def _read_all(con: sqlite3.Connection) -> tuple[Frames, dict[str, str]]:
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    frames = {
        name: pd.read_sql_query(f"SELECT * FROM {name}", con)
        for name in sorted(names - {"meta"})
        if not name.startswith("sqlite_")
    }
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    return frames, meta


def _keep_copy(path: Path, old: int) -> None:
    """A consistent copy of the database beside it (SQLite's online backup: the write lock
    held by the caller keeps it the state that is migrated)."""
    kept = path.with_name(f"{path.stem}.v{old}{path.suffix}")
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(kept)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _replace_schema(
    con: sqlite3.Connection, tables: dict[str, pd.DataFrame], meta: dict[str, str]
) -> None:
    """Drop every object of the old schema, make the new one and load `tables` into it
    (inside the caller's transaction)."""
    objects = con.execute(
        "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view', 'table') "
        "AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for kind, name in sorted(objects, key=lambda o: ("trigger", "view", "table").index(o[0])):
        con.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    for spec in TABLES:
        con.execute(spec.ddl())
    con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))
    for spec in TABLES:
        if spec.name in tables:
            insert_frame(con, spec, tables[spec.name])
    for sql in (*INDEXES, *TRIGGERS):
        con.execute(sql)
    bad = con.execute("PRAGMA foreign_key_check").fetchmany(5)
    if bad:
        msg = f"the migrated database breaks foreign keys, e.g. (table, rowid, parent, key) {bad}"
        raise StoreError(msg)


def refuse_unknown(old: int, where: str) -> None:
    """Raise unless the steps lead from schema `old` to this mapgov's.

    Raises
    ------
    StoreError
        If `old` is newer than this mapgov or older than any step knows (key
        ``error.store.no_migration``).
    """
    if old > SCHEMA_VERSION or any(v not in STEPS for v in range(old, SCHEMA_VERSION)):
        msg = f"{where}: cannot migrate schema version {old} to {SCHEMA_VERSION}"
        raise StoreError(msg, key="error.store.no_migration", path=where, version=old)


def upgraded(
    frames: Frames, meta: dict[str, str], old: int
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The tables and the ``meta`` of a schema-`old` database as this schema has them.

    `frames` are its tables as read (geometry as WKB in ``geom``), `meta` its ``meta`` pairs.
    The steps of :data:`STEPS` run one version at a time; tables this schema does not know are
    left out, geometry becomes GeoDataFrames (EPSG:4326) and every table is checked.
    ``data_version`` goes one up and ``migrated_from`` records `old`.

    Raises
    ------
    StoreError
        If a migrated table breaks the schema's checks.
    """
    for version in range(old, SCHEMA_VERSION):
        frames = STEPS[version](frames)
    known = {t.name: t for t in TABLES}
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        if name not in known:
            continue
        if name in GEOMETRY_TABLES:
            geometry = gpd.GeoSeries.from_wkb(frame["geom"], crs=WGS84)
            frame = gpd.GeoDataFrame(frame.drop(columns="geom"), geometry=geometry)
        tables[name] = frame
    check_tables(tables)
    kept = {k: v for k, v in meta.items() if k not in ("schema_version", "data_version")}
    kept["schema_version"] = str(SCHEMA_VERSION)
    kept["data_version"] = str(int(meta.get("data_version", "1")) + 1)
    kept["migrated_from"] = str(old)
    return tables, kept


def migrate(path: Path | str, *, keep_old: bool = True) -> tuple[int, int]:
    """Upgrade the database at `path` to :data:`~mapgov.core.model.SCHEMA_VERSION` in place.

    A ``postgresql://`` URL is upgraded by :func:`mapgov.store.pgmigrate.migrate_pg` (the old
    tables kept in a schema of their own when `keep_old`).

    Returns
    -------
    (from, to)
        The versions before and after (equal when there was nothing to do).

    Raises
    ------
    StoreError
        If the file is not a mapgov database, is newer than this mapgov, or is older than
        any step knows; the file is then untouched.
    """
    if is_url(path):
        from mapgov.store.pgmigrate import migrate_pg  # psycopg: only for a URL

        old, new, _kept = migrate_pg(str(path), keep_old=keep_old)
        return old, new
    path = Path(path)
    if not path.is_file():
        msg = f"no database at {path}"
        raise StoreError(msg)
    old = schema_version_of(path)
    if old == SCHEMA_VERSION:
        return old, old
    refuse_unknown(old, str(path))
    with connection(path) as con, writing(con):
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if int(row[0]) != old:  # another program migrated it meanwhile
            return old, int(row[0])
        if keep_old:
            _keep_copy(path, old)
        frames, meta = _read_all(con)
        tables, kept = upgraded(frames, meta, old)
        _replace_schema(con, tables, kept)
    return old, SCHEMA_VERSION
