"""Edits saved while an import or a restore runs are never lost (issue 16, point 1).

Another process edits the party organisation in a loop through the library API, writing down
each edit once it is reported saved. Imports (``mapgov import facility``) and a restore run
meanwhile; afterwards every edit written down is in the database: its ``change_log`` row and
the value it saved, unless the restore said it refused.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapgov.cli import main
from mapgov.core.errors import StaleEditError
from mapgov.core.i18n import error_text
from mapgov.core.model import AuditKind
from mapgov.domain import accounts
from mapgov.io.importers import backup, load, restore
from mapgov.io.importers.plan import land_layer, plan_layer
from mapgov.store import Store, open_store
from tests.conftest import DEMO_PASSWORD

from .test_importers import _sha

# The other process: a party-page edit after another, each one written down once saved.
_EDITOR = """
import sys
from pathlib import Path
from mapgov.core.errors import MapgovError
from mapgov.store import open_store

db, out, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
store = open_store(db)
orgs = store.read("party_org", columns=["org_id"])["org_id"].tolist()[:3]
with out.open("a", encoding="utf-8") as log:
    i = 0
    while not stop.exists() and i < 5000:
        org, value = orgs[i % len(orgs)], f"edit-{i}"
        try:
            store.edit(
                [("update", "party_org", {"org_id": org}, {"secretary": value})],
                actor="editor",
                at="2026-11-15T10:00:00",
            )
        except MapgovError as err:  # busy: told so, not saved
            log.write(f"refused {i} {err}\\n")
        else:
            log.write(f"saved {org} {value}\\n")
        log.flush()
        i += 1
"""


class Editor:
    """The editing process and what it was told."""

    def __init__(self, db: Path, folder: Path) -> None:
        self.log, self.stop = folder / "edits.log", folder / "stop"
        self.log.touch()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _EDITOR, str(db), str(self.log), str(self.stop)]
        )

    def saved(self) -> list[tuple[str, str]]:
        """(org, value) of every edit reported saved, in order."""
        lines = self.log.read_text(encoding="utf-8").split("\n")[:-1]  # whole lines only
        return [(p[1], p[2]) for line in lines if (p := line.split())[0] == "saved"]

    def wait_for(self, count: int, timeout: float = 60) -> None:
        """Until `count` edits were reported saved in all."""
        end = time.monotonic() + timeout
        while len(self.saved()) < count:
            assert self.proc.poll() is None, "the editor stopped"
            assert time.monotonic() < end, "the editor saved nothing"
            time.sleep(0.02)  # the poll interval: the edits come from another process's log

    def finish(self) -> list[tuple[str, str]]:
        self.stop.touch()
        assert self.proc.wait(timeout=60) == 0
        return self.saved()


@pytest.fixture
def editor(work_store: Store, tmp_path: Path) -> Iterator[Editor]:
    running = Editor(work_store.path, tmp_path)
    yield running
    running.stop.touch()
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait()


def _assert_every_saved_edit_is_there(store: Store, saved: list[tuple[str, str]]) -> None:
    logged = store.query(
        "SELECT record_key, new_value FROM change_log WHERE actor = 'editor' ORDER BY rowid"
    )
    assert list(logged.itertuples(index=False, name=None)) == saved
    last = dict(saved)
    now = store.read("party_org", where={"org_id": list(last)}, columns=["org_id", "secretary"])
    assert dict(zip(now["org_id"], now["secretary"], strict=True)) == last


def test_imports_keep_every_edit_saved_while_they_run(
    work_store: Store, editor: Editor, tmp_path: Path
) -> None:
    db = str(work_store.path)
    layer = tmp_path / "facility.geojson"
    assert main(["export", "facility", str(layer), "--db", db]) == 0
    facilities = work_store.counts()["facility"]
    editor.wait_for(5)
    for run in range(4):  # a second run used to be refused: "foreign keys do not hold"
        before = len(editor.saved())
        assert main(["import", "facility", str(layer), "--db", db]) == 0, f"run {run + 1}"
        editor.wait_for(before + 5)  # edits went on around the import
    saved = editor.finish()
    store = open_store(work_store.path)
    assert store.counts()["facility"] == facilities
    assert store.meta()["last_import"] == str(layer)
    _assert_every_saved_edit_is_there(store, saved)


def test_a_restore_refuses_when_an_edit_was_saved_while_it_checked(
    work_store: Store, editor: Editor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = backup(work_store, tmp_path / "good.zip").path
    editor.wait_for(3)
    check = load.database_problems

    def slow_check(path: Path) -> list[str]:  # the other process saves during the check
        editor.wait_for(len(editor.saved()) + 3)
        return check(path)

    monkeypatch.setattr(load, "database_problems", slow_check)
    with pytest.raises(StaleEditError) as refused:
        restore(good, work_store.path)
    assert "nothing was restored" in str(refused.value)
    assert "未恢复任何数据" in error_text(refused.value, "zh")
    saved = editor.finish()
    _assert_every_saved_edit_is_there(open_store(work_store.path), saved)


def test_a_restore_lands_whole_when_nothing_changed_and_later_edits_stay(
    work_store: Store, tmp_path: Path
) -> None:
    good = backup(work_store, tmp_path / "good.zip").path
    before = work_store.data_version()
    work_store.edit(
        [("update", "party_org", {"org_id": _first_org(work_store)}, {"secretary": "gone"})],
        actor="someone",
        at="2026-11-15T10:00:00",
    )
    digest = _sha(good)
    assert restore(good, work_store.path).target == work_store.path
    store = open_store(work_store.path)
    assert store.read("party_org", where={"org_id": _first_org(store)})["secretary"][0] != "gone"
    assert store.query("SELECT * FROM change_log WHERE actor = 'someone'").empty
    assert store.data_version() > before + 1  # above both: no page keeps an old cache
    editor = Editor(store.path, tmp_path)
    try:
        editor.wait_for(3)
    finally:
        saved = editor.finish()
    _assert_every_saved_edit_is_there(open_store(store.path), saved)
    assert _sha(good) == digest  # the backup is only read


def _first_org(store: Store) -> str:
    return str(store.read("party_org", columns=["org_id"])["org_id"].iloc[0])


def test_an_edit_of_the_layer_after_its_check_refuses_the_import(
    work_store: Store, tmp_path: Path
) -> None:
    """The data page shows a checked file, then imports it on a click: a building edited in
    between would be overwritten unseen, so the import is refused and says by whom."""
    db = str(work_store.path)
    layer = tmp_path / "building.geojson"
    assert main(["export", "building", str(layer), "--db", db]) == 0
    plan = plan_layer(work_store, layer, "building")
    assert plan.ready
    other = work_store.read("party_org", columns=["org_id"])["org_id"].iloc[0]
    work_store.edit(  # another table's edit does not stand in the way
        [("update", "party_org", {"org_id": other}, {"secretary": "王五"})],
        actor="S001-C1-staff1",
        at="2026-11-15T10:00:00",
    )
    building = work_store.read("building", columns=["building_id"])["building_id"].iloc[0]
    work_store.edit(
        [("update", "building", {"building_id": building}, {"building_head": "李四"})],
        actor="S001-C2-staff1",
        at="2026-11-15T10:05:00",
    )
    digest = _sha(work_store.path)
    with pytest.raises(StaleEditError) as refused:
        land_layer(work_store, plan)
    assert _sha(work_store.path) == digest  # nothing imported
    text = error_text(refused.value, "zh")
    name = work_store.read("building", where={"building_id": building})["name"].iloc[0]
    assert "S001-C2-staff1" in text and "未导入任何数据" in text
    assert f"{name} · {building}" in text  # as the page names it, and as the file does
    again = plan_layer(work_store, layer, "building")  # checked again: the user has seen it
    land_layer(work_store, again)
    assert open_store(work_store.path).meta()["last_import"] == str(layer)


def test_a_sign_in_during_a_restore_neither_refuses_it_nor_leaves_the_audit_trail(
    work_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit trail goes on through a restore and every session ends with it."""
    now = dt.datetime(2026, 11, 15, 10, tzinfo=dt.UTC)
    login = "S001-leader"
    accounts.set_password(work_store, login, now=now, actor="test", password=DEMO_PASSWORD)
    good = backup(work_store, tmp_path / "good.zip").path
    check = load.database_problems
    tokens = []

    def busy_office(path: Path) -> list[str]:  # someone signs in while the backup is checked
        tokens.append(accounts.sign_in(work_store, login, DEMO_PASSWORD, now=now, source="t"))
        return check(path)

    monkeypatch.setattr(load, "database_problems", busy_office)
    trail = accounts.read_audit(work_store)
    assert restore(good, work_store.path).target == work_store.path
    store = open_store(work_store.path)
    kept = accounts.read_audit(store)
    assert len(kept) == len(trail) + 1  # the sign-in made during the restore is kept
    assert kept["kind"].iloc[-1] == AuditKind.SIGN_IN.value
    assert accounts.session_account(store, tokens[0], now=now) is None  # signed in again
    assert store.counts()["auth_session"] == 0
