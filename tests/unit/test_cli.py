"""The ``mapgov`` command line: arguments, one-line errors, untouched databases, output."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import mapgov
import mapgov.demo
from mapgov import cli
from mapgov.core import clock
from mapgov.core.config import DB_ENV, DEFAULT_DB, default_db_path, project_root
from mapgov.core.errors import StoreError, ValidationError
from mapgov.demo import wall_token
from mapgov.store import Store, open_store
from tests.conftest import AS_OF, SEED

CONSOLE_SCRIPT = Path(sys.executable).with_name("mapgov")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_one_error_line(err: str, *words: str) -> None:
    """`err` is exactly one line ``mapgov: error: ...`` that mentions every word."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mapgov: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, err)


@pytest.fixture
def existing_db(demo_db: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A copy of the demo database in its own directory, and its SHA-256 digest."""
    directory = tmp_path / "db"
    directory.mkdir()
    path = directory / "mapgov.sqlite"
    shutil.copyfile(demo_db, path)
    digest = _digest(path)
    yield path, digest
    directory.chmod(0o755)  # in case a test made it read-only


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> list[dict[str, object]]:
    """Replace build_demo by a recorder that copies the session demo database to the target."""
    seen: list[dict[str, object]] = []

    def fake_build_demo(
        path: Path,
        *,
        seed: int = 42,
        scale: int = 1,
        as_of: dt.date,
        password: str | None = None,
        progress: Callable[[str, float], None] | None = None,
    ) -> Path:
        seen.append(
            {
                "path": path,
                "seed": seed,
                "scale": scale,
                "as_of": as_of,
                "password": password,
                "progress": progress,
            }
        )
        if progress is not None:
            progress("buildings", 0.5)
            progress("done", 1.0)
        shutil.copyfile(demo_db, path)
        con = sqlite3.connect(path)  # as a build without a password: no wall token yet
        with con:
            con.execute("DELETE FROM display_token")
        con.close()
        return Path(path)

    monkeypatch.setattr(mapgov.demo, "build_demo", fake_build_demo, raising=False)
    return seen


# -- the real thing --------------------------------------------------------------------------
def test_demo_builds_a_database_and_says_what_is_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_store: Store
) -> None:
    db = tmp_path / "street.sqlite"
    code = cli.main(
        ["demo", "--seed", str(SEED), "--scale", "1", "--as-of", AS_OF.isoformat(), "--db", str(db)]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert db.is_file()
    counts = open_store(db).counts()
    assert counts["building"] > 0
    assert counts["issue"] > 0
    # Same seed and day as the session fixture: the same street; its one-time passwords
    # (11 accounts) and the wall's token are audited
    assert {**counts, "audit_log": 0} == demo_store.counts()
    assert counts["audit_log"] == 12
    # One summary line on stdout with the path and the counts, then the sign-ins, once.
    summary, *sign_ins = out.splitlines()
    assert str(db) in summary and "buildings" in summary
    assert "one-time" in sign_ins[0]
    rows = [line.split() for line in sign_ins[2:-1]]
    assert {r[1] for r in rows} == {"leader", "planner", "admin", "staff"}
    assert sign_ins[-1].startswith("wall screen, no sign-in: /wall?kiosk=1&token=")
    assert str(db) in summary
    for n, noun in (
        (counts["community"], "communities"),
        (counts["compound"], "compounds"),
        (counts["building"], "buildings"),
        (counts["issue"], "issues"),
    ):
        assert f"{n} {noun}" in summary
    assert summary.endswith(" s")
    # Progress on stderr, never a traceback.
    assert err.strip()
    assert all(line.startswith("mapgov demo: ") for line in err.splitlines()), err
    # No temporary file left beside the database.
    assert sorted(
        p.name for p in tmp_path.iterdir() if not p.name.startswith("street.sqlite-")
    ) == ["street.sqlite"]


def test_console_script_runs_quietly(tmp_path: Path) -> None:
    assert CONSOLE_SCRIPT.is_file(), f"console script missing: {CONSOLE_SCRIPT} (pip install -e .)"
    db = tmp_path / "m.sqlite"
    done = subprocess.run(
        [
            str(CONSOLE_SCRIPT),
            "demo",
            "--seed",
            "3",
            "--as-of",
            "2026-06-30",
            "--db",
            str(db),
            "--quiet",
            "--password",
            "Given-for-tests-1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    summary, note, _head, *rows, wall = done.stdout.splitlines()
    assert str(db) in summary
    assert "one-time" not in note  # a given password need not be changed
    assert len(rows) == 11 and all(r.split()[-1] == "Given-for-tests-1" for r in rows)
    assert wall.endswith(f"token={wall_token(3, 'Given-for-tests-1')}")
    assert open_store(db).counts()["compound"] > 0

    bad = subprocess.run(
        [str(CONSOLE_SCRIPT), "demo", "--seed", "-1", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    _assert_one_error_line(bad.stderr, "--seed", "'-1'")


def test_info_prints_meta_and_counts(
    demo_db: Path, demo_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["info", "--db", str(demo_db)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    rows = dict(
        line.split(maxsplit=1)
        for line in out.splitlines()
        if line.strip() and not line.startswith("[")
    )
    assert rows["database"] == str(demo_db)
    assert rows["schema_version"] == open_store(demo_db).meta()["schema_version"]
    counts = demo_store.counts()
    for name, n in counts.items():
        assert int(rows[name].replace(",", "")) == n, name
    assert counts["building"] > 0


def test_info_reads_mapgov_db_from_the_environment(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DB_ENV, str(demo_db))
    assert cli.main(["info"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split() == ["database", str(demo_db)]


def test_info_on_a_missing_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.sqlite"
    assert cli.main(["info", "--db", str(missing)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    _assert_one_error_line(err, str(missing))
    assert not missing.exists()


# -- arguments reach build_demo; progress and --quiet ------------------------------------------
def test_demo_passes_its_arguments_through(
    calls: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "x.sqlite"
    code = cli.main(
        ["demo", "--seed", "0", "--scale", "1000", "--as-of", "2024-02-29", "--db", str(db)]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    [call] = calls
    assert call["path"] == db
    assert call["seed"] == 0
    assert call["scale"] == 1000
    assert call["as_of"] == dt.date(2024, 2, 29)
    assert callable(call["progress"])
    assert "buildings" in err
    assert "50%" in err
    assert str(db) in out


def test_demo_defaults(
    calls: list[dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.sqlite"))
    # today in the street's time zone: 00:30 in Shanghai is still the 31st in UTC
    monkeypatch.setattr(clock, "system_now", lambda: dt.datetime(2027, 1, 1, 0, 30))
    assert cli.main(["demo", "--quiet"]) == 0
    [call] = calls
    assert call["path"] == tmp_path / "env.sqlite"
    today = dt.date(2027, 1, 1)
    assert (call["seed"], call["scale"], call["as_of"], call["progress"]) == (42, 1, today, None)
    assert capsys.readouterr().err == ""


# -- bad arguments: one line, non-zero, nothing built, the old database untouched --------------
BAD_ARGUMENTS = [
    pytest.param(["--seed", "-1"], "--seed", id="negative-seed"),
    pytest.param(["--seed", "abc"], "--seed", id="text-seed"),
    pytest.param(["--seed", "1.5"], "--seed", id="fraction-seed"),
    pytest.param(["--scale", "0"], "--scale", id="scale-0"),
    pytest.param(["--scale", "1001"], "--scale", id="scale-1001"),
    pytest.param(["--scale", "-5"], "--scale", id="negative-scale"),
    pytest.param(["--scale", "2.5"], "--scale", id="fraction-scale"),
    pytest.param(["--as-of", "2026-02-30"], "--as-of", id="no-such-day"),
    pytest.param(["--as-of", "2026/11/15"], "--as-of", id="slashes"),
    pytest.param(["--as-of", "20261115"], "--as-of", id="compact"),
    pytest.param(["--as-of", "tomorrow"], "--as-of", id="word"),
    pytest.param(["--wat"], "--wat", id="unknown-option"),
]


@pytest.mark.parametrize(("extra", "named"), BAD_ARGUMENTS)
def test_bad_argument_is_one_line_and_touches_nothing(
    extra: list[str],
    named: str,
    existing_db: tuple[Path, str],
    calls: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, digest = existing_db
    code = cli.main(["demo", "--db", str(db), *extra])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    _assert_one_error_line(err, named)
    assert calls == []
    assert _digest(db) == digest
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


@pytest.mark.parametrize("argv", [[], ["frobnicate"]], ids=["no-command", "unknown-command"])
def test_bad_command_is_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _assert_one_error_line(err)


def test_missing_directory(
    tmp_path: Path, calls: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "nowhere" / "mapgov.sqlite"
    assert cli.main(["demo", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    _assert_one_error_line(err, str(tmp_path / "nowhere"), "does not exist")
    assert calls == []
    assert not (tmp_path / "nowhere").exists()


def _writes_despite_mode(directory: Path) -> bool:
    probe = directory / ".probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return False
    probe.unlink()
    return True


def test_read_only_directory(
    existing_db: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, digest = existing_db
    db.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if _writes_despite_mode(db.parent):
        pytest.skip("this user (root) writes into read-only directories anyway")
    code = cli.main(["demo", "--seed", "1", "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    _assert_one_error_line(err, str(db.parent), "not writable")
    assert _digest(db) == digest


def test_unwritable_directory_as_the_system_reports_it(
    existing_db: tuple[Path, str],
    calls: list[dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same refusal as above, for users (root) whom chmod does not stop."""
    db, digest = existing_db
    real_access = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(str(path)) == db.parent and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    assert cli.main(["demo", "--db", str(db)]) == 1
    _assert_one_error_line(capsys.readouterr().err, str(db.parent), "not writable")
    assert calls == []
    assert _digest(db) == digest


@pytest.mark.parametrize("kind", ["directory", "text-file"])
def test_refuses_to_replace_what_is_not_a_database(
    kind: str,
    tmp_path: Path,
    calls: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "target"
    if kind == "directory":
        target.mkdir()
    else:
        target.write_text("my notes\n", encoding="utf-8")
    assert cli.main(["demo", "--db", str(target)]) == 1
    _assert_one_error_line(capsys.readouterr().err, str(target))
    assert calls == []
    if kind == "text-file":
        assert target.read_text(encoding="utf-8") == "my notes\n"


@pytest.mark.parametrize(
    "error",
    [
        ValidationError("scale 7: too big for this machine"),
        StoreError("cannot write /x/y.sqlite:\n disk full"),
    ],
    ids=["validation", "store"],
)
def test_errors_from_build_demo_are_one_line(
    error: Exception,
    existing_db: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, digest = existing_db

    def failing_build_demo(path: Path, **_: object) -> Path:
        raise error

    monkeypatch.setattr(mapgov.demo, "build_demo", failing_build_demo, raising=False)
    assert cli.main(["demo", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    _assert_one_error_line(err, " ".join(str(error).split()))
    assert _digest(db) == digest


# -- assets ------------------------------------------------------------------------------------
@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace mapgov.io.assets by a recorder of the static folder it is given."""
    seen: list[Path] = []

    def install_assets(static_dir: Path) -> list[Path]:
        seen.append(static_dir)
        return [static_dir / "leaflet" / "leaflet.js", static_dir / "leaflet" / "leaflet.css"]

    module = types.ModuleType("mapgov.io.assets")
    module.install_assets = install_assets
    monkeypatch.setitem(sys.modules, "mapgov.io.assets", module)
    return seen


def test_assets_default_folder_and_quiet(
    installed: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["assets", "--quiet"]) == 0
    assert installed == [Path("static")]
    out, err = capsys.readouterr()
    assert err == ""
    assert out.strip() == "static: 2 asset files installed"


def test_assets_lists_files_unless_quiet(
    installed: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["assets", "--static", str(tmp_path / "s")]) == 0
    assert installed == [tmp_path / "s"]
    err = capsys.readouterr().err
    assert "leaflet.js" in err
    assert "leaflet.css" in err


def test_assets_into_a_file_is_one_line(
    installed: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert cli.main(["assets", "--static", str(tmp_path / "f")]) == 1
    _assert_one_error_line(capsys.readouterr().err, "not a directory")
    assert installed == []


# -- version and configuration ------------------------------------------------------------------
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mapgov {mapgov.__version__}"


def test_default_db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    root = project_root(Path(__file__).parent)
    assert (root / "pyproject.toml").is_file()
    # From anywhere inside the checkout: the checkout's data/mapgov.sqlite.
    assert default_db_path(start=root / "tests") == root / DEFAULT_DB
    # Outside any checkout: the checkout this mapgov was installed from (editable install).
    assert default_db_path(start=tmp_path) == root / DEFAULT_DB
    # A relative MAPGOV_DB is taken from the current directory; an absolute one as it is.
    monkeypatch.setenv(DB_ENV, "here/m.sqlite")
    assert default_db_path(start=tmp_path) == tmp_path / "here" / "m.sqlite"
    monkeypatch.chdir(tmp_path)
    assert default_db_path() == tmp_path.resolve() / "here" / "m.sqlite"
    monkeypatch.setenv(DB_ENV, str(tmp_path / "abs.sqlite"))
    assert default_db_path(start=root) == tmp_path / "abs.sqlite"


def test_a_checkout_is_found_from_below(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mapgov"\n', encoding="utf-8")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert project_root(tmp_path / "a" / "b") == tmp_path.resolve()


def test_progress_lines_are_few_and_end_at_100(capsys: pytest.CaptureFixture[str]) -> None:
    progress = cli._Progress(sys.stderr, started=0.0)
    progress("layout", 0.0)
    progress("layout", 0.05)  # same step, 5 points on: no line
    progress("layout", 0.2)
    for i, name in enumerate(["street", "community", "grid", "building", "issue"]):
        progress(f"write:{name}", 0.7 + i * 0.01)  # one step "write", 4 points: one line
    progress("write:done", 1.0)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[-1] for line in lines] == [
        "layout",
        "layout",
        "write:street",
        "write:done",
    ]
    assert [line.split()[-2] for line in lines] == ["0%", "20%", "70%", "100%"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--app", "no/such/app.py"], "no/such/app.py: no such app script"),
        (["--port", "70000"], "--port 70000: not a port number"),
    ],
)
def test_serve_refuses_a_missing_app_or_a_bad_port_in_one_line(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # where app.py is
    assert cli.main(["serve", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mapgov: error: ") and says in err and err.count("\n") == 1


def test_serve_preloads_the_computations_but_not_the_streamlit_glue() -> None:
    # a fresh interpreter: what preload imports, and only that, is loaded
    code = (
        "import json, sys\n"
        "from mapgov import serve\n"
        "names = serve.preload()\n"
        "print(json.dumps({'names': names, 'loaded': sorted(sys.modules)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    names, loaded = out["names"], set(out["loaded"])
    assert {
        "mapgov.views.wall",
        "mapgov.views.deck",
        "mapgov.domain.lifecircle.coverage",
        "mapgov.store.sqlite",
    } <= set(names)
    assert set(names) <= loaded
    # what the glue's first run would otherwise import: folium's plugins, the emoji table
    assert {"folium.plugins", "streamlit.emojis", "geopandas", "pydeck"} <= loaded
    # the glue itself is left to the app script: a component declared before Streamlit's
    # runtime exists is never registered (its frame would 404)
    assert not [n for n in loaded if n.startswith(("mapgov.ui", "streamlit_folium"))]


def test_serve_listens_on_loopback_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit alone listens on every interface; mapgov serves this machine only by default."""
    from streamlit.web import cli as streamlit_cli

    from mapgov import serve

    seen: list[list[str]] = []
    monkeypatch.setattr(serve, "preload", list)
    monkeypatch.setattr(streamlit_cli, "main", lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # where app.py is
    assert cli.main(["serve", "--port", "8600"]) == 0
    assert cli.main(["serve", "--port", "8600", "--address", "192.168.10.5"]) == 0

    def option(argv: list[str], name: str) -> str:
        return argv[argv.index(name) + 1]

    assert [option(a, "--server.address") for a in seen] == ["127.0.0.1", "192.168.10.5"]
    assert [option(a, "--server.port") for a in seen] == ["8600", "8600"]
