"""The catalogues: same keys and placeholders in both languages, every enum labelled, strict."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from mapgov.core import i18n, model
from mapgov.core.i18n import DEFAULT_LANG, LANGS, catalogue, enum_key, label, normalize_lang, t
from mapgov.domain.summary import PlaceCounts
from mapgov.ui.shell import ADMIN_PAGES, PAGES

ROOT = Path(__file__).resolve().parents[2]
ENUMS = [
    getattr(model, name)
    for name in model.__all__
    if isinstance(getattr(model, name), type) and issubclass(getattr(model, name), StrEnum)
]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_zh_is_the_default_language() -> None:
    assert DEFAULT_LANG == "zh"
    assert LANGS == ("zh", "en")
    assert t("page.wall.nav") == t("page.wall.nav", "zh") == "大屏"
    assert t("page.wall.nav", "en") == "Wall screen"


def test_catalogues_have_the_same_keys() -> None:
    zh, en = set(catalogue("zh")), set(catalogue("en"))
    assert zh - en == set(), "keys only in zh.toml"
    assert en - zh == set(), "keys only in en.toml"
    assert len(zh) > 100


def test_catalogues_have_the_same_placeholders() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    differ = {
        key: (sorted(i18n.placeholders(zh[key])), sorted(i18n.placeholders(en[key])))
        for key in zh
        if i18n.placeholders(zh[key]) != i18n.placeholders(en[key])
    }
    assert differ == {}


@pytest.mark.parametrize("lang", LANGS)
def test_no_entry_is_empty(lang: str) -> None:
    assert [key for key, text in catalogue(lang).items() if not text.strip()] == []


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_enum_value_has_a_label_in_both_languages(enum: type[StrEnum]) -> None:
    for member in enum:
        zh, en = label(member, "zh"), label(member, "en")
        assert CJK.search(zh), (member, zh)
        assert en, member
        assert not CJK.search(en), (member, en)


def test_the_enum_list_covers_model() -> None:
    import inspect

    from mapgov.core import model

    defined = {
        obj
        for _, obj in inspect.getmembers(model, inspect.isclass)
        if issubclass(obj, StrEnum) and obj.__module__ == model.__name__
    }
    assert set(ENUMS) == defined  # a new enum in the model needs labels too


def test_no_label_without_an_enum_value() -> None:
    """Every entry in an enum table belongs to a member (no stale labels)."""
    enum_tables = {enum_key(next(iter(e))).split(".")[0]: e for e in ENUMS}
    stale = [
        key
        for key in catalogue("zh")
        if key.split(".")[0] in enum_tables
        and key.split(".", 1)[1] not in {m.value for m in enum_tables[key.split(".")[0]]}
    ]
    assert stale == []


@pytest.mark.parametrize(
    ("member", "key", "zh"),
    [
        (model.IssueStatus.ASSIGNED, "issue_status.assigned", "已分派"),
        (model.IssueStatus.CLOSED, "issue_status.closed", "已销号"),
        (model.FacilityKind.CANTEEN, "facility_kind.canteen", "幸福食堂/助餐点"),
        (
            model.FacilityKind.PARTY_SERVICE_CENTER,
            "facility_kind.party_service_center",
            "党群服务中心/站",
        ),
        (model.Star.STRONG_BRANCH, "star.strong_branch", "支部过硬"),
        (model.PropertyMode.NONE, "property_mode.none", "无物业"),
        (model.PartyLevel.COMPOUND_BRANCH, "party_level.compound_branch", "小区党支部"),
        (
            model.CallbackRating.BASICALLY_SATISFIED,
            "callback_rating.basically_satisfied",
            "基本满意",
        ),
        (model.IssueSource.HOTLINE_12345, "issue_source.hotline_12345", "12345 热线"),
    ],
)
def test_labels_use_the_domain_terms(member: StrEnum, key: str, zh: str) -> None:
    assert enum_key(member) == key
    assert label(member) == zh


def test_the_five_stars_are_named_as_in_the_rating() -> None:
    stars = ["支部过硬", "服务为民", "平安法治", "文明幸福", "共建共享"]
    assert [label(s) for s in model.Star] == stars


def test_a_missing_key_raises() -> None:
    with pytest.raises(KeyError, match=r"no text for 'page\.nowhere\.title' in the 'en'"):
        t("page.nowhere.title", "en")


def test_an_unknown_language_raises() -> None:
    with pytest.raises(KeyError, match="unsupported language 'fr'"):
        t("page.wall.nav", "fr")


def test_placeholders_are_filled_and_a_missing_one_raises() -> None:
    assert t("sidebar.data_as_of", "en", as_of="2026-11-15") == "Data as of 2026-11-15"
    assert t("sidebar.data_as_of", "zh", as_of="2026-11-15") == "数据截至 2026-11-15"
    with pytest.raises(KeyError, match="as_of"):
        t("sidebar.data_as_of", "zh")


def test_catalogue_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        catalogue("zh")["page.wall.nav"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "zh"),
        ("", "zh"),
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("en", "en"),
        ("EN_us", "en"),
        (" en ", "en"),
        ("fr", "zh"),
        ("english", "zh"),
    ],
)
def test_normalize_lang(given: str | None, expected: str) -> None:
    assert normalize_lang(given) == expected


def _code_files() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    return files + sorted((ROOT / "src" / "mapgov").rglob("*.py"))


def test_every_literal_key_in_the_code_exists() -> None:
    """``t("some.key", ...)`` or ``Note("some.key", ...)`` anywhere in the app must name a
    catalogue entry."""
    used = {
        (path.name, key)
        for path in _code_files()
        for key in re.findall(
            r"\b(?:t|Note)\(\s*\"([a-z0-9_]+(?:\.[a-z0-9_]+)+)\"", path.read_text("utf-8")
        )
    }
    assert len(used) > 10
    missing = [(name, key) for name, key in used if key not in catalogue("zh")]
    assert missing == []


def test_keys_built_at_run_time_exist() -> None:
    """Keys the code builds from names: page.<key>.*, metric.<count>, lang.<code>."""
    built = [
        f"page.{p.key}.{part}" for p in (*PAGES, *ADMIN_PAGES) for part in ("nav", "title", "lead")
    ]
    built += [f"metric.{name}" for name in PlaceCounts.__dataclass_fields__]
    built += [f"lang.{code}" for code in LANGS]
    assert [key for key in built if key not in catalogue("zh")] == []


def test_page_titles_differ_between_languages() -> None:
    for page in ("wall", "issues", "life_circle", "party", "data"):
        assert t(f"page.{page}.title", "zh") != t(f"page.{page}.title", "en")
        assert CJK.search(t(f"page.{page}.title", "zh"))


def test_workflow_errors_read_in_the_users_language() -> None:
    from mapgov.core.errors import LifecycleError, ValidationError
    from mapgov.core.i18n import error_text
    from mapgov.core.model import EventAction, IssueStatus

    err = LifecycleError(
        "cannot close issue #7: it is reported",
        key="error.issue.lifecycle",
        action=EventAction.CLOSE,
        status=IssueStatus.REPORTED,
        issue_id=7,
    )
    zh = error_text(err, "zh")
    assert "#7" in zh
    assert f"“{t('event_action.close', 'zh')}”" in zh
    assert f"“{t('issue_status.reported', 'zh')}”" in zh
    assert "“close”" not in zh
    en = error_text(err, "en")
    assert t("issue_status.reported", "en") in en and "#7" in en
    field = ValidationError("reason is required", key="error.issue.required", field="reason")
    assert t("issue_field.reason", "zh") in error_text(field, "zh")
    plain = ValidationError("something odd")
    assert error_text(plain, "zh") == "something odd"
    unknown = ValidationError("fallback sentence", key="error.no_such_key")
    assert error_text(unknown, "en") == "fallback sentence"


def test_a_note_is_english_text_that_a_page_says_in_its_language() -> None:
    """An importer's finding: English where it is text (logs, the command line), the reader's
    language where a page shows it, with the table it names and a note inside it translated."""
    import pickle

    from mapgov.core.i18n import Note, shown

    hint = Note(
        "import_problem.hint_zone",
        name="CGCS2000 / 3-degree Gauss-Kruger CM 114E",
        code="EPSG:4547",
    )
    note = Note("import_problem.not_degrees", crs="WGS 84", xs="1-2", ys="3-4", hint=hint)
    assert note.startswith("the coordinates are not longitude/latitude") and "EPSG:4547" in note
    assert shown(note, "zh").endswith("：请将坐标系设为 EPSG:4547")
    assert shown(Note("import_problem.no_parent", parent="compound", id="K9"), "zh") == (
        "没有编号为“K9”的小区"
    )
    assert (
        shown(Note("import_problem.exceeds", column="elderly"), "zh")
        == "不能大于老年人（文件中的值）"
    )
    geometry = Note(
        "import_problem.wrong_geometry",
        geometry="Point",
        table="building",
        geometries="Polygon / MultiPolygon",
    )
    assert shown(geometry, "zh") == "是点，楼栋需要面 / 多面"
    assert shown(geometry, "en") == "is a Point; building needs Polygon / MultiPolygon"  # as str
    assert shown(Note("import_problem.no_parent", parent="compound", id="K9"), "en") == (
        "no compound 'K9'"  # a table's code, not the export list's plural heading
    )
    again = pickle.loads(pickle.dumps(note))
    assert isinstance(again, Note) and again == note and shown(again, "zh") == shown(note, "zh")
