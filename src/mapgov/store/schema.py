"""The relational schema, in SQL that SQLite and PostgreSQL both accept.

Geometry columns are named ``geom`` and hold WKB in WGS 84 (EPSG:4326); a PostGIS backend maps
them to ``geometry(..., 4326)``. Issue locations are plain ``lon`` / ``lat`` columns so that the
ledger (hundreds of thousands of rows) can be filtered and binned without decoding geometry.
Timestamps are ISO 8601 text in local time (Asia/Shanghai), dates ``YYYY-MM-DD``.

Records that a workflow changes (issues, needs, projects, micro-wishes) carry a ``version``
for optimistic locking, and their steps are appended to a history table that cannot be
updated or deleted (``issue_event``, ``co_event``). Residents' names and phones (reporters of
issues, posters of wishes) are stored in full and masked when shown (:mod:`mapgov.core.privacy`).
"""

from __future__ import annotations

import re
from typing import Final

from mapgov.core.model import (
    AuditKind,
    CallbackRating,
    CoAction,
    CoEntity,
    CoopKind,
    EventAction,
    FacilityKind,
    IssueCategory,
    IssueChannel,
    IssueSource,
    IssueStatus,
    LanduseKind,
    Level,
    NeedStatus,
    PartyLevel,
    ProjectStatus,
    PropertyMode,
    RoadKind,
    Role,
    Star,
    UnitKind,
    VolunteerKind,
    WishStatus,
)
from mapgov.store.schema_governance import GOVERNANCE_TABLES
from mapgov.store.table import Table
from mapgov.store.table import count as _count
from mapgov.store.table import flag as _flag
from mapgov.store.table import one_of as _one_of

__all__ = [
    "APPEND_ONLY",
    "BULK_TABLES",
    "GEOMETRY_TABLES",
    "INDEXES",
    "TABLES",
    "TRIGGERS",
    "Table",
    "schema_rules",
    "table",
]


TABLES: tuple[Table, ...] = (
    Table("meta", (("key", "TEXT PRIMARY KEY"), ("value", "TEXT NOT NULL"))),
    Table(
        "street",
        (
            ("street_id", "TEXT PRIMARY KEY"),
            ("name", "TEXT NOT NULL"),
            ("name_en", "TEXT"),
            ("city", "TEXT"),
            ("district", "TEXT"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "community",
        (
            ("community_id", "TEXT PRIMARY KEY"),
            ("street_id", "TEXT NOT NULL REFERENCES street (street_id)"),
            ("name", "TEXT NOT NULL"),
            ("name_en", "TEXT"),
            ("office_address", "TEXT"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "grid",
        (
            ("grid_id", "TEXT PRIMARY KEY"),
            ("community_id", "TEXT NOT NULL REFERENCES community (community_id)"),
            ("name", "TEXT NOT NULL"),
            ("grid_worker", "TEXT"),
            ("grid_worker_phone", "TEXT"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "party_org",
        (
            ("org_id", "TEXT PRIMARY KEY"),
            ("level", "TEXT NOT NULL " + _one_of("level", PartyLevel)),
            ("parent_id", "TEXT REFERENCES party_org (org_id)"),
            ("name", "TEXT NOT NULL"),
            ("secretary", "TEXT"),
            ("secretary_phone", "TEXT"),
            _count("member_count"),
            _flag("is_joint"),
            ("established", "TEXT"),
        ),
    ),
    Table(
        "compound",
        (
            ("compound_id", "TEXT PRIMARY KEY"),
            ("grid_id", "TEXT NOT NULL REFERENCES grid (grid_id)"),
            ("name", "TEXT NOT NULL"),
            ("address", "TEXT"),
            ("built_year", "INTEGER"),
            ("branch_id", "TEXT REFERENCES party_org (org_id)"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "property_management",
        (
            ("compound_id", "TEXT PRIMARY KEY REFERENCES compound (compound_id)"),
            ("mode", "TEXT NOT NULL " + _one_of("mode", PropertyMode)),
            ("company", "TEXT"),
            _flag("red_property"),
            ("property_branch_id", "TEXT REFERENCES party_org (org_id)"),
            _flag("owners_committee"),
            _flag("self_managed_committee"),
            _flag("has_security"),
            _flag("joint_meeting"),
            (
                "fee_collection_rate",
                "REAL CHECK (fee_collection_rate IS NULL OR "
                "(fee_collection_rate >= 0 AND fee_collection_rate <= 1))",
            ),
        ),
    ),
    Table(
        "building",
        (
            ("building_id", "TEXT PRIMARY KEY"),
            ("compound_id", "TEXT NOT NULL REFERENCES compound (compound_id)"),
            ("name", "TEXT NOT NULL"),
            ("number", "INTEGER"),
            ("floors", "INTEGER NOT NULL CHECK (floors BETWEEN 1 AND 120)"),
            _count("units"),
            _count("households"),
            _count("residents"),
            _count("elderly"),
            _count("party_members"),
            ("building_head", "TEXT"),
            ("building_head_phone", "TEXT"),
            ("party_group_id", "TEXT REFERENCES party_org (org_id)"),
            ("built_year", "INTEGER"),
            _flag("estimated"),
            ("geom", "BLOB NOT NULL"),
        ),
        ("CHECK (elderly <= residents)",),
    ),
    Table(
        "branch_star",
        (
            ("org_id", "TEXT NOT NULL REFERENCES party_org (org_id)"),
            ("star", "TEXT NOT NULL " + _one_of("star", Star)),
            ("awarded_on", "TEXT"),
        ),
        ("PRIMARY KEY (org_id, star)",),
    ),
    Table(
        "party_member",
        (
            ("member_id", "TEXT PRIMARY KEY"),
            ("org_id", "TEXT REFERENCES party_org (org_id)"),
            ("name", "TEXT NOT NULL"),
            ("phone", "TEXT"),
            _flag("in_service"),
            ("building_id", "TEXT REFERENCES building (building_id)"),
        ),
    ),
    Table(
        "responsibility_zone",
        (
            ("zone_id", "TEXT PRIMARY KEY"),
            ("member_id", "TEXT NOT NULL REFERENCES party_member (member_id)"),
            ("name", "TEXT"),
        ),
    ),
    Table(
        "zone_building",
        (
            ("building_id", "TEXT PRIMARY KEY REFERENCES building (building_id)"),
            ("zone_id", "TEXT NOT NULL REFERENCES responsibility_zone (zone_id)"),
        ),
    ),
    Table(
        "gate",
        (
            ("gate_id", "TEXT PRIMARY KEY"),
            ("compound_id", "TEXT NOT NULL REFERENCES compound (compound_id)"),
            ("name", "TEXT"),
            _flag("vehicle"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "road",
        (
            ("road_id", "INTEGER PRIMARY KEY"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", RoadKind)),
            ("name", "TEXT"),
            ("street_id", "TEXT REFERENCES street (street_id)"),
            ("compound_id", "TEXT REFERENCES compound (compound_id)"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    # an account: who signs in (login, argon2id password hash), their role and scope
    Table(
        "app_user",
        (
            ("user_id", "TEXT PRIMARY KEY"),
            ("login", "TEXT NOT NULL UNIQUE"),
            ("name", "TEXT NOT NULL"),
            ("role", "TEXT NOT NULL " + _one_of("role", Role)),
            ("street_id", "TEXT REFERENCES street (street_id)"),
            ("community_id", "TEXT REFERENCES community (community_id)"),
            ("enabled", "INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))"),
            ("password_hash", "TEXT"),  # NULL: cannot sign in until a password is set
            _flag("must_change_password"),
            ("created_at", "TEXT"),
            ("changed_at", "TEXT"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
            # OpenID Connect sign-in (mapgov.domain.oidc): the provider's e-mail and subject
            ("email", "TEXT UNIQUE"),
            ("oidc_subject", "TEXT UNIQUE"),
        ),
        (
            "CHECK (role <> 'staff' OR community_id IS NOT NULL)",
            "CHECK (role <> 'display' OR street_id IS NOT NULL)",
        ),
    ),
    # a wall screen's token: only its SHA-256 is kept; the token is shown once
    Table(
        "display_token",
        (
            ("token_id", "INTEGER PRIMARY KEY"),
            ("label", "TEXT NOT NULL"),  # unique among live tokens (ux_display_token_live)
            ("street_id", "TEXT NOT NULL REFERENCES street (street_id)"),
            ("token_hash", "TEXT NOT NULL UNIQUE"),
            ("created_at", "TEXT NOT NULL"),
            ("created_by", "TEXT NOT NULL"),
            ("revoked_at", "TEXT"),
        ),
    ),
    # a signed-in session, kept on the server: the browser holds the token, we its SHA-256
    Table(
        "auth_session",
        (
            ("session_id", "INTEGER PRIMARY KEY"),
            ("token_hash", "TEXT NOT NULL UNIQUE"),
            ("user_id", "TEXT NOT NULL REFERENCES app_user (user_id)"),
            ("created_at", "TEXT NOT NULL"),
            ("last_seen_at", "TEXT NOT NULL"),
            ("ended_at", "TEXT"),
        ),
    ),
    # sign-ins, failures, lockouts, account changes, views of personal data: append-only
    Table(
        "audit_log",
        (
            ("audit_id", "INTEGER PRIMARY KEY"),
            ("at", "TEXT NOT NULL"),
            ("actor", "TEXT NOT NULL"),  # the login acting (or "cli:<os user>", "demo")
            ("kind", "TEXT NOT NULL " + _one_of("kind", AuditKind)),
            ("subject", "TEXT"),  # whose data, which login or token label
            ("detail", "TEXT"),
            ("source", "TEXT"),  # where from: "cli", a browser's address ...
        ),
    ),
    Table(
        "change_log",
        (
            ("change_id", "INTEGER PRIMARY KEY"),
            ("at", "TEXT NOT NULL"),
            ("actor", "TEXT NOT NULL"),
            ("op", "TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete'))"),
            ("table_name", "TEXT NOT NULL"),
            ("record_key", "TEXT NOT NULL"),
            ("field", "TEXT"),
            ("old_value", "TEXT"),
            ("new_value", "TEXT"),
        ),
    ),
    Table(
        "landuse",
        (
            ("landuse_id", "TEXT PRIMARY KEY"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", LanduseKind)),
            ("name", "TEXT"),
            ("street_id", "TEXT REFERENCES street (street_id)"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "facility",
        (
            ("facility_id", "TEXT PRIMARY KEY"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", FacilityKind)),
            ("name", "TEXT NOT NULL"),
            ("address", "TEXT"),
            ("community_id", "TEXT REFERENCES community (community_id)"),
            ("capacity", "INTEGER CHECK (capacity IS NULL OR capacity >= 0)"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "issue",
        (
            ("issue_id", "INTEGER PRIMARY KEY"),
            ("compound_id", "TEXT NOT NULL REFERENCES compound (compound_id)"),
            ("building_id", "TEXT REFERENCES building (building_id)"),
            ("category", "TEXT NOT NULL " + _one_of("category", IssueCategory)),
            ("source", "TEXT NOT NULL " + _one_of("source", IssueSource)),
            ("level", "TEXT NOT NULL " + _one_of("level", Level)),
            ("status", "TEXT NOT NULL " + _one_of("status", IssueStatus)),
            ("title", "TEXT NOT NULL"),
            ("description", "TEXT"),
            ("reporter_name", "TEXT"),
            ("reporter_phone", "TEXT"),
            ("responsible_unit", "TEXT"),
            ("deadline", "TEXT"),
            ("reported_at", "TEXT NOT NULL"),
            ("assigned_at", "TEXT"),
            ("resolved_at", "TEXT"),
            ("closed_at", "TEXT"),
            ("satisfaction", "TEXT " + _one_of("satisfaction", CallbackRating, nullable=True)),
            _count("reopen_count"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
            ("lon", "REAL NOT NULL"),
            ("lat", "REAL NOT NULL"),
            ("channel", "TEXT NOT NULL DEFAULT 'desk' " + _one_of("channel", IssueChannel)),
            # a field report's ticket: what its reporter follows it by (unguessable, unique)
            ("ticket", "TEXT UNIQUE"),
        ),
    ),
    # photos of an issue: the files are kept by name outside the tables (mapgov.io.photos)
    Table(
        "issue_photo",
        (
            ("photo_id", "INTEGER PRIMARY KEY"),
            ("issue_id", "INTEGER NOT NULL REFERENCES issue (issue_id)"),
            ("name", "TEXT NOT NULL"),  # the SHA-256 of the stored JPEG
            ("width", "INTEGER NOT NULL CHECK (width >= 1)"),
            ("height", "INTEGER NOT NULL CHECK (height >= 1)"),
            ("added_at", "TEXT NOT NULL"),
            ("added_by", "TEXT NOT NULL"),
        ),
    ),
    Table(
        "issue_event",
        (
            ("event_id", "INTEGER PRIMARY KEY"),
            ("issue_id", "INTEGER NOT NULL REFERENCES issue (issue_id)"),
            ("at", "TEXT NOT NULL"),
            ("actor", "TEXT NOT NULL"),
            ("action", "TEXT NOT NULL " + _one_of("action", EventAction)),
            ("from_status", "TEXT"),
            ("to_status", "TEXT"),
            ("from_level", "TEXT"),
            ("to_level", "TEXT"),
            ("note", "TEXT"),
        ),
    ),
    Table(
        "resident_unit",
        (
            ("unit_id", "TEXT PRIMARY KEY"),
            ("name", "TEXT NOT NULL"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", UnitKind)),
            ("address", "TEXT"),
            ("contact", "TEXT"),
            ("phone", "TEXT"),
            ("street_id", "TEXT REFERENCES street (street_id)"),
            ("community_id", "TEXT REFERENCES community (community_id)"),
            ("geom", "BLOB NOT NULL"),
        ),
    ),
    Table(
        "unit_resource",
        (
            ("resource_id", "TEXT PRIMARY KEY"),
            ("unit_id", "TEXT NOT NULL REFERENCES resident_unit (unit_id)"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", CoopKind)),
            ("title", "TEXT NOT NULL"),
            ("description", "TEXT"),
            ("capacity", "INTEGER CHECK (capacity IS NULL OR capacity >= 0)"),
            ("filed_at", "TEXT NOT NULL"),
            ("filed_by", "TEXT"),
        ),
    ),
    Table(
        "community_need",
        (
            ("need_id", "TEXT PRIMARY KEY"),
            ("community_id", "TEXT NOT NULL REFERENCES community (community_id)"),
            ("compound_id", "TEXT REFERENCES compound (compound_id)"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", CoopKind)),
            ("title", "TEXT NOT NULL"),
            ("description", "TEXT"),
            ("status", "TEXT NOT NULL " + _one_of("status", NeedStatus)),
            ("filed_at", "TEXT NOT NULL"),
            ("filed_by", "TEXT"),
            ("closed_at", "TEXT"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
        ),
    ),
    Table(
        "co_project",
        (
            ("project_id", "TEXT PRIMARY KEY"),
            ("need_id", "TEXT NOT NULL REFERENCES community_need (need_id)"),
            ("unit_id", "TEXT NOT NULL REFERENCES resident_unit (unit_id)"),
            ("resource_id", "TEXT REFERENCES unit_resource (resource_id)"),
            ("title", "TEXT NOT NULL"),
            ("status", "TEXT NOT NULL " + _one_of("status", ProjectStatus)),
            ("paired_at", "TEXT NOT NULL"),
            ("paired_by", "TEXT"),
            ("claimed_at", "TEXT"),
            ("started_at", "TEXT"),
            ("completed_at", "TEXT"),
            ("rated_at", "TEXT"),
            ("satisfaction", "TEXT " + _one_of("satisfaction", CallbackRating, nullable=True)),
            ("cancelled_at", "TEXT"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
        ),
    ),
    Table(
        "micro_wish",
        (
            ("wish_id", "TEXT PRIMARY KEY"),
            ("community_id", "TEXT NOT NULL REFERENCES community (community_id)"),
            ("compound_id", "TEXT NOT NULL REFERENCES compound (compound_id)"),
            ("building_id", "TEXT REFERENCES building (building_id)"),
            ("title", "TEXT NOT NULL"),
            ("description", "TEXT"),
            ("poster_name", "TEXT"),
            ("poster_phone", "TEXT"),
            ("status", "TEXT NOT NULL " + _one_of("status", WishStatus)),
            ("posted_at", "TEXT NOT NULL"),
            ("posted_by", "TEXT"),
            ("claimed_by", "TEXT"),
            ("claimed_at", "TEXT"),
            ("completed_at", "TEXT"),
            ("cancelled_at", "TEXT"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
        ),
    ),
    Table(
        "volunteer_event",
        (
            ("volunteer_event_id", "TEXT PRIMARY KEY"),
            ("community_id", "TEXT NOT NULL REFERENCES community (community_id)"),
            ("compound_id", "TEXT REFERENCES compound (compound_id)"),
            ("held_on", "TEXT NOT NULL"),
            ("title", "TEXT NOT NULL"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", VolunteerKind)),
            ("participants", "INTEGER NOT NULL CHECK (participants >= 0)"),
            ("hours", "REAL NOT NULL CHECK (hours >= 0)"),
            ("organiser", "TEXT NOT NULL"),
            ("unit_id", "TEXT REFERENCES resident_unit (unit_id)"),
            ("recorded_by", "TEXT NOT NULL"),
            ("recorded_at", "TEXT NOT NULL"),
        ),
    ),
    Table(
        "co_event",
        (
            ("event_id", "INTEGER PRIMARY KEY"),
            ("entity", "TEXT NOT NULL " + _one_of("entity", CoEntity)),
            ("entity_id", "TEXT NOT NULL"),
            ("at", "TEXT NOT NULL"),
            ("actor", "TEXT NOT NULL"),
            ("action", "TEXT NOT NULL " + _one_of("action", CoAction)),
            ("from_status", "TEXT"),
            ("to_status", "TEXT"),
            ("note", "TEXT"),
        ),
    ),
    *GOVERNANCE_TABLES,
)

_BY_NAME = {t.name: t for t in TABLES}
# Large tables whose CHECKs (enums and counts only) are verified in pandas before a bulk load,
# which SQLite then runs with ignore_check_constraints: three times faster on the ledger.
BULK_TABLES: frozenset[str] = frozenset({"issue", "issue_event", "co_event", "volunteer_event"})
GEOMETRY_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES if t.has_geometry)

INDEXES: tuple[str, ...] = (
    "CREATE INDEX ix_community_street ON community (street_id)",
    "CREATE INDEX ix_grid_community ON grid (community_id)",
    "CREATE INDEX ix_compound_grid ON compound (grid_id)",
    "CREATE INDEX ix_building_compound ON building (compound_id)",
    "CREATE INDEX ix_party_org_parent ON party_org (parent_id)",
    "CREATE INDEX ix_gate_compound ON gate (compound_id)",
    "CREATE INDEX ix_road_street ON road (street_id)",
    "CREATE INDEX ix_facility_community ON facility (community_id)",
    "CREATE INDEX ix_issue_compound ON issue (compound_id)",
    "CREATE INDEX ix_issue_building ON issue (building_id)",
    "CREATE INDEX ix_issue_status ON issue (status)",
    "CREATE INDEX ix_issue_reported ON issue (reported_at)",
    "CREATE INDEX ix_issue_event_issue ON issue_event (issue_id)",
    "CREATE INDEX ix_issue_photo_issue ON issue_photo (issue_id)",
    "CREATE INDEX ix_zone_building_zone ON zone_building (zone_id)",
    "CREATE INDEX ix_need_community ON community_need (community_id)",
    "CREATE INDEX ix_project_need ON co_project (need_id)",
    "CREATE INDEX ix_project_unit ON co_project (unit_id)",
    "CREATE INDEX ix_resource_unit ON unit_resource (unit_id)",
    "CREATE INDEX ix_wish_community ON micro_wish (community_id)",
    "CREATE INDEX ix_volunteer_community ON volunteer_event (community_id, held_on)",
    "CREATE INDEX ix_co_event_entity ON co_event (entity, entity_id)",
    "CREATE INDEX ix_deliberation_compound ON deliberation (compound_id, status)",
    "CREATE INDEX ix_deliberation_event_matter ON deliberation_event (matter_id)",
    "CREATE INDEX ix_deliberation_issue_issue ON deliberation_issue (issue_id)",
    "CREATE INDEX ix_evaluation_company ON property_evaluation (company, period)",
    # one open tenure (the company serving now) per compound
    "CREATE UNIQUE INDEX ux_tenure_open ON property_tenure (compound_id) WHERE ended_on IS NULL",
    "CREATE INDEX ix_member_service_member ON member_service (member_id)",
    "CREATE INDEX ix_change_log_record ON change_log (table_name, record_key)",
    "CREATE INDEX ix_audit_subject ON audit_log (subject, kind, at)",
    "CREATE INDEX ix_audit_at ON audit_log (at)",
    "CREATE INDEX ix_session_user ON auth_session (user_id)",
    # a revoked token's label may be given again; two live tokens may not share one
    "CREATE UNIQUE INDEX ux_display_token_live ON display_token (label) WHERE revoked_at IS NULL",
)

# The histories are append-only. (SQLite syntax; the PostGIS backend has its own.)
APPEND_ONLY: tuple[str, ...] = (
    "issue_event",
    "issue_photo",
    "change_log",
    "co_event",
    "audit_log",
    "deliberation_event",
)
TRIGGERS: tuple[str, ...] = tuple(
    f"CREATE TRIGGER {name}_no_{op.lower()} BEFORE {op} ON {name} "
    f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"
    for name in APPEND_ONLY
    for op in ("UPDATE", "DELETE")
)


_RULES: Final = (  # the CHECK forms of the layer tables, as pandas tests; see schema_rules
    (re.compile(r"^(\w+) IN \((.*)\)$"), "in"),
    (re.compile(r"^(?:(\w+) IS NULL OR )?(\w+) >= (-?\d+)$"), "min"),
    (re.compile(r"^(\w+) BETWEEN (-?\d+) AND (-?\d+)$"), "between"),
    (re.compile(r"^(\w+) <= (\w+)$"), "le"),
)


def schema_rules(spec: Table) -> list[tuple[str, tuple[str, ...]]]:
    """Each CHECK of `spec` as (kind, arguments): ("in", (column, *values)), ("min",
    (column, bound)), ("between", (column, low, high)) or ("le", (column, other)).

    Parameters
    ----------
    spec : Table
        A table of the store's schema.

    Returns
    -------
    list of tuple of (str, tuple of str)
        The rules in the order of the schema's columns and constraints.

    Raises
    ------
    ValueError
        For a CHECK of another form, so that a new constraint in the schema cannot go
        unchecked by a dry run.
    """
    checks = [ddl for _, ddl in spec.columns] + list(spec.constraints)
    rules: list[tuple[str, tuple[str, ...]]] = []
    for ddl in checks:
        for body in re.findall(r"CHECK \((.*)\)", ddl):
            for pattern, kind in _RULES:
                m = pattern.match(body)
                if m:
                    args = tuple(a for a in m.groups() if a is not None)
                    if kind == "min":
                        args = args[-2:]  # "x IS NULL OR x >= 0" names x twice
                    if kind == "in":
                        values = tuple(v.strip().strip("'") for v in args[1].split(","))
                        args = (args[0], *values)
                    rules.append((kind, args))
                    break
            else:
                msg = f"table {spec.name}: a CHECK that imports do not test: {body}"
                raise ValueError(msg)
    return rules


def table(name: str) -> Table:
    """The table called `name`.

    Raises
    ------
    KeyError
        If there is no such table.
    """
    return _BY_NAME[name]
