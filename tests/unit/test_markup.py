"""A record's history as the pages list it (mapgov.views.markup): whole notes, escaped."""

from __future__ import annotations

import pandas as pd

from mapgov.core.i18n import label
from mapgov.core.model import (
    CallbackRating,
    CoAction,
    EventAction,
    IssueStatus,
    Level,
    ProjectStatus,
)
from mapgov.views.markup import Step, history_steps, steps_markdown

LONG = "脚手架已搭好，" * 30  # longer than any column a grid gives it


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "at": ["2026-10-21T10:29:05", "2026-10-24T09:54:00", "2026-11-03T08:34:59"],
            "actor": ["孙凤英", None, "<b>吴平丹</b>"],
            "action": ["pair", "progress", "rate"],
            "to_status": ["paired", "in_progress", None],
            "note": [LONG, None, "basically_satisfied: 居民说 *很好*\n下次再来"],
        }
    )


def test_every_step_is_listed_with_its_whole_note_in_words() -> None:
    steps = history_steps(_events(), actions=CoAction, states=ProjectStatus, lang="zh")
    assert [s.when for s in steps] == ["2026-10-21 10:29", "2026-10-24 09:54", "2026-11-03 08:34"]
    paired = f"{label(CoAction.PAIR)} → {label(ProjectStatus.PAIRED)}"
    assert steps[0] == Step("2026-10-21 10:29", f"孙凤英 · {paired}", LONG)
    assert steps[1].what == f"{label(CoAction.PROGRESS)} → {label(ProjectStatus.IN_PROGRESS)}"
    assert steps[2].what == f"<b>吴平丹</b> · {label(CoAction.RATE)}"  # no state after: none shown
    assert steps[2].note.startswith(label(CallbackRating.BASICALLY_SATISFIED, "zh"))


def test_the_list_shows_typed_text_as_text() -> None:
    text = steps_markdown(
        history_steps(_events(), actions=CoAction, states=ProjectStatus, lang="en")
    )
    lines = text.split("\n")
    assert len(lines) == 5  # three steps, two of them with a note beneath
    assert LONG in text  # whole
    assert "<b>" not in text and "\\<b\\>吴平丹\\</b\\>" in text
    assert "\\*很好\\*" in text and "下次再来" in lines[-1]  # a typed line break stays in its step
    assert steps_markdown([]) == ""


def test_an_issue_step_that_moves_it_up_a_level_says_from_where_to_where() -> None:
    events = pd.DataFrame(
        {
            "at": ["2026-11-01T09:00:00", "2026-11-02T09:00:00"],
            "actor": ["孙荣", "孙荣"],
            "action": ["assign", "escalate"],
            "to_status": ["assigned", "assigned"],
            "from_level": ["community", "community"],
            "to_level": ["community", "street"],
            "note": ["物业", "需要街道协调"],
        }
    )
    steps = history_steps(events, actions=EventAction, states=IssueStatus, levels=Level, lang="zh")
    assert " → " + label(Level.STREET) not in steps[0].what  # no move: none said
    escalated = f"{label(EventAction.ESCALATE)} → {label(IssueStatus.ASSIGNED)}"
    assert steps[1].what == f"孙荣 · {escalated} · {label(Level.COMMUNITY)} → {label(Level.STREET)}"
