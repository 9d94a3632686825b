"""The dues calculator: a member's monthly amount from category and income, by the rule tables.

党费规定 (2008): in service ≤3000 → 0.5 %, ≤5000 → 1 %, ≤10000 → 1.5 %, above → 2 % (upper bounds
inclusive); retired ≤5000 → 0.5 %, above → 1 %; 年薪制 the month's actual pay and 个体 the previous
quarter's average monthly net income, both on the in-service table; farmers a fixed ¥0.20–1.00 set
by the branch; students, the unemployed and people on relief ¥0.20. Rounded to the fen by the
policy's rounding mode (half-up by default)."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from members.models import DuesCategory

from .models import BranchDuesSetting, Calculation, DuesBracket, DuesPolicy

# Above this a "monthly income" is a typing error (a yearly figure, extra digits), not a salary.
MAX_INCOME = Decimal("10000000.00")
INCOME_CATEGORIES = {
    DuesCategory.IN_SERVICE: "in_service",
    DuesCategory.ANNUAL_SALARY: "in_service",
    DuesCategory.SELF_EMPLOYED: "in_service",
    DuesCategory.RETIRED: "retired",
}
FIXED_CATEGORIES = (DuesCategory.STUDENT, DuesCategory.UNEMPLOYED, DuesCategory.RELIEF)


def parse_category(value, field="category"):
    value = (value or "").strip()
    if value not in DuesCategory.values:
        raise ValidationError(
            {
                field: _("未知的党费类别：%(value)s。可选：%(codes)s。")
                % {"value": value or "—", "codes": ", ".join(DuesCategory.values)}
            }
        )
    return value


def parse_income(value, field="income", *, required=True):
    """A monthly income in yuan: a decimal with at most two places, 0 to 10,000,000."""
    if value is None or str(value).strip() == "":
        if required:
            raise ValidationError({field: _("请填写月收入（income）。")})
        return None
    try:
        income = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError({field: _("月收入（income）应为数字，如 4500.00。")}) from None
    if not income.is_finite():
        raise ValidationError({field: _("月收入（income）应为数字，如 4500.00。")})
    if income < 0:
        raise ValidationError({field: _("月收入（income）不能为负数。")})
    if income > MAX_INCOME:
        raise ValidationError(
            {field: _("月收入（income）过大（上限 %(max)s 元），请核对。") % {"max": MAX_INCOME}}
        )
    if income != income.quantize(Decimal("0.01")):
        raise ValidationError({field: _("月收入（income）最多保留两位小数。")})
    return income.quantize(Decimal("0.01"))


def _bracket_label(lower, upper):
    if lower is None and upper is None:
        return _("全部")
    if lower is None:
        return _("%(upper)s元及以下") % {"upper": upper}
    if upper is None:
        return _("%(lower)s元以上") % {"lower": lower}
    return _("%(lower)s元以上至%(upper)s元") % {"lower": lower, "upper": upper}


def calculate(category, income=None, *, org=None, on=None):
    """The monthly amount for `category` and `income` under the rules in force for `org` (None:
    the national defaults) on a date. Raises ValidationError naming `income` when it is needed and
    missing."""
    policy = DuesPolicy.for_org(org, on)
    if category in INCOME_CATEGORIES:
        if income is None:
            raise ValidationError({"income": _("请填写月收入（income）。")})
        table = INCOME_CATEGORIES[category]
        rows = DuesBracket.table_for(table, org, on)
        lower = None
        for row in rows:
            if row.upper_bound is None or income <= row.upper_bound:
                amount = policy.round(income * row.rate)
                rule = {
                    "kind": "bracket",
                    "table": table,
                    "lower_exclusive": str(lower) if lower is not None else None,
                    "upper_inclusive": str(row.upper_bound) if row.upper_bound is not None else None,
                    "description": _("%(bracket)s按%(pct)s%%交纳")
                    % {"bracket": _bracket_label(lower, row.upper_bound), "pct": _percent(row.rate)},
                    "effective_from": row.effective_from.isoformat(),
                    "source": row.source,
                    "rounding": policy.rounding,
                }
                return Calculation(category, income, row.rate, amount, rule)
            lower = row.upper_bound
        raise ValidationError({"category": _("没有适用的党费比例档次，请联系管理员配置规则表。")})
    if category == DuesCategory.FARMER:
        setting = BranchDuesSetting.for_org(org, on) if org is not None else None
        amount = setting.farmer_amount if setting is not None else policy.farmer_min
        description = _("农民党员每月%(min)s元至%(max)s元，由支部确定") % {
            "min": policy.farmer_min,
            "max": policy.farmer_max,
        }
        rule = {
            "kind": "fixed",
            "description": description,
            "source": policy.source,
            "rounding": policy.rounding,
        }
        return Calculation(category, income, None, policy.round(amount), rule)
    description = _("学生、下岗失业、抚恤救济人员每月%(amount)s元") % {"amount": policy.fixed_amount}
    rule = {"kind": "fixed", "description": description, "source": policy.source, "rounding": policy.rounding}
    return Calculation(category, income, None, policy.round(policy.fixed_amount), rule)


def _percent(rate):
    value = (rate * 100).normalize()
    return f"{value:f}"


def needs_income(category):
    return category in INCOME_CATEGORIES
