"""Forms for dues pages. Field names match the service arguments, so a service's ValidationError
lands on the field it names (branches.forms.apply_errors)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import ACTIVE_STATUSES, DuesCategory, Member

from .models import Channel, ExemptionKind, PaymentKind, parse_period

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})


class PeriodField(forms.CharField):
    """A month as "YYYY-MM", cleaned to the integer period."""

    widget = MONTH

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value // 12:04d}-{value % 12 + 1:02d}"
        return value

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        period = parse_period(value)
        if period is None:
            raise forms.ValidationError(_("月份的格式应为YYYY-MM，如2026-05。"))
        return period


class CalculatorForm(forms.Form):
    category = forms.ChoiceField(
        label=_("党费类别"), choices=DuesCategory.choices, initial=DuesCategory.IN_SERVICE
    )
    income = forms.CharField(
        label=_("月收入（元）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "4500.00"}),
        help_text=_("在职：税后工资收入；离退休：养老金；年薪制：当月实发；个体：上季度月平均纯收入"),
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=12, decimal_places=2, min_value=0)
    paid_on = forms.DateField(label=_("交纳日期"), widget=DATE)
    channel = forms.ChoiceField(label=_("交纳方式"), choices=Channel.choices, initial=Channel.CASH)
    kind = forms.ChoiceField(label=_("类型"), choices=PaymentKind.choices, initial=PaymentKind.REGULAR)
    is_proxy = forms.BooleanField(label=_("代交"), required=False)
    payer_name = forms.CharField(label=_("代交人"), max_length=50, required=False)
    proxy_reason = forms.CharField(label=_("代交原因"), max_length=200, required=False)
    collector_member = forms.ModelChoiceField(
        label=_("收缴人"),
        queryset=Member.objects.none(),
        required=False,
        help_text=_("收取这笔党费的本支部党员；默认为登记人本人"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, allow_proxy=True, branch=None, user=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("paid_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        if branch is not None:
            members = Member.objects.filter(branch=branch, status__in=ACTIVE_STATUSES).order_by("name", "pk")
            self.fields["collector_member"].queryset = members
            if user is not None and "collector_member" not in self.initial:
                self.initial["collector_member"] = (
                    members.filter(user=user).values_list("pk", flat=True).first()
                )
        else:
            del self.fields["collector_member"]
        if not allow_proxy:
            for name in ("is_proxy", "payer_name", "proxy_reason"):
                del self.fields[name]


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲销原因"), max_length=200)


class BaseForm(forms.Form):
    category = forms.ChoiceField(label=_("党费类别"), choices=DuesCategory.choices)
    income = forms.CharField(
        label=_("月收入基数（元）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("应发工资扣除个税、社保、公积金和年金后的数额；学生、农民等固定金额类别留空"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class AdjustmentForm(forms.Form):
    category = forms.ChoiceField(label=_("党费类别"), choices=DuesCategory.choices)
    income = forms.CharField(label=_("调整后月收入基数（元）"), required=False)
    from_period = PeriodField(label=_("自月份起"))
    reason = forms.CharField(label=_("调整原因"), max_length=200)


class ExemptionForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ExemptionKind.choices)
    reduced_amount = forms.CharField(label=_("少交后每月（元）"), required=False, help_text=_("免交留空"))
    start_period = PeriodField(label=_("起始月份"))
    end_period = PeriodField(label=_("截止月份"))
    reason = forms.CharField(label=_("原因"), max_length=200)
    decided_on = forms.DateField(label=_("支部决定日期"), widget=DATE)


class RemittanceForm(forms.Form):
    start_period = PeriodField(label=_("起始月份"))
    end_period = PeriodField(label=_("截止月份"), help_text=_("一个月，或一个季度（如2026-04至2026-06）"))
    amount = forms.DecimalField(
        label=_("上缴金额（元）"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("留空按该期间实收金额"),
    )
    remitted_on = forms.DateField(label=_("上缴日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class BaseImportForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class PeriodRangeForm(forms.Form):
    start = PeriodField(label=_("起始月份"), required=False)
    end = PeriodField(label=_("截止月份"), required=False)


class PolicyOverrideForm(forms.Form):
    effective_from = forms.DateField(label=_("生效日期"), widget=DATE)
    allow_proxy = forms.BooleanField(label=_("允许代交"), required=False)
    allow_quarterly = forms.BooleanField(label=_("允许按季度交纳"), required=False)
    allow_makeup = forms.BooleanField(label=_("允许补交"), required=False)
    makeup_max_months = forms.IntegerField(label=_("补交最多（月）"), min_value=1, max_value=6)
    allow_prepay = forms.BooleanField(label=_("允许预交"), required=False)
    prepay_max_months = forms.IntegerField(label=_("预交最多（月）"), min_value=1, max_value=6)
    reason = forms.CharField(label=_("调整理由"), max_length=200, help_text=_("如：依据本地党费管理规定"))
