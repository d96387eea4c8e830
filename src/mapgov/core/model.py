"""The vocabulary of compound governance, named as in docs/domain.md.

Only names and rules live here (no I/O). Display labels in Chinese and English are in the
``locales`` catalogues under the key ``<enum>.<value>``, e.g. ``status.assigned``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "ACCOUNT_ROLES",
    "ACTIVE_PROJECT",
    "ALLOWED_TRANSITIONS",
    "DESK_SOURCES",
    "HELP_CATEGORIES",
    "LEVEL_ORDER",
    "NEED_TRANSITIONS",
    "PROJECT_TRANSITIONS",
    "RELATED_KINDS",
    "SCHEMA_VERSION",
    "UNRESOLVED",
    "WISH_TRANSITIONS",
    "AuditKind",
    "CallbackRating",
    "CoAction",
    "CoEntity",
    "CoopKind",
    "DeliberationParty",
    "EventAction",
    "FacilityKind",
    "IssueCategory",
    "IssueChannel",
    "IssueSource",
    "IssueStatus",
    "LanduseKind",
    "Level",
    "MatterAction",
    "MatterStatus",
    "NeedStatus",
    "PartyLevel",
    "ProjectStatus",
    "PropertyMode",
    "RoadKind",
    "Role",
    "ServiceKind",
    "ServiceStatus",
    "Star",
    "UnitKind",
    "VolunteerKind",
    "WishStatus",
]

# 2: app_user, change_log; 3: micro_wish, volunteer_event, co_event, versions and timestamps on
# needs and projects, a project's satisfaction rating in place of its 1-5 score; 4: accounts
# (login, password hash, enabled, version on app_user), display_token, auth_session, audit_log;
# 5: email and OpenID subject on accounts; 6: reports from the field (issue.channel, issue.ticket,
# issue_photo, IssueSource.QR_CODE, AuditKind.FIELD_REPORT); 7: deliberation and evaluation
# (deliberation with its rounds, attendees, issues and history; property_company,
# property_evaluation; member_registration, member_service; the help categories of the ledger);
# 8: property_tenure (which company served a compound when, for the scorecard's past months)
SCHEMA_VERSION: Final = 8


class Level(StrEnum):
    """Where an issue is handled; also the place hierarchy below the street."""

    COMPOUND = "compound"
    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"


LEVEL_ORDER: Final = (Level.COMPOUND, Level.GRID, Level.COMMUNITY, Level.STREET)


class IssueStatus(StrEnum):
    """Lifecycle of an issue in the ledger (问题台账)."""

    REPORTED = "reported"  # 收集
    ASSIGNED = "assigned"  # 分派
    IN_PROGRESS = "in_progress"  # 办理
    RESOLVED = "resolved"  # 办结
    CALLBACK = "callback"  # 回访
    CLOSED = "closed"  # 销号


# status -> statuses an action may move it to. Escalation hands an assigned or in-progress
# issue one level up (status "assigned" again, at the higher level, with a new deadline);
# "callback" with an unsatisfied rating goes back to "assigned" (reopened); only an issue that
# had its callback may be closed.
ALLOWED_TRANSITIONS: Final[dict[IssueStatus, frozenset[IssueStatus]]] = {
    IssueStatus.REPORTED: frozenset({IssueStatus.ASSIGNED}),
    IssueStatus.ASSIGNED: frozenset({IssueStatus.IN_PROGRESS, IssueStatus.ASSIGNED}),
    IssueStatus.IN_PROGRESS: frozenset({IssueStatus.RESOLVED, IssueStatus.ASSIGNED}),
    IssueStatus.RESOLVED: frozenset({IssueStatus.CALLBACK}),
    IssueStatus.CALLBACK: frozenset({IssueStatus.CLOSED, IssueStatus.ASSIGNED}),
    IssueStatus.CLOSED: frozenset(),
}


# An open issue is one not yet closed; an overdue one is still unresolved (reported, assigned
# or in progress) after its deadline: a resolved issue awaiting its callback is not overdue.
UNRESOLVED: Final = frozenset({IssueStatus.REPORTED, IssueStatus.ASSIGNED, IssueStatus.IN_PROGRESS})


class EventAction(StrEnum):
    """What an entry in an issue's append-only history records."""

    REPORT = "report"
    ASSIGN = "assign"
    START = "start"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    CALLBACK = "callback"
    REOPEN = "reopen"
    CLOSE = "close"
    COMMENT = "comment"


class CallbackRating(StrEnum):
    """A resident's rating at the callback (回访)."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


class IssueSource(StrEnum):
    """How an issue reached the ledger."""

    BUILDING_HEAD = "building_head"  # 楼栋长收集
    GRID_WORKER = "grid_worker"  # 网格员巡查
    HOTLINE_12345 = "hotline_12345"  # 12345 热线
    WISH_WALL = "wish_wall"  # 心愿墙 / 微心愿
    DELIBERATION = "deliberation"  # 居民议事会
    WALK_IN = "walk_in"  # 来访
    QR_CODE = "qr_code"  # 扫码报事: a resident scanned the building's QR code


DESK_SOURCES: Final = tuple(s for s in IssueSource if s is not IssueSource.QR_CODE)
"""The sources an issue logged at a desk may name (a QR code is scanned on the phone page)."""


class IssueChannel(StrEnum):
    """Where an issue was entered: at a desk (the issue page, an import) or from the field
    (the phone page ``/report``, by a grid worker or a resident)."""

    DESK = "desk"  # 台账录入
    PHONE = "phone"  # 手机报事


class IssueCategory(StrEnum):
    """Categories seen in the reports (docs/domain.md)."""

    PROPERTY_SERVICE = "property_service"
    SANITATION = "sanitation"
    PARKING = "parking"
    ELEVATOR = "elevator"
    WATER_PIPES = "water_pipes"
    LIGHTING = "lighting"
    SECURITY_THEFT = "security_theft"
    FIRE_ACCESS = "fire_access"
    ILLEGAL_CONSTRUCTION = "illegal_construction"
    STAIRWELL_CLUTTER = "stairwell_clutter"
    PETS = "pets"
    NEIGHBOUR_DISPUTE = "neighbour_dispute"
    PROPERTY_CERTIFICATE = "property_certificate"
    FACILITY_REPAIR = "facility_repair"
    ELDERLY_CARE = "elderly_care"
    SHARED_UTILITY_FEES = "shared_utility_fees"
    # small help within ten minutes (十分钟办事圈, 热心服务连心卡): see HELP_CATEGORIES
    HELP_UTILITY = "help_utility"  # 水电急修
    HELP_ACCESS = "help_access"  # 通道受阻
    HELP_LOST_FOUND = "help_lost_found"  # 失物招领
    HELP_ELDERLY = "help_elderly"  # 助老帮扶


HELP_CATEGORIES: Final = frozenset(
    {
        IssueCategory.HELP_UTILITY,
        IssueCategory.HELP_ACCESS,
        IssueCategory.HELP_LOST_FOUND,
        IssueCategory.HELP_ELDERLY,
    }
)
"""The help requests of the ledger: answered within ten minutes, timed from report to first
action (the ten-minute help circle, 十分钟办事圈)."""


class PropertyMode(StrEnum):
    """How a compound's property is managed."""

    COMPANY = "company"  # 物业公司
    OWNERS_COMMITTEE = "owners_committee"  # 业主委员会
    SELF_MANAGED = "self_managed"  # 物管会 / 自管
    NONE = "none"  # 无物业


class PartyLevel(StrEnum):
    """The four-level party grid, plus branches inside property companies."""

    STREET_COMMITTEE = "street_committee"  # 街道党工委
    COMMUNITY_COMMITTEE = "community_committee"  # 社区党委 / 党总支
    COMPOUND_BRANCH = "compound_branch"  # 小区党支部
    BUILDING_GROUP = "building_group"  # 楼栋党小组
    PROPERTY_BRANCH = "property_branch"  # 物业企业党支部 (红色物业)


class Star(StrEnum):
    """The five named stars of the five-star branch rating (五星支部创建)."""

    STRONG_BRANCH = "strong_branch"  # 支部过硬
    SERVING_PEOPLE = "serving_people"  # 服务为民
    SAFETY_RULE_OF_LAW = "safety_rule_of_law"  # 平安法治
    CIVILITY_HAPPINESS = "civility_happiness"  # 文明幸福
    CO_BUILDING_SHARING = "co_building_sharing"  # 共建共享


class FacilityKind(StrEnum):
    """The nine kinds of the ten-minute life circle."""

    PARTY_SERVICE_CENTER = "party_service_center"  # 党群服务中心/站
    CANTEEN = "canteen"  # 幸福食堂/助餐点
    CLINIC = "clinic"  # 社区卫生服务站
    KINDERGARTEN = "kindergarten"  # 幼儿园
    PRIMARY_SCHOOL = "primary_school"  # 小学
    ELDERLY_CARE = "elderly_care"  # 养老服务站
    MARKET = "market"  # 菜市场/超市
    SPORTS_CULTURE = "sports_culture"  # 文体活动场地
    CONVENIENCE_SERVICE = "convenience_service"  # 便民服务点


class RoadKind(StrEnum):
    """Pieces of the walkable network."""

    ARTERIAL = "arterial"  # 主干路
    SECONDARY = "secondary"  # 次干路
    BRANCH = "branch"  # 支路
    BRIDGE = "bridge"  # 桥
    GATE_LINK = "gate_link"  # 小区出入口连接
    PATH = "path"  # 步行道: compound paths, footways, steps, service lanes


class LanduseKind(StrEnum):
    """Land use drawn under the compounds (the base map's water, parks and grounds)."""

    WATER = "water"  # 水域
    PARK = "park"  # 公园绿地
    SCHOOL = "school"  # 学校用地
    SERVICE = "service"  # 公共服务用地
    MARKET = "market"  # 市场用地


class UnitKind(StrEnum):
    """Resident units (驻区单位) of the co-building alliance."""

    UNIVERSITY = "university"
    INSTITUTE = "institute"
    COMPANY = "company"
    AGENCY = "agency"
    HOSPITAL = "hospital"
    SCHOOL = "school"


class NeedStatus(StrEnum):
    """A community need on the needs list (需求清单)."""

    OPEN = "open"  # 待对接: waiting for a unit
    MATCHED = "matched"  # 已对接: a project serves it
    DONE = "done"  # 已完成: its project was completed
    CANCELLED = "cancelled"  # 已撤销: withdrawn by the community


class ProjectStatus(StrEnum):
    """A project on the project list (项目清单): a need paired with a resident unit."""

    PAIRED = "paired"  # 已配对: the joint meeting paired them
    CLAIMED = "claimed"  # 已认领: the unit took it on
    IN_PROGRESS = "in_progress"  # 实施中
    COMPLETED = "completed"  # 已完成
    RATED = "rated"  # 已评价: residents rated it (satisfied / basically / unsatisfied)
    CANCELLED = "cancelled"  # 已终止: dropped before completion; its need is open again


class WishStatus(StrEnum):
    """A resident's micro-wish (微心愿) on the wish wall."""

    POSTED = "posted"  # 待认领
    CLAIMED = "claimed"  # 已认领: a party member, cadre or unit will fulfil it
    COMPLETED = "completed"  # 已圆梦
    CANCELLED = "cancelled"  # 已撤销


# Co-building lifecycles: status -> statuses a step may move it to. A need goes back to open
# when its project is cancelled or residents rate the finished project unsatisfied (as an
# unsatisfied callback reopens an issue); "in_progress" -> "in_progress" is a progress report.
NEED_TRANSITIONS: Final[dict[NeedStatus, frozenset[NeedStatus]]] = {
    NeedStatus.OPEN: frozenset({NeedStatus.MATCHED, NeedStatus.CANCELLED}),
    NeedStatus.MATCHED: frozenset({NeedStatus.DONE, NeedStatus.OPEN}),
    NeedStatus.DONE: frozenset({NeedStatus.OPEN}),
    NeedStatus.CANCELLED: frozenset(),
}
PROJECT_TRANSITIONS: Final[dict[ProjectStatus, frozenset[ProjectStatus]]] = {
    ProjectStatus.PAIRED: frozenset({ProjectStatus.CLAIMED, ProjectStatus.CANCELLED}),
    ProjectStatus.CLAIMED: frozenset({ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED}),
    ProjectStatus.IN_PROGRESS: frozenset(
        {ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED, ProjectStatus.CANCELLED}
    ),
    ProjectStatus.COMPLETED: frozenset({ProjectStatus.RATED}),
    ProjectStatus.RATED: frozenset(),
    ProjectStatus.CANCELLED: frozenset(),
}
WISH_TRANSITIONS: Final[dict[WishStatus, frozenset[WishStatus]]] = {
    WishStatus.POSTED: frozenset({WishStatus.CLAIMED, WishStatus.CANCELLED}),
    WishStatus.CLAIMED: frozenset({WishStatus.COMPLETED, WishStatus.CANCELLED}),
    WishStatus.COMPLETED: frozenset(),
    WishStatus.CANCELLED: frozenset(),
}
# A unit's load: its projects not yet completed or cancelled.
ACTIVE_PROJECT: Final = frozenset(
    {ProjectStatus.PAIRED, ProjectStatus.CLAIMED, ProjectStatus.IN_PROGRESS}
)


class CoEntity(StrEnum):
    """What an entry in the co-building history (``co_event``) is about."""

    NEED = "need"
    RESOURCE = "resource"
    PROJECT = "project"
    WISH = "wish"
    VOLUNTEER = "volunteer"


class CoAction(StrEnum):
    """What an entry in the co-building history records."""

    FILE = "file"  # a need or a resource is put on its list
    PAIR = "pair"  # the joint meeting pairs a need with a unit: the project is created
    CLAIM = "claim"  # a unit claims a project, or someone claims a wish
    PROGRESS = "progress"  # work starts on a project, or a progress report
    COMPLETE = "complete"
    RATE = "rate"  # residents rate a completed project
    CANCEL = "cancel"
    REOPEN = "reopen"  # a need is open again (project cancelled, or rated unsatisfied)
    POST = "post"  # a resident's wish goes on the wish wall
    LOG = "log"  # a volunteer event is recorded


class MatterStatus(StrEnum):
    """The four steps of a deliberation matter (四步法民主议事协商), as states.

    ``proposed``: the compound's branch has set the question (党支部出题) and it awaits the
    three parties; ``decided``: they deliberated and decided (三方议题), an answering unit and
    a due date are named; ``answered``: the unit answered (答题); ``settled``: residents rated
    the answer satisfied or basically satisfied (群众评题). Unsatisfied sends it back to
    ``proposed`` for another round; ``withdrawn`` ends it unanswered.
    """

    PROPOSED = "proposed"
    DECIDED = "decided"
    ANSWERED = "answered"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


class MatterAction(StrEnum):
    """What an entry in a deliberation's append-only history records."""

    PROPOSE = "propose"
    DELIBERATE = "deliberate"
    ANSWER = "answer"
    RATE = "rate"
    WITHDRAW = "withdraw"
    LINK_ISSUE = "link_issue"


class DeliberationParty(StrEnum):
    """The three parties of a deliberation (三方): whose positions a round records."""

    BRANCH = "branch"  # 小区党支部
    COMMITTEE = "committee"  # 业委会 / 物管会
    RESIDENTS = "residents"  # 居民代表


class ServiceKind(StrEnum):
    """Kinds of service tasks a party member takes (党员服务积分)."""

    VOLUNTEER = "volunteer"  # 志愿服务
    CO_PROJECT = "co_project"  # 共建项目
    ISSUE = "issue"  # 协助办理问题
    HELP = "help"  # 十分钟办事: 连心卡 help
    OTHER = "other"


class ServiceStatus(StrEnum):
    """Where a member's service task stands."""

    TAKEN = "taken"  # 已认领
    DONE = "done"  # 已完成
    DROPPED = "dropped"  # 已放弃


class VolunteerKind(StrEnum):
    """Kinds of volunteer service events (志愿服务活动)."""

    CLEAN_UP = "clean_up"  # 环境清洁
    ELDERLY_VISIT = "elderly_visit"  # 助老探访
    SAFETY_PATROL = "safety_patrol"  # 平安巡逻
    CIVILITY = "civility"  # 文明劝导
    PUBLICITY = "publicity"  # 政策宣传
    HEALTH = "health"  # 义诊健康
    CHILD_CARE = "child_care"  # 关爱儿童
    CULTURE = "culture"  # 文体活动
    REPAIR = "repair"  # 便民维修


class CoopKind(StrEnum):
    """What a resource offers and a need asks for on the three lists (三张清单)."""

    ELDERLY_HELP = "elderly_help"  # 助老
    CHILD_EDUCATION = "child_education"  # 青少年教育
    HEALTH_SERVICE = "health_service"  # 健康义诊
    CULTURE_SPORTS = "culture_sports"  # 文体活动
    ENVIRONMENT = "environment"  # 环境美化
    REPAIRS = "repairs"  # 维修改造
    LEGAL_AID = "legal_aid"  # 法律援助
    EMPLOYMENT = "employment"  # 就业帮扶
    VENUE_SHARING = "venue_sharing"  # 场地共享
    VOLUNTEERS = "volunteers"  # 志愿人力


# Need kind -> kinds of resource that serve it in part (an exact kind serves it fully): general
# volunteers help the elderly, tidy up, run activities and tutor; shared venues host activities
# and classes; a hospital's health checks help the elderly. Matching scores these lower.
RELATED_KINDS: Final[dict[CoopKind, frozenset[CoopKind]]] = {
    CoopKind.ELDERLY_HELP: frozenset({CoopKind.VOLUNTEERS, CoopKind.HEALTH_SERVICE}),
    CoopKind.CHILD_EDUCATION: frozenset({CoopKind.VOLUNTEERS, CoopKind.VENUE_SHARING}),
    CoopKind.HEALTH_SERVICE: frozenset(),
    CoopKind.CULTURE_SPORTS: frozenset({CoopKind.VENUE_SHARING, CoopKind.VOLUNTEERS}),
    CoopKind.ENVIRONMENT: frozenset({CoopKind.VOLUNTEERS}),
    CoopKind.REPAIRS: frozenset(),
    CoopKind.LEGAL_AID: frozenset(),
    CoopKind.EMPLOYMENT: frozenset({CoopKind.VENUE_SHARING}),
    CoopKind.VENUE_SHARING: frozenset(),
    CoopKind.VOLUNTEERS: frozenset(),
}


class Role(StrEnum):
    """Who is working: decides what a user may change and which personal data they see."""

    LEADER = "leader"  # 街道/社区领导: reads everything
    PLANNER = "planner"  # 规划人员: reads everything
    STAFF = "staff"  # 社区工作人员: works the issues of their own community
    ADMIN = "admin"  # 系统管理员: may change every community's issues
    DISPLAY = "display"  # 大屏: a wall screen's account, reads its street masked


ACCOUNT_ROLES: Final = (Role.LEADER, Role.PLANNER, Role.ADMIN, Role.STAFF, Role.DISPLAY)
"""Roles in the order accounts are listed: leaders first, wall screens last."""


class AuditKind(StrEnum):
    """What an entry of the append-only audit log records."""

    SIGN_IN = "sign_in"  # 登录
    SIGN_IN_FAILED = "sign_in_failed"  # 登录失败 (unknown login or wrong password)
    LOCKOUT = "lockout"  # 锁定: the failure that locks the login for a while
    SIGN_IN_LOCKED = "sign_in_locked"  # 锁定期间尝试登录
    SIGN_OUT = "sign_out"  # 退出
    PASSWORD_CHANGED = "password_changed"  # 修改密码 (by the person)
    PASSWORD_RESET = "password_reset"  # 重置密码 (by an admin or the command line)
    ACCOUNT_ADDED = "account_added"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_ENABLED = "account_enabled"
    ACCOUNT_CHANGED = "account_changed"  # role or scope
    TOKEN_ADDED = "token_added"
    TOKEN_REVOKED = "token_revoked"
    PERSONAL_DATA_VIEWED = "personal_data_viewed"  # 查看未脱敏的个人信息
    FIELD_REPORT = "field_report"  # 手机报事 (subject: the building; source: where from)
    REPORT_REFUSED = "report_refused"  # 报事过于频繁 (a rate limit refused it)
