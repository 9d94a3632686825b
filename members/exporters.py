from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from branches.models import Organization
from exports.base import ListExporter, register

from . import selectors
from .models import DuesCategory, Education, Gender, Member, MemberStatus

# Flags the roster filters by (the `flag` parameter), as on the roster page.
FLAGS = {
    "mobile": "is_mobile",
    "elderly": "is_elderly_infirm",
    "hardship": "is_hardship",
    "excluded": "quorum_excluded",
}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register
class MemberExporter(ListExporter):
    """花名册: the people the user can see, protected values masked whatever the user's role (a full
    身份证号 or phone is shown one at a time, audited, on the member's page — never in bulk).

    Params (strings, as the roster page posts them): `within` (an organisation: its subtree),
    `branch`, `party_group`, `status` (a status, "all", or empty for everyone the branch still
    looks after), `dues_category`, `flag`."""

    code = "members"
    label = _("花名册")
    sheet_title = "花名册"

    # values_list columns: no model instances, no decryption (the ciphertext is never even read).
    columns = (
        "branch__name",
        "party_group__name",
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "education",
        "id_masked",
        "phone_masked",
        "status",
        "dues_category",
        "applied_on",
        "activist_on",
        "target_on",
        "admitted_on",
        "probation_end_on",
        "regularised_on",
        "is_mobile",
        "is_elderly_infirm",
        "is_hardship",
        "quorum_excluded",
        "quorum_exclusion_reason",
    )

    def headers(self):
        return [
            _("所在支部"),
            _("党小组"),
            _("姓名"),
            _("性别"),
            _("民族"),
            _("出生日期"),
            _("学历"),
            _("身份证号"),
            _("手机号码"),
            _("政治面貌"),
            _("党费类别"),
            _("递交入党申请书日期"),
            _("确定为入党积极分子日期"),
            _("确定为发展对象日期"),
            _("入党日期"),
            _("预备期满日期"),
            _("转正日期"),
            _("流动党员"),
            _("老弱病残"),
            _("困难党员"),
            _("不计入应到会人数"),
            _("不计入应到会人数的原因"),
        ]

    def queryset(self, user, params):
        """The roster's own filters and search (members.selectors.roster), so an export holds
        exactly the rows the page showed."""
        within = _int(params.get("within"))
        anchor = None
        if within is not None:
            anchor = Organization.objects.visible_to(user).filter(pk=within).first()
            if anchor is None:
                return Member.objects.none()
        group = _int(params.get("party_group"))
        qs = selectors.roster(
            Member.objects.visible_to(user),
            q=params.get("q") or "",
            status=params.get("status") or "",
            dues_category=params.get("dues_category") or "",
            flag=params.get("flag") or "",
            within=anchor,
        )
        if group is not None:
            qs = qs.filter(party_group_id=group)
        branch = _int(params.get("branch"))
        if branch is not None:
            qs = qs.filter(branch_id=branch)
        return qs

    def iterate_rows(self, user, params):
        labels = {
            "gender": {v: str(label) for v, label in Gender.choices},
            "education": {v: str(label) for v, label in Education.choices},
            "status": {v: str(label) for v, label in MemberStatus.choices},
            "dues_category": {v: str(label) for v, label in DuesCategory.choices},
        }
        yes, no = gettext("是"), gettext("否")
        qs = (
            self.queryset(user, params)
            .order_by("branch__path", "name", "pk")
            .values_list(*self.columns)
            .iterator(chunk_size=2000)
        )
        for (
            branch,
            group,
            name,
            gender,
            ethnicity,
            birth_date,
            education,
            id_masked,
            phone_masked,
            status,
            dues_category,
            applied_on,
            activist_on,
            target_on,
            admitted_on,
            probation_end_on,
            regularised_on,
            *flags,
            reason,
        ) in qs:
            yield [
                branch,
                group or "",
                name,
                labels["gender"].get(gender, gender),
                ethnicity,
                birth_date,
                labels["education"].get(education, education),
                id_masked,
                phone_masked,
                labels["status"].get(status, status),
                labels["dues_category"].get(dues_category, dues_category),
                applied_on,
                activist_on,
                target_on,
                admitted_on,
                probation_end_on,
                regularised_on,
                *(yes if flag else no for flag in flags),
                reason,
            ]
