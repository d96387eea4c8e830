"""The four-step deliberation of a compound (四步法民主议事协商): one function per step.

A matter belongs to a compound. Its steps, as states (:class:`~mapgov.core.model.MatterStatus`):

1. :func:`propose` (党支部出题): the compound's branch sets the question. The branch secretary
   works through the community's staff account; the matter records who proposed it. The
   matter is ``proposed``, round 1.
2. :func:`deliberate` (三方议题): the three parties (branch, owners' or property committee,
   residents' representatives) meet; the round records each party's position, the minutes,
   how many attended, which party members attended (members of the community's branches and
   groups, or registered with it), the decision, the unit that must answer and by when (not
   before the meeting). The matter is ``decided``.
3. :func:`answer` (答题): the property company or department answers; staff enter its reply.
   The matter is ``answered``.
4. :func:`rate` (群众评题): residents rate the answer satisfied, basically satisfied or
   unsatisfied (staff record it). Satisfied or basically satisfied settle the matter;
   unsatisfied sends it back to ``proposed`` for another round (``round_no`` + 1).

:func:`withdraw` ends a ``proposed`` or ``decided`` matter unanswered (a reason is required);
:func:`link_issue` ties an issue of the same compound to the matter (the issues it settles).

Who may act: staff of the compound's community and admins of its street
(:func:`mapgov.domain.users.can_edit`), checked here from the signed-in user; leaders,
planners and wall screens read only. Every step takes the matter's ``version`` as its form
showed it and is refused, with nothing written, when someone saved first; it writes the
matter, its round and attendees or link, and one ``deliberation_event`` in one transaction
(:meth:`~mapgov.store.Store.edit`). Times are inputs (``at``): nothing here reads the clock.
Free text is stored as typed; pages escape it when they show it.

Here the public API; the steps are in :mod:`.workflow` and :mod:`.meeting`, reading (a
matter's rounds, history, lists and figures) in :mod:`.figures`.
"""

from __future__ import annotations

from mapgov.domain.deliberation.figures import (
    DelibFrames,
    community_figures,
    history,
    linked_issues,
    load,
    matter_list,
    recent_matters,
    rounds,
    step_days,
)
from mapgov.domain.deliberation.meeting import Meeting, community_members, deliberate
from mapgov.domain.deliberation.workflow import (
    MAX_TEXT,
    MAX_TITLE,
    STEPS,
    allowed_actions,
    answer,
    link_issue,
    matter,
    propose,
    rate,
    withdraw,
)

__all__ = [
    "MAX_TEXT",
    "MAX_TITLE",
    "STEPS",
    "DelibFrames",
    "Meeting",
    "allowed_actions",
    "answer",
    "community_figures",
    "community_members",
    "deliberate",
    "history",
    "link_issue",
    "linked_issues",
    "load",
    "matter",
    "matter_list",
    "propose",
    "rate",
    "recent_matters",
    "rounds",
    "step_days",
    "withdraw",
]
