"""The 25 steps of 发展党员 (发展党员工作细则 2014) as data: number, stage, name, and what completing
the step does to the person's record (status and key date). Time rules live in DevelopmentRule."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import MemberStatus, Stage


@dataclass(frozen=True)
class StepDef:
    no: int
    stage: Stage
    name: str
    sets_status: str | None = None  # status after this step is completed
    sets_date: str | None = None  # Member date field set to the step's date


STEPS = (
    StepDef(1, Stage.APPLICATION, _("递交入党申请书"), MemberStatus.APPLICANT, "applied_on"),
    StepDef(2, Stage.APPLICATION, _("党组织派人谈话")),
    StepDef(3, Stage.ACTIVIST, _("推荐和确定入党积极分子"), MemberStatus.ACTIVIST, "activist_on"),
    StepDef(4, Stage.ACTIVIST, _("报上级党委备案")),
    StepDef(5, Stage.ACTIVIST, _("指定培养联系人")),
    StepDef(6, Stage.ACTIVIST, _("培养教育考察")),
    StepDef(7, Stage.TARGET, _("确定发展对象"), MemberStatus.DEVELOPMENT_TARGET, "target_on"),
    StepDef(8, Stage.TARGET, _("报上级党委备案")),
    StepDef(9, Stage.TARGET, _("确定入党介绍人")),
    StepDef(10, Stage.TARGET, _("进行政治审查")),
    StepDef(11, Stage.TARGET, _("开展集中培训")),
    StepDef(12, Stage.ADMISSION, _("支部委员会审查")),
    StepDef(13, Stage.ADMISSION, _("上级党委预审")),
    StepDef(14, Stage.ADMISSION, _("填写入党志愿书")),
    StepDef(15, Stage.ADMISSION, _("支部大会讨论接收预备党员"), None, "admitted_on"),
    StepDef(16, Stage.ADMISSION, _("上级党委派人谈话")),
    StepDef(17, Stage.ADMISSION, _("上级党委审批"), MemberStatus.PROBATIONARY),
    StepDef(18, Stage.ADMISSION, _("再上一级党委组织部门备案")),
    StepDef(19, Stage.PROBATION, _("编入党支部和党小组")),
    StepDef(20, Stage.PROBATION, _("入党宣誓")),
    StepDef(21, Stage.PROBATION, _("继续教育考察")),
    StepDef(22, Stage.PROBATION, _("提出转正申请")),
    StepDef(23, Stage.PROBATION, _("支部大会讨论转正")),
    StepDef(24, Stage.PROBATION, _("上级党委审批转正"), MemberStatus.FULL, "regularised_on"),
    StepDef(25, Stage.PROBATION, _("材料归档")),
)
STEP_BY_NO = {step.no: step for step in STEPS}
