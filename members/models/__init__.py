from .development import (
    Assessment,
    DevelopmentRule,
    DevelopmentRuleCode,
    DevelopmentStep,
    Stage,
    StatusChange,
)
from .imports import RosterImport
from .member import (
    ACTIVE_STATUSES,
    CURRENT_STATUSES,
    PIPELINE_STATUSES,
    DuesCategory,
    Education,
    Gender,
    Member,
    MemberQuerySet,
    MemberStatus,
)
from .transfers import (
    MobileDirection,
    MobileRecord,
    MobileReport,
    Transfer,
    TransferDirection,
    TransferStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CURRENT_STATUSES",
    "PIPELINE_STATUSES",
    "Assessment",
    "DevelopmentRule",
    "DevelopmentRuleCode",
    "DevelopmentStep",
    "DuesCategory",
    "Education",
    "Gender",
    "Member",
    "MemberQuerySet",
    "MemberStatus",
    "MobileDirection",
    "MobileRecord",
    "MobileReport",
    "RosterImport",
    "Stage",
    "StatusChange",
    "Transfer",
    "TransferDirection",
    "TransferStatus",
]
