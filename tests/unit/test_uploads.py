"""Uploads do not outlive the work (issue 16, point 6): the data page's steps write an upload to
a private folder only while they read it, and remove it whatever the outcome; a plan names the
upload by its own name, never by a server folder."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest

from mapgov.core.errors import DataFileError, MapgovError
from mapgov.core.i18n import error_text
from mapgov.core.model import Role
from mapgov.domain.users import User
from mapgov.io.importers import backup, read_table
from mapgov.io.importers.osm import read_osm
from mapgov.io.importers.plan import land_layer
from mapgov.store import Store, open_store
from mapgov.views import data as dataio

ADMIN = User("u-admin", "管理员", Role.ADMIN, "S001")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary directory, here, so what is left in it can be seen."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _upload(name: str, data: bytes) -> io.BytesIO:
    """What Streamlit hands over: a BytesIO with the name of the user's file."""
    upload = io.BytesIO(data)
    upload.name = name  # type: ignore[attr-defined]
    return upload


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_layer_checked_and_imported_leaves_no_file_and_names_no_server_folder(
    work_store: Store, scratch: Path
) -> None:
    data = dataio.export_bytes(work_store, "facility", ".geojson")
    upload = _upload("设施 2026.geojson", data)
    assert _left(scratch) == []
    plan = dataio.plan_upload(work_store, upload, "facility")
    assert plan.ready, plan.errors
    assert _left(scratch) == []  # checked: the plan holds the layer, the file is gone
    assert plan.path == "设施 2026.geojson"
    store = land_layer(work_store, plan)
    assert store.meta()["last_import"] == "设施 2026.geojson"  # no /tmp/... in the record
    assert _left(scratch) == []
    assert upload.read(4) == data[:4]  # the upload is still whole for the next rerun


def test_refused_uploads_leave_nothing_behind(work_store: Store, scratch: Path) -> None:
    with pytest.raises(DataFileError) as unreadable:
        dataio.read_upload(
            _upload("坏.geojson", b'{"type": "FeatureCollection", "feat'), read_table
        )
    said = error_text(unreadable.value, "zh")
    assert "坏.geojson" in said and str(scratch) not in said, said
    assert _left(scratch) == []
    bad = dataio.export_bytes(work_store, "facility", ".geojson").replace(
        b'"kind": "', b'"kind": "spa-', 1
    )
    plan = dataio.plan_upload(work_store, _upload("设施.geojson", bad), "facility")
    assert not plan.ready  # refused by its checks
    assert _left(scratch) == []
    with pytest.raises(MapgovError):
        dataio.read_upload(_upload("street.osm", b"<osm><node id='1'"), read_osm)
    assert _left(scratch) == []


def test_a_restore_from_an_upload_leaves_no_file_whatever_the_outcome(
    work_store: Store, scratch: Path, tmp_path: Path
) -> None:
    good = backup(work_store, tmp_path / "good.zip").path.read_bytes()
    assert _left(scratch) == []
    with pytest.raises(DataFileError):
        dataio.restore_upload(
            _upload("backup.sqlite", b"not a database" * 100), work_store.path, ADMIN
        )
    assert _left(scratch) == []
    assert dataio.restore_upload(_upload("backup.zip", good), work_store.path, ADMIN)
    assert _left(scratch) == []
    assert open_store(work_store.path).counts()["building"] > 0
