"""When the PostgreSQL tests run, skip (saying why) or fail (tests/pgcluster.skipped)."""

from __future__ import annotations

import pytest

from tests import pgcluster


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"MAPGOV_SKIP_PG": "0"}, None),
        ({"MAPGOV_SKIP_PG": "0", "CI": "true"}, None),
        ({"MAPGOV_SKIP_PG": "1"}, ("make test PG=0", False)),
        ({"MAPGOV_SKIP_PG": "1", "CI": "true"}, ("make test PG=0", True)),
        ({"MAPGOV_SKIP_PG": "1", "MAPGOV_REQUIRE_PG": "1"}, ("make test PG=0", True)),
        ({"MAPGOV_SKIP_PG": "dates"}, ("faketime", False)),
        ({"MAPGOV_SKIP_PG": "dates", "CI": "true"}, ("faketime", False)),
    ],
)
def test_postgresql_tests_skip_saying_why_and_fail_only_where_required(
    env: dict[str, str], expected: tuple[str, bool] | None
) -> None:
    got = pgcluster.skipped(env)
    if expected is None:
        assert got is None
        return
    assert got is not None
    why, failure = got
    assert expected[0] in why and failure is expected[1]


def test_the_faketime_runs_say_why_they_skip_postgresql() -> None:
    why = pgcluster.SKIPS["dates"]
    assert "make test-dates" in why and "PG=0" not in why
