"""Property companies' scorecards (物业企业评价): Zhengzhou Huiji's rating of the companies
that manage compounds, one row per company and month, and the residents' periodic evaluation
(党员居民定期评议) that feeds it.

A company is the name in ``property_management.company`` of the compounds whose mode is
``company``; ``property_company`` adds its co-building agreement (共建协议) and party branch.
Which company served a compound when is ``property_tenure`` (:mod:`mapgov.domain.tenure`):
a month counts a compound (its households, fee collection rate and evaluations) for the
company that served it on the month's last counted day, and each property issue for the
company serving its compound on the day it was reported (its resolution and callbacks go
with it, whenever they came). A company that served no compound on a month's last counted day
has no row that month. A tenure seeded by the migration to schema 8 has no known start: it
counts for every earlier month, as the scorecard did before tenures were recorded.

The figures of a month (the 1st to its last day; a month under way is counted **to date**,
the 1st to today, and says so in ``to_date``):

- **compounds** and **households** (the sum of the compounds' buildings' households);
- **property issues per 100 households**: issues of :data:`PROPERTY_CATEGORIES` reported in
  the month in the company's compounds, per 100 households (unknown without households);
- **on-time share**: the issue page's and wall's on-time rate (:mod:`mapgov.domain.kpi`) over
  the company's property issues: of those resolved in the month (``resolved_at``, else
  ``closed_at``, within the month), the share resolved on or before their deadline (one
  without a deadline is not on time); unknown when none was resolved;
- **satisfaction**: as :mod:`mapgov.domain.kpi` reads it, of the callbacks (回访) made in the
  month on those issues, the share not followed by a reopening (rated satisfied or basically
  satisfied); unknown without callbacks;
- **fee collection rate**: the households-weighted mean of the compounds' known
  ``fee_collection_rate`` (a present state of each compound: the same in every month);
- **evaluation score**: residents' evaluations are periodic (quarterly), so a month reads each
  compound's latest evaluation of this company in the :data:`EVALUATION_MONTHS` months up to
  it, and takes their mean weighted by respondents; unknown when no compound has one;
- **party branch**: a compound the company serves now is red property or names a property
  branch, or ``property_company.branch_id`` is set (a present state);
- **agreement**: ``property_company.agreement_signed_on`` on or before the month's last day.

**Composite score** (综合评分, 0-100): the weighted mean of the known parts of
:data:`WEIGHTS` (evaluation 30, on-time 20, satisfaction 20, complaints 20, fees 10), each on
0-100: the evaluation score itself, the shares times 100, and for complaints 100 less 20
points per property issue per 100 households (not below 0: five or more score 0). A company
with fewer than :data:`MIN_PARTS` known parts gets no score. **Rank** 1 is the highest score
(ties share a rank); unscored companies have no rank and come last. The party branch and the
agreement are shown beside the score, not counted in it.

Unknown stays unknown (NaN), never 0.
"""

# the package's names are its modules' public names, listed once in each module's __all__
from mapgov.domain.scorecard import edits, figures
from mapgov.domain.scorecard.edits import *  # noqa: F403
from mapgov.domain.scorecard.figures import *  # noqa: F403

__all__ = [*edits.__all__, *figures.__all__]
