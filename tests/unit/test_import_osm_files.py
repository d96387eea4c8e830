"""OpenStreetMap files as they come: a valid extract whose objects are not sorted by id (as
some editors and filters write them) reads like the sorted one; and one location rule for
layer and OSM imports."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import osmium
import pytest

from mapgov.cli import main
from mapgov.io.importers.osm import import_osm, read_osm

from .test_import_osm import _helsinki


def _shuffled(src: Path, out: Path, seed: int = 3) -> Path:
    """`src` rewritten with its ways and relations in random order (nodes first, as valid)."""
    nodes, ways, relations = [], [], []
    mutable = osmium.osm.mutable
    for o in osmium.FileProcessor(str(src)):
        tags = dict(o.tags)
        if isinstance(o, osmium.osm.Node):
            loc = (o.location.lon, o.location.lat)
            nodes.append(mutable.Node(id=o.id, location=loc, tags=tags))
        elif isinstance(o, osmium.osm.Way):
            ways.append(mutable.Way(id=o.id, nodes=[n.ref for n in o.nodes], tags=tags))
        else:
            members = [(m.type, m.ref, m.role) for m in o.members]
            relations.append(mutable.Relation(id=o.id, members=members, tags=tags))
    rng = random.Random(seed)
    rng.shuffle(nodes)
    rng.shuffle(ways)
    rng.shuffle(relations)
    writer = osmium.SimpleWriter(str(out))
    try:
        for n in nodes:
            writer.add_node(n)
        for w in ways:
            writer.add_way(w)
        for r in relations:
            writer.add_relation(r)
    finally:
        writer.close()
    return out


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _helsinki(tmp_path_factory.mktemp("osm"))


def test_an_unsorted_extract_reads_like_the_sorted_one(helsinki: Path, tmp_path: Path) -> None:
    unsorted = _shuffled(helsinki, tmp_path / "unsorted.osm.pbf")
    tables, _ = read_osm(unsorted)
    expected, _ = read_osm(helsinki)
    assert {k: len(v) for k, v in tables.items()} == {k: len(v) for k, v in expected.items()}
    assert sorted(tables["building"]["building_id"]) == sorted(expected["building"]["building_id"])
    assert not list(tmp_path.glob("*.tmp*"))  # the sorted copy is gone


def test_a_street_outside_china_goes_out_and_back_in(
    helsinki: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "helsinki.sqlite"
    import_osm(helsinki, db)
    for table in ("building", "facility", "road", "compound"):
        out = tmp_path / f"{table}.geojson"
        assert main(["export", table, str(out), "--db", str(db)]) == 0
        assert main(["import", table, str(out), "--db", str(db)]) == 0, capsys.readouterr().err
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    capsys.readouterr()
    shifted = tmp_path / "facility.geojson"
    assert main(["import", "facility", str(shifted), "--db", str(db), "--shift", "gcj02"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "outside China" in err[0] and "gcj02" in err[0], err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
