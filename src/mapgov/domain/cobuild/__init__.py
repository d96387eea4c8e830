"""Co-building (共建共享): resident units, the three lists, micro-wishes and volunteer service.

The street's party alliance joins resident units (驻区单位) to its communities: units file what
they can offer (resource list, 资源清单), communities file what residents need (needs list,
需求清单), a joint meeting pairs them into projects that units claim and carry out (project
list, 项目清单), and residents rate the result. Residents also post micro-wishes (微心愿) that
party members, cadres and units claim and fulfil, and communities record volunteer service.

Reading
-------
:func:`load` reads one street into :class:`CoFrames`. The figures are pure functions of it:
:func:`needs_by_status`, :func:`waiting_needs`, :func:`projects_by_status`,
:func:`unit_engagement`, :func:`wish_counts`, :func:`volunteer_monthly`, :func:`overview`,
:func:`wall_figures` (tiles shaped like :class:`mapgov.domain.kpi.Figure`), and for the map
:func:`need_points` and :func:`project_links`. Residents' names and phones on wishes come back
masked unless the user may see that community's personal data.

Matching
--------
:func:`rank_units` lists, for one need, the units with a resource that fits its kind, best
first, by a score from 0 to 1::

    score = 0.5 * fit + 0.3 * near + 0.2 * light
    fit   = 1 for a resource of the need's kind, 0.5 for a related kind
            (:data:`mapgov.core.model.RELATED_KINDS`, e.g. general volunteers for elderly help)
    near  = 1 / (1 + d / 1000 m), d = distance from the unit to the need's compound (or to its
            community when it names no compound), 0 inside it, measured in the UTM zone
    light = 1 / (1 + n), n = the unit's active projects (paired, claimed, in progress)

Ties go to the nearer unit, then the lower unit id. Units whose resources fit neither way are
not listed. Each :class:`Candidate` carries its :class:`Reason` s as catalogue keys with
parameters (:func:`reason_text` renders them). A person confirms a pairing with :func:`pair`.

Workflow and rights
-------------------
One function per step. Each checks the actor's rights and the lifecycle
(:data:`mapgov.core.model.NEED_TRANSITIONS`, ``PROJECT_TRANSITIONS``, ``WISH_TRANSITIONS``), then
writes the records, bumps their ``version`` and appends one ``co_event`` per record changed,
all in one transaction; a record changed since the version the user saw is refused
(:class:`~mapgov.core.errors.StaleEditError`) and nothing is written. Refusals are
:class:`~mapgov.core.errors.MapgovError` s with a catalogue key saying why.

=====================  ========================  =============================================
step                   function                  status change
=====================  ========================  =============================================
file a need            :func:`file_need`         need → open
file a resource        :func:`file_resource`     (the unit's resource list)
pair                   :func:`pair`              need open → matched; new project: paired
claim                  :func:`claim_project`     paired → claimed
progress               :func:`progress_project`  claimed → in progress; in progress: a report
complete               :func:`complete_project`  in progress → completed; need → done
residents' rating      :func:`rate_project`      completed → rated; unsatisfied: need → open
cancel a project       :func:`cancel_project`    paired/claimed/in progress → cancelled;
                                                 need → open
cancel a need          :func:`cancel_need`       open → cancelled
post a wish            :func:`post_wish`         wish → posted
claim a wish           :func:`claim_wish`        posted → claimed
complete a wish        :func:`complete_wish`     claimed → completed
cancel a wish          :func:`cancel_wish`       posted/claimed → cancelled
log volunteer service  :func:`log_volunteer`     (the community's volunteer record)
=====================  ========================  =============================================

Who may: the staff of the community concerned and the administrators of its street
(:func:`mapgov.domain.users.can_edit`) record every step; leaders and planners read. The community
concerned is the need's (for its projects too, wherever the unit sits), the wish's or
volunteer event's compound's, and for a resource the community the unit sits in (a unit
without one: its street's administrators). Units and
residents have no accounts: staff record what the joint meeting decided, what units report
and how residents rated the work (satisfied / basically satisfied / unsatisfied, as at an
issue's callback; "unsatisfied" puts the need back on the list).
"""

from __future__ import annotations

from mapgov.domain.cobuild.figures import (
    WALL_FIGURES,
    CoFrames,
    load,
    need_points,
    needs_by_status,
    overview,
    project_links,
    projects_by_status,
    unit_engagement,
    volunteer_monthly,
    waiting_needs,
    wall_figures,
    wish_counts,
)
from mapgov.domain.cobuild.matching import (
    FIT_EXACT,
    FIT_RELATED,
    NEAR_M,
    WEIGHTS,
    Candidate,
    Reason,
    match_open_needs,
    rank_units,
    reason_text,
)
from mapgov.domain.cobuild.projects import (
    cancel_need,
    cancel_project,
    claim_project,
    complete_project,
    pair,
    progress_project,
    rate_project,
)
from mapgov.domain.cobuild.wishes import (
    cancel_wish,
    claim_wish,
    complete_wish,
    post_wish,
)
from mapgov.domain.cobuild.workflow import (
    allowed_actions,
    file_need,
    file_resource,
    get,
    log_volunteer,
    timeline,
)

__all__ = [
    "FIT_EXACT",
    "FIT_RELATED",
    "NEAR_M",
    "WALL_FIGURES",
    "WEIGHTS",
    "Candidate",
    "CoFrames",
    "Reason",
    "allowed_actions",
    "cancel_need",
    "cancel_project",
    "cancel_wish",
    "claim_project",
    "claim_wish",
    "complete_project",
    "complete_wish",
    "file_need",
    "file_resource",
    "get",
    "load",
    "log_volunteer",
    "match_open_needs",
    "need_points",
    "needs_by_status",
    "overview",
    "pair",
    "post_wish",
    "progress_project",
    "project_links",
    "projects_by_status",
    "rank_units",
    "rate_project",
    "reason_text",
    "timeline",
    "unit_engagement",
    "volunteer_monthly",
    "waiting_needs",
    "wall_figures",
    "wish_counts",
]
