"""The tables of deliberation and evaluation (schema 7, issue 21): the four-step deliberation of
a compound (四步法民主议事协商) with its rounds, attendees, linked issues and append-only history;
property companies and residents' evaluations of them (物业企业评价); in-service party members'
registration with their home community (在职党员到社区报到) and their service tasks; which
company served a compound when (``property_tenure``, schema 8).

Part of :data:`mapgov.store.schema.TABLES`, after the tables they refer to.
"""

from __future__ import annotations

from typing import Final

from mapgov.core.model import (
    CallbackRating,
    MatterAction,
    MatterStatus,
    ServiceKind,
    ServiceStatus,
)
from mapgov.store.table import Table
from mapgov.store.table import one_of as _one_of

__all__ = ["GOVERNANCE_TABLES", "UNKNOWN_START"]

UNKNOWN_START: Final = "0001-01-01"
"""``property_tenure.started_on`` of a tenure whose start is not known (served since before
the records began, as every tenure a migration or an import seeds): before every real day, so
it counts for every earlier month."""

GOVERNANCE_TABLES: tuple[Table, ...] = (
    # a matter of the four-step deliberation (四步法民主议事协商) of a compound
    Table(
        "deliberation",
        (
            ("matter_id", "TEXT PRIMARY KEY"),
            ("compound_id", "TEXT NOT NULL REFERENCES compound (compound_id)"),
            ("title", "TEXT NOT NULL"),
            ("question", "TEXT"),  # 出题: the question as the branch set it
            ("status", "TEXT NOT NULL " + _one_of("status", MatterStatus)),
            ("round_no", "INTEGER NOT NULL DEFAULT 1 CHECK (round_no >= 1)"),
            ("proposed_at", "TEXT NOT NULL"),
            ("proposed_by", "TEXT NOT NULL"),
            ("decision", "TEXT"),  # the latest round's decision
            ("decided_at", "TEXT"),
            ("answer_unit", "TEXT"),  # 答题: the property company or department that answers
            ("answer_due", "TEXT"),
            ("answer", "TEXT"),
            ("answered_at", "TEXT"),
            ("rating", "TEXT " + _one_of("rating", CallbackRating, nullable=True)),
            ("rated_at", "TEXT"),
            ("closed_at", "TEXT"),  # settled or withdrawn
            ("version", "INTEGER NOT NULL DEFAULT 1"),
        ),
    ),
    # one round of the three parties' deliberation (三方议题): positions, minutes, attendance
    Table(
        "deliberation_round",
        (
            ("matter_id", "TEXT NOT NULL REFERENCES deliberation (matter_id)"),
            ("round_no", "INTEGER NOT NULL CHECK (round_no >= 1)"),
            ("held_on", "TEXT NOT NULL"),
            ("branch_position", "TEXT"),
            ("committee_position", "TEXT"),
            ("residents_position", "TEXT"),
            ("minutes", "TEXT"),
            ("attendance", "INTEGER NOT NULL CHECK (attendance >= 0)"),
            ("decision", "TEXT NOT NULL"),
            ("recorded_by", "TEXT NOT NULL"),
            ("recorded_at", "TEXT NOT NULL"),
        ),
        ("PRIMARY KEY (matter_id, round_no)",),
    ),
    # party members who attended a round (their service points count it)
    Table(
        "deliberation_attendee",
        (
            ("matter_id", "TEXT NOT NULL REFERENCES deliberation (matter_id)"),
            ("round_no", "INTEGER NOT NULL CHECK (round_no >= 1)"),
            ("member_id", "TEXT NOT NULL REFERENCES party_member (member_id)"),
        ),
        ("PRIMARY KEY (matter_id, round_no, member_id)",),
    ),
    # the issues of the ledger a matter settles
    Table(
        "deliberation_issue",
        (
            ("matter_id", "TEXT NOT NULL REFERENCES deliberation (matter_id)"),
            ("issue_id", "INTEGER NOT NULL REFERENCES issue (issue_id)"),
        ),
        ("PRIMARY KEY (matter_id, issue_id)",),
    ),
    Table(
        "deliberation_event",
        (
            ("event_id", "INTEGER PRIMARY KEY"),
            ("matter_id", "TEXT NOT NULL REFERENCES deliberation (matter_id)"),
            ("at", "TEXT NOT NULL"),
            ("actor", "TEXT NOT NULL"),
            ("action", "TEXT NOT NULL " + _one_of("action", MatterAction)),
            ("from_status", "TEXT"),
            ("to_status", "TEXT"),
            ("note", "TEXT"),
        ),
    ),
    # a property company as the street knows it: its name as property_management.company
    # holds it, its co-building agreement (共建协议) and its own party branch
    Table(
        "property_company",
        (
            ("company", "TEXT PRIMARY KEY"),
            ("agreement_signed_on", "TEXT"),
            ("branch_id", "TEXT REFERENCES party_org (org_id)"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
        ),
    ),
    # which company served a compound when (schema 8): a company's tenure runs from
    # started_on (the first day it served; UNKNOWN_START, 0001-01-01: since before the records)
    # to ended_on, the first day it no longer served (NULL while it serves). Rows exist only
    # for the company modes' periods: a compound without an open tenure has no company now.
    Table(
        "property_tenure",
        (
            ("compound_id", "TEXT NOT NULL REFERENCES compound (compound_id)"),
            ("company", "TEXT NOT NULL"),
            ("started_on", "TEXT NOT NULL"),
            ("ended_on", "TEXT"),
        ),
        ("PRIMARY KEY (compound_id, started_on)", "CHECK (started_on <= ended_on)"),
    ),
    # residents' periodic evaluation of the company serving a compound (党员居民定期评议)
    Table(
        "property_evaluation",
        (
            ("evaluation_id", "INTEGER PRIMARY KEY"),
            ("compound_id", "TEXT NOT NULL REFERENCES compound (compound_id)"),
            ("company", "TEXT NOT NULL"),
            ("period", "TEXT NOT NULL"),  # YYYY-MM
            ("score", "REAL NOT NULL CHECK (score BETWEEN 0 AND 100)"),
            ("respondents", "INTEGER NOT NULL CHECK (respondents >= 1)"),
            ("recorded_by", "TEXT NOT NULL"),
            ("recorded_at", "TEXT NOT NULL"),
        ),
        ("UNIQUE (compound_id, company, period)",),
    ),
    # an in-service party member registered with their home community (在职党员到社区报到)
    Table(
        "member_registration",
        (
            ("member_id", "TEXT PRIMARY KEY REFERENCES party_member (member_id)"),
            ("community_id", "TEXT NOT NULL REFERENCES community (community_id)"),
            ("registered_on", "TEXT NOT NULL"),
            ("work_unit", "TEXT NOT NULL"),
            ("recorded_by", "TEXT NOT NULL"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
        ),
    ),
    # a service task a member took (认领) and did: points on the 100-point scheme
    Table(
        "member_service",
        (
            ("service_id", "INTEGER PRIMARY KEY"),
            ("member_id", "TEXT NOT NULL REFERENCES party_member (member_id)"),
            ("kind", "TEXT NOT NULL " + _one_of("kind", ServiceKind)),
            ("title", "TEXT NOT NULL"),
            ("ref_id", "TEXT"),  # the co-building project, volunteer event or issue served
            ("status", "TEXT NOT NULL " + _one_of("status", ServiceStatus)),
            ("taken_on", "TEXT NOT NULL"),
            ("done_on", "TEXT"),
            ("recorded_by", "TEXT NOT NULL"),
            ("version", "INTEGER NOT NULL DEFAULT 1"),
        ),
    ),
)
