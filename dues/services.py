"""Writes for dues: bases, adjustments, exemptions, payments (with reversal) and remittances.

Each service checks the user's scope, validates, runs in one transaction and writes an audit entry.
The ledger is append-only: a payment is reversed by a negative payment, never edited or deleted."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action, log_actions
from branches.models import BRANCH_KINDS, Organization
from branches.scoping import scope_for
from members.models import ACTIVE_STATUSES, DuesCategory, Member

from . import selectors
from .calculator import calculate, needs_income, parse_category
from .generation import reconcile_member
from .models import (
    FEN,
    AdjustmentStatus,
    BaseStatus,
    Channel,
    DuesBase,
    DuesBaseAdjustment,
    DuesExemption,
    DuesIncomeEntry,
    DuesObligation,
    DuesPayment,
    DuesPolicy,
    ExemptionKind,
    IncomeSource,
    PaymentAllocation,
    PaymentKind,
    PolicyStatus,
    ReceiptCounter,
    Remittance,
    RemittanceStatus,
    period_label,
    period_of,
    period_start,
)

MAX_PAYMENT = Decimal("1000000.00")


def _can_edit(user, branch):
    if not scope_for(user).can_edit(branch):
        raise PermissionDenied


def _supervise(user, org):
    """Approval belongs to the committee above (committee staff over the branch), not the branch."""
    if not scope_for(user).supervises(org):
        raise PermissionDenied


def _amount(value, field, *, allow_zero=False, maximum=MAX_PAYMENT):
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({field: _("请输入金额，如 12.50。")}) from None
    if not amount.is_finite() or amount != amount.quantize(FEN):
        raise ValidationError({field: _("金额最多保留两位小数。")})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field: _("金额应大于0。")})
    if amount > maximum:
        raise ValidationError({field: _("金额过大，请核对。")})
    return amount


# --- Bases ---------------------------------------------------------------------------------------


def _computed(member, year, category, income):
    category = parse_category(category)
    if needs_income(category):
        if income in (None, ""):
            raise ValidationError(
                {"income": _("%(cat)s党员请填写月收入基数。") % {"cat": member.get_dues_category_display()}}
            )
    else:
        income = None
    return category, calculate(category, income, org=member.branch, on=datetime.date(year, 1, 1))


def dues_base_save(*, user, member, year, category, income=None, note=""):
    """Enter or correct a member's yearly base (党费基数) before it is locked; the rate and the
    monthly amount come from the rule tables in force on 1 January of that year."""
    _can_edit(user, member.branch)
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("年度应为2000至2100之间的年份。")})
    if member.status not in ACTIVE_STATUSES:
        raise ValidationError({"member": _("只有正式党员和预备党员交纳党费。")})
    if income not in (None, ""):
        from .calculator import parse_income

        income = parse_income(income)
    category, calc = _computed(member, year, category, income)
    with transaction.atomic():
        base = DuesBase.objects.select_for_update().filter(member=member, year=year).first()
        if base is not None and base.is_locked:
            raise ValidationError(
                {"income": _("%(year)s年度基数已锁定，如需变更请提交调整申请。") % {"year": year}}
            )
        base = base or DuesBase(member=member, year=year)
        base.branch = member.branch
        base.category = category
        base.income = calc.income
        base.rate = calc.rate
        base.monthly_amount = calc.monthly_amount
        base.note = note
        base.status = BaseStatus.DRAFT
        base.verified_by = None
        base.verified_at = None
        base.save()
    return base


def dues_base_verify(*, user, base):
    _can_edit(user, base.branch)
    if base.status != BaseStatus.DRAFT:
        raise ValidationError(_("只有待核定的基数可以核定。"))
    base.status = BaseStatus.VERIFIED
    base.verified_by = user
    base.verified_at = timezone.now()
    base.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
    return base


def dues_bases_lock(*, user, branch, year):
    """Lock a branch's verified bases for a year (the January lock); drafts stay open and are
    reported. Returns (locked, still_draft)."""
    _can_edit(user, branch)
    now = timezone.now()
    with transaction.atomic():
        qs = DuesBase.objects.filter(branch=branch, year=year)
        locked = qs.filter(status=BaseStatus.VERIFIED).update(
            status=BaseStatus.LOCKED, locked_at=now, updated_at=now
        )
        drafts = qs.filter(status=BaseStatus.DRAFT).count()
        log_action(
            "dues.bases.locked", branch, actor=user, data={"year": year, "locked": locked, "drafts": drafts}
        )
    return locked, drafts


def lock_verified_bases(year):
    """Lock every verified base of `year` (the yearly task; drafts wait for verification)."""
    now = timezone.now()
    return DuesBase.objects.filter(year=year, status=BaseStatus.VERIFIED).update(
        status=BaseStatus.LOCKED, locked_at=now, updated_at=now
    )


def dues_base_adjust(*, user, base, category, income=None, from_period, reason):
    """A change to a locked base: the request, with its reason; the committee above approves."""
    _can_edit(user, base.branch)
    base = DuesBase.objects.select_related("member__branch").get(pk=base.pk)
    if not base.is_locked:
        raise ValidationError({"income": _("基数尚未锁定，可直接修改。")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写调整原因。")})
    if from_period // 12 != base.year:
        raise ValidationError({"from_period": _("调整起始月份应在%(year)s年度内。") % {"year": base.year}})
    if income not in (None, ""):
        from .calculator import parse_income

        income = parse_income(income)
    category, calc = _computed(base.member, base.year, category, income)
    return DuesBaseAdjustment.objects.create(
        base=base,
        category=category,
        income=calc.income,
        monthly_amount=calc.monthly_amount,
        previous_amount=selectors.amount_in_force(base, from_period),
        from_period=from_period,
        reason=reason.strip(),
        requested_by=user,
    )


def dues_base_adjustment_decide(*, user, adjustment, approve):
    """The committee above approves or rejects; an approval corrects the generated months from the
    adjustment's first month by reversing entries."""
    base = adjustment.base
    _supervise(user, base.branch)
    with transaction.atomic():
        adjustment = DuesBaseAdjustment.objects.select_for_update().get(pk=adjustment.pk)
        if adjustment.status != AdjustmentStatus.PENDING:
            raise ValidationError(_("该申请已处理。"))
        adjustment.status = AdjustmentStatus.APPROVED if approve else AdjustmentStatus.REJECTED
        adjustment.approved_by = user
        adjustment.approved_at = timezone.now()
        adjustment.save(update_fields=["status", "approved_by", "approved_at"])
        if approve:
            member_id, since = base.member_id, adjustment.from_period
            transaction.on_commit(lambda: reconcile_member(member_id, since, reason=_("党费基数调整")))
    return adjustment


# --- 年薪制 / 个体 income entries -------------------------------------------------------------------


def _income_rows(member, periods, source, income_period, income, user):
    from .calculator import parse_income
    from .generation import generated_periods

    income = parse_income(income)
    rows = []
    with transaction.atomic():
        for period in periods:
            calc = calculate(member.dues_category, income, org=member.branch, on=period_start(period))
            row, created = DuesIncomeEntry.objects.update_or_create(
                member=member,
                period=period,
                defaults={
                    "branch": member.branch,
                    "source": source,
                    "income_period": income_period,
                    "income": calc.income,
                    "rate": calc.rate,
                    "monthly_amount": calc.monthly_amount,
                    "entered_by": user,
                },
            )
            rows.append(row)
        log_action(
            "dues.income.entered",
            member,
            actor=user,
            data={
                "source": source,
                "income_period": period_label(income_period),
                "income": str(income),
                "months": {period_label(r.period): str(r.monthly_amount) for r in rows},
            },
        )
        first = min(periods)
        if generated_periods(first):
            member_id = member.pk
            transaction.on_commit(lambda: reconcile_member(member_id, first, reason=_("收入填报")))
    return rows


def dues_monthly_pay_save(*, user, member, period, income):
    """年薪制: the pay actually received in `period` sets that month's dues (in-service brackets)."""
    _can_edit(user, member.branch)
    if member.dues_category != DuesCategory.ANNUAL_SALARY:
        raise ValidationError({"member": _("%(name)s不是年薪制党员。") % {"name": member.name}})
    if period is None:
        raise ValidationError({"period": _("请填写月份。")})
    if period > period_of(timezone.localdate()):
        raise ValidationError({"period": _("只能填报本月及以前月份实际领取的工资。")})
    return _income_rows(member, [period], IncomeSource.MONTHLY_PAY, period, income, user)[0]


def dues_quarter_income_save(*, user, member, quarter, income):
    """个体: the average monthly net income of the quarter starting at period `quarter` sets the dues
    of each month of the following quarter. Returns the three rows."""
    _can_edit(user, member.branch)
    if member.dues_category != DuesCategory.SELF_EMPLOYED:
        raise ValidationError({"member": _("%(name)s不是个体党员。") % {"name": member.name}})
    if quarter is None or quarter % 3:
        raise ValidationError({"quarter": _("请选择季度。")})
    if quarter > period_of(timezone.localdate()):
        raise ValidationError({"quarter": _("该季度尚未开始。")})
    return _income_rows(
        member, [quarter + 3, quarter + 4, quarter + 5], IncomeSource.QUARTER_AVERAGE, quarter, income, user
    )


# --- Exemptions ----------------------------------------------------------------------------------


def dues_exemption_request(
    *, user, member, kind, start_period, end_period, reason, decided_on, reduced_amount=None
):
    """少交/免交: the branch's decision, with a reason and a period, for the committee to approve."""
    _can_edit(user, member.branch)
    errors = {}
    if kind not in ExemptionKind.values:
        errors["kind"] = _("请选择少交或免交。")
    if not (reason or "").strip():
        errors["reason"] = _("请填写原因。")
    if start_period is None:
        errors["start_period"] = _("请填写起始月份。")
    if end_period is None:
        errors["end_period"] = _("请填写截止月份。")
    elif start_period is not None and end_period < start_period:
        errors["end_period"] = _("截止月份不能早于起始月份。")
    if kind == ExemptionKind.REDUCE:
        if reduced_amount in (None, ""):
            errors["reduced_amount"] = _("少交请填写每月金额。")
        else:
            try:
                reduced_amount = _amount(reduced_amount, "reduced_amount")
            except ValidationError as exc:
                errors.update(exc.message_dict)
    else:
        reduced_amount = None
    if decided_on is None:
        errors["decided_on"] = _("请填写支部决定日期。")
    elif decided_on > timezone.localdate():
        errors["decided_on"] = _("决定日期不能晚于今天。")
    if errors:
        raise ValidationError(errors)
    return DuesExemption.objects.create(
        member=member,
        branch=member.branch,
        kind=kind,
        reduced_amount=reduced_amount,
        start_period=start_period,
        end_period=end_period,
        reason=reason.strip(),
        decided_on=decided_on,
        requested_by=user,
    )


def dues_exemption_decide(*, user, exemption, approve):
    _supervise(user, exemption.branch)
    with transaction.atomic():
        exemption = DuesExemption.objects.select_for_update().get(pk=exemption.pk)
        if exemption.status != AdjustmentStatus.PENDING:
            raise ValidationError(_("该申请已处理。"))
        exemption.status = AdjustmentStatus.APPROVED if approve else AdjustmentStatus.REJECTED
        exemption.approved_by = user
        exemption.approved_at = timezone.now()
        exemption.save(update_fields=["status", "approved_by", "approved_at"])
        if approve:
            member_id, since = exemption.member_id, exemption.start_period
            transaction.on_commit(lambda: reconcile_member(member_id, since, reason=_("少交免交获批")))
    return exemption


# --- Payments ------------------------------------------------------------------------------------


def _next_receipt(branch, year):
    counter, _created = ReceiptCounter.objects.get_or_create(branch=branch, year=year)
    counter = ReceiptCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}-{counter.last:05d}"


def _future_limit(policy, current):
    """How many months after the current one a payment may cover: prepayment (≤ 6) or, where only
    quarterly payment is allowed, the rest of the quarter."""
    months = 0
    if policy.allow_prepay:
        months = policy.prepay_max_months
    if policy.allow_quarterly:
        months = max(months, 2 - current % 3)
    return months


def plan_allocation(member, amount, *, today=None, policy=None):
    """[(period, amount)] for a regular payment: oldest month owed first, then the current month,
    then (where the policy allows) months ahead. Raises ValidationError on the `amount` field when
    the payment is more than may be paid now, or covers more past months than 补交 allows."""
    today = today or timezone.localdate()
    policy = policy or DuesPolicy.for_org(member.branch, today)
    current = period_of(today)
    ahead = _future_limit(policy, current)
    return _plan(
        amount,
        selectors.member_balances(member.pk),
        lambda: selectors.expected_amounts(member, range(current, current + ahead + 1)),
        policy,
        current,
    )


def _plan(amount, balances, expected_for, policy, current):
    """plan_allocation over a member's `balances` (selectors.member_balances); `expected_for()` gives
    the amounts of the months ahead not generated yet, asked for only when the months owed before
    the current one do not take the whole amount (a payment of arrears needs no forecast)."""
    ahead = _future_limit(policy, current)
    owed_before = [
        (period, row["due"] - row["paid"])
        for period, row in sorted(balances.items())
        if period < current and row["charged"] and row["due"] - row["paid"] > 0
    ]
    if sum(open_amount for _period, open_amount in owed_before) >= amount:
        candidates = owed_before  # the loop below stops before the current month
    else:
        expected = expected_for()
        candidates = []
        for period in sorted(set(balances) | set(expected)):
            if period in balances and balances[period]["charged"]:
                open_amount = balances[period]["due"] - balances[period]["paid"]
            elif period in expected and period >= current:
                open_amount = expected[period] - balances.get(period, {}).get("paid", Decimal("0"))
            else:
                continue
            if open_amount > 0:
                candidates.append((period, open_amount))
    plan, remaining = [], amount
    for period, open_amount in candidates:
        if remaining <= 0:
            break
        part = min(open_amount, remaining)
        plan.append((period, part))
        remaining -= part
    if remaining > 0:
        owed = amount - remaining
        if ahead:
            message = _("金额超出目前可交的%(owed)s元（含预交最多%(n)s个月）。") % {"owed": owed, "n": ahead}
        else:
            message = _("金额超出目前应交的%(owed)s元；本组织不允许预交。") % {"owed": owed}
        raise ValidationError({"amount": message})
    past = [p for p, _part in plan if p < current]
    limit = policy.makeup_max_months if policy.allow_makeup else 1
    if len(past) > limit:
        if policy.allow_makeup:
            message = _("一次补交最多%(n)s个月，本次涉及%(m)s个月，请分次登记。") % {
                "n": limit,
                "m": len(past),
            }
        else:
            message = _("本组织不允许一次补交多个月，请逐月登记。")
        raise ValidationError({"amount": message})
    return plan


def _payment_errors(amount, paid_on, channel, today):
    """(the amount as a Decimal, {field: message}) for a payment's amount, date and channel: the
    checks one payment and a batch of them share."""
    errors = {}
    try:
        amount = _amount(amount, "amount")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if paid_on is None:
        errors["paid_on"] = _("请填写交纳日期。")
    elif paid_on > today:
        errors["paid_on"] = _("交纳日期不能晚于今天。")
    if channel not in Channel.values:
        errors["channel"] = _("请选择交纳方式。")
    return amount, errors


def dues_payment_record(
    *,
    user,
    member,
    amount,
    paid_on,
    channel=Channel.CASH,
    kind=PaymentKind.REGULAR,
    collector=None,
    collector_member=None,
    is_proxy=False,
    payer_name="",
    proxy_reason="",
    note="",
):
    """Record dues received (党费规定: monthly, in full, to the branch holding the relationship):
    allocated oldest month first, partial payments allowed, a receipt number unique in the branch
    and year. 代交 only where the policy allows, with the payer and a reason. A voluntary payment
    (自愿多交) is kept apart; one of ¥1000 or more goes wholly to the Centre."""
    _can_edit(user, member.branch)
    today = timezone.localdate()
    amount, errors = _payment_errors(amount, paid_on, channel, today)
    if kind not in PaymentKind.values:
        errors["kind"] = _("请选择类型。")
    if collector_member is not None:
        if collector_member.branch_id != member.branch_id or collector_member.status not in ACTIVE_STATUSES:
            errors["collector_member"] = _("收缴人应为本支部的党员。")
    else:
        # By default the person who collected is the recording user's own member record.
        collector_member = Member.objects.filter(user=user, status__in=ACTIVE_STATUSES).first()
    policy = DuesPolicy.for_org(member.branch, today)
    if is_proxy:
        if not policy.allow_proxy:
            errors["is_proxy"] = _("本组织不允许代交党费。")
        if not (payer_name or "").strip():
            errors["payer_name"] = _("代交请填写代交人。")
        if not (proxy_reason or "").strip():
            errors["proxy_reason"] = _("代交请填写原因。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One member's payments are allocated one at a time (two clerks at two screens).
        member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
        if member.branch.kind not in BRANCH_KINDS:
            raise ValidationError({"member": _("该党员未编入党支部。")})
        plan = (
            plan_allocation(member, amount, today=today, policy=policy) if kind == PaymentKind.REGULAR else []
        )
        payment = DuesPayment.objects.create(
            member=member,
            branch=member.branch,
            kind=kind,
            amount=amount,
            paid_on=paid_on,
            channel=channel,
            collector=collector or user,
            collected_by=collector_member,
            receipt_year=paid_on.year,
            receipt_no=_next_receipt(member.branch, paid_on.year),
            is_proxy=bool(is_proxy),
            payer_name=(payer_name or "").strip() if is_proxy else "",
            proxy_reason=(proxy_reason or "").strip() if is_proxy else "",
            to_centre=kind == PaymentKind.VOLUNTARY and amount >= policy.large_voluntary_threshold,
            note=note or "",
            recorded_by=user,
            recorded_at=timezone.now(),
        )
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(payment=payment, member=member, period=p, amount=part) for p, part in plan
        )
        _refresh_after_payment(payment, [p for p, _part in plan])
        log_action(
            "dues.payment.recorded",
            payment,
            actor=user,
            data={
                "member": member.name,
                "amount": str(amount),
                "receipt_no": payment.receipt_no,
                "collected_by": collector_member.name if collector_member else "",
                "months": [period_label(p) for p, _part in plan],
            },
        )
    return payment


def _refresh_after_payment(payment, periods):
    """The summary rows of the months the payment went to and the month it was recorded in, and the
    member's arrears state — in the payment's transaction."""
    from . import summary

    summary.refresh_for_member(
        payment.member_id, [*periods, period_of(payment.paid_on)], extra_branch_ids=[payment.branch_id]
    )
    summary.refresh_arrears(member_ids=[payment.member_id])


def dues_payments_record_many(*, user, payments):
    """Regular payments recorded in one go (loading a branch's history, as the demo does): each
    `payments` item a dict of member, amount, paid_on and channel, taken in order exactly as
    `dues_payment_record` would take them one after another — the same checks, allocated oldest
    month first, receipt numbers in sequence per branch and year, one audit entry each — but with
    the members' balances kept in memory, one INSERT per table, and the summary rows and arrears
    refreshed once at the end. All or nothing: a ValidationError names the item (`payments[3]`)."""
    from . import summary

    payments = list(payments)
    if not payments:
        return []
    today = timezone.localdate()
    current = period_of(today)
    collector_member = Member.objects.filter(user=user, status__in=ACTIVE_STATUSES).first()
    with transaction.atomic():
        ids = sorted({item["member"].pk for item in payments})
        members = {
            m.pk: m for m in Member.objects.select_for_update().select_related("branch").filter(pk__in=ids)
        }
        balances = selectors.member_balances_many(ids)
        policies, counters, expected, planned = {}, {}, {}, []
        for index, item in enumerate(payments):
            member = members[item["member"].pk]
            if member.branch_id not in policies:
                _can_edit(user, member.branch)
                policies[member.branch_id] = DuesPolicy.for_org(member.branch, today)
            paid_on, channel = item.get("paid_on"), item.get("channel", Channel.CASH)
            amount, errors = _payment_errors(item["amount"], paid_on, channel, today)
            if member.branch.kind not in BRANCH_KINDS:
                errors["member"] = _("该党员未编入党支部。")
            if not errors:
                rows = balances.setdefault(member.pk, {})
                try:
                    plan = _plan(
                        amount,
                        rows,
                        lambda m=member: _expected_once(expected, m, current, policies[m.branch_id]),
                        policies[member.branch_id],
                        current,
                    )
                except ValidationError as exc:
                    errors.update(exc.message_dict)
            if errors:
                raise ValidationError(
                    {f"payments[{index}]": [f"{k}: {' '.join(v)}" for k, v in errors.items()]}
                )
            for period, part in plan:
                row = rows.setdefault(
                    period, {"due": Decimal("0.00"), "paid": Decimal("0.00"), "charged": False}
                )
                row["paid"] += part
            key = (member.branch_id, paid_on.year)
            if key not in counters:
                counter, _created = ReceiptCounter.objects.get_or_create(
                    branch=member.branch, year=paid_on.year
                )
                counters[key] = ReceiptCounter.objects.select_for_update().get(pk=counter.pk)
            counters[key].last += 1
            payment = DuesPayment(
                member=member,
                branch=member.branch,
                kind=PaymentKind.REGULAR,
                amount=amount,
                paid_on=paid_on,
                channel=channel,
                collector=user,
                collected_by=collector_member,
                receipt_year=paid_on.year,
                receipt_no=f"{paid_on.year}-{counters[key].last:05d}",
                to_centre=False,
                recorded_by=user,
                recorded_at=timezone.now(),
            )
            planned.append((payment, plan))
        for counter in counters.values():
            counter.save(update_fields=["last"])
        created = DuesPayment.objects.bulk_create([payment for payment, _plan_ in planned])
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(payment=payment, member_id=payment.member_id, period=p, amount=part)
            for payment, plan in planned
            for p, part in plan
        )
        for payment in created:  # the listeners a save would reach (rollups, reminders withdrawn)
            post_save.send(
                sender=DuesPayment, instance=payment, created=True, raw=False, using=payment._state.db
            )
        periods = {p for _payment, plan in planned for p, _part in plan}
        periods |= {period_of(payment.paid_on) for payment in created}
        branches = {payment.branch_id for payment in created}
        branches |= set(
            DuesObligation.objects.filter(member_id__in=ids, period__in=periods)
            .values_list("branch_id", flat=True)
            .distinct()
        )
        summary.refresh_summary(branch_ids=branches, periods=periods)
        summary.refresh_arrears(member_ids=ids)
        log_actions(
            "dues.payment.recorded",
            [
                (
                    payment,
                    {
                        "member": payment.member.name,
                        "amount": str(payment.amount),
                        "receipt_no": payment.receipt_no,
                        "collected_by": collector_member.name if collector_member else "",
                        "months": [period_label(p) for p, _part in plan],
                    },
                )
                for payment, plan in planned
            ],
            actor=user,
        )
    return created


def _expected_once(cache, member, current, policy):
    """A member's forecast for the months ahead, asked for at most once per batch (it depends on
    bases, adjustments and exemptions, which a batch of payments does not change)."""
    if member.pk not in cache:
        ahead = _future_limit(policy, current)
        cache[member.pk] = selectors.expected_amounts(member, range(current, current + ahead + 1))
    return cache[member.pk]


def dues_payment_reverse(*, user, payment, reason):
    """A wrong payment is cancelled by a reversing payment (negative amount and allocations) with
    a reason; the original stays in the ledger."""
    _can_edit(user, payment.branch)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写冲销原因。")})
    with transaction.atomic():
        payment = DuesPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.reverses_id is not None:
            raise ValidationError(_("冲销记录不能再次冲销。"))
        if DuesPayment.objects.filter(reverses=payment).exists():
            raise ValidationError(_("该交纳记录已冲销。"))
        reversal = DuesPayment.objects.create(
            member_id=payment.member_id,
            branch_id=payment.branch_id,
            kind=payment.kind,
            amount=-payment.amount,
            paid_on=timezone.localdate(),
            channel=payment.channel,
            collector=payment.collector,
            collected_by=payment.collected_by,
            receipt_year=payment.receipt_year,
            receipt_no="",
            reverses_receipt_no=payment.receipt_no,
            is_proxy=payment.is_proxy,
            payer_name=payment.payer_name,
            to_centre=payment.to_centre,
            reverses=payment,
            reason=reason.strip(),
            recorded_by=user,
            recorded_at=timezone.now(),
        )
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(payment=reversal, member_id=a.member_id, period=a.period, amount=-a.amount)
            for a in payment.allocations.all()
        )
        _refresh_after_payment(reversal, [a.period for a in reversal.allocations.all()])
        log_action(
            "dues.payment.reversed",
            payment,
            actor=user,
            data={"receipt_no": payment.receipt_no, "amount": str(payment.amount), "reason": reversal.reason},
        )
    return reversal


# --- Policy overrides (domain spec §2.8) --------------------------------------------------------------


def dues_policy_override_request(*, user, org, effective_from, reason, **switches):
    """A committee's override of the policy switches (代交, quarterly, 补交, 预交 and their month
    limits) for its subtree: requested by its staff with a reason; in force once the committee above
    approves. The other settings are carried over from the policy in force."""
    if not scope_for(user).supervises(org):
        raise PermissionDenied
    errors = {}
    if Organization.objects.get_parent(org) is None:
        errors["org"] = _("最上级党组织的党费政策由系统管理员设置。")
    if not (reason or "").strip():
        errors["reason"] = _("请填写调整理由。")
    if effective_from is None:
        errors["effective_from"] = _("请填写生效日期。")
    elif effective_from < timezone.localdate():
        errors["effective_from"] = _("生效日期不能早于今天。")
    unknown = set(switches) - set(DuesPolicy.SWITCHES)
    if unknown:
        raise TypeError(f"unknown policy switches: {sorted(unknown)}")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if DuesPolicy.objects.filter(organization=org, status=PolicyStatus.PENDING).exists():
            raise ValidationError({"reason": _("该党组织已有待审批的政策调整。")})
        current = DuesPolicy.for_org(org, effective_from)
        policy = DuesPolicy(
            **{
                f.name: getattr(current, f.name)
                for f in DuesPolicy._meta.concrete_fields
                if f.name not in {"id", "organization", "effective_from", "source", "status", "reason"}
                and not f.name.startswith(("requested", "approved"))
            }
        )
        for name, value in switches.items():
            setattr(policy, name, value)
        policy.organization = org
        policy.effective_from = effective_from
        policy.status = PolicyStatus.PENDING
        policy.reason = reason.strip()
        policy.source = reason.strip()[:200]
        policy.requested_by = user
        policy.requested_at = timezone.now()
        policy.full_clean(exclude=["organization"])
        policy.save()
        log_action(
            "dues.policy.requested",
            policy,
            actor=user,
            data={
                "org": org.name,
                "reason": policy.reason,
                **{k: getattr(policy, k) for k in DuesPolicy.SWITCHES},
            },
        )
    return policy


def dues_policy_override_decide(*, user, policy, approve):
    """The committee above approves (the override is then in force from its date) or rejects; the
    requester never decides their own request."""
    scope = scope_for(user)
    if not scope.supervises_strictly(policy.organization) or policy.requested_by_id == user.pk:
        raise PermissionDenied
    with transaction.atomic():
        policy = DuesPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != PolicyStatus.PENDING:
            raise ValidationError(_("该申请已处理。"))
        policy.status = PolicyStatus.APPROVED if approve else PolicyStatus.REJECTED
        policy.approved_by = user
        policy.approved_at = timezone.now()
        policy.save(update_fields=["status", "approved_by", "approved_at"])
        log_action(
            "dues.policy.approved" if approve else "dues.policy.rejected",
            policy,
            actor=user,
            data={"org": policy.organization.name, "reason": policy.reason},
        )
    return policy


# --- Remittance ----------------------------------------------------------------------------------


def valid_remittance_span(start_period, end_period):
    """A month, or a calendar quarter."""
    return start_period == end_period or (start_period % 3 == 0 and end_period == start_period + 2)


def remittance_submit(*, user, branch, start_period, end_period, remitted_on, amount=None, note=""):
    """上缴: what the branch collected for a month or a quarter, to the committee above."""
    _can_edit(user, branch)
    errors = {}
    if branch.kind not in BRANCH_KINDS:
        errors["branch"] = _("只有党支部上缴党费。")
    if start_period is None or end_period is None or not valid_remittance_span(start_period, end_period):
        errors["end_period"] = _("上缴期间应为一个月或一个季度。")
    if remitted_on is None:
        errors["remitted_on"] = _("请填写上缴日期。")
    elif remitted_on > timezone.localdate():
        errors["remitted_on"] = _("上缴日期不能晚于今天。")
    if errors:
        raise ValidationError(errors)
    parent = Organization.objects.get_parent(branch)
    collected = selectors.collected_for(branch, start_period, end_period)
    amount = collected if amount in (None, "") else _amount(amount, "amount", allow_zero=True)
    with transaction.atomic():
        overlapping = Remittance.objects.filter(
            branch=branch, start_period__lte=end_period, end_period__gte=start_period
        ).exists()
        if overlapping:
            raise ValidationError({"end_period": _("该期间（或其中的月份）已登记上缴。")})
        remittance = Remittance.objects.create(
            branch=branch,
            to_org=parent,
            start_period=start_period,
            end_period=end_period,
            amount=amount,
            remitted_on=remitted_on,
            note=note or "",
            recorded_by=user,
        )
        log_action("dues.remittance.submitted", remittance, actor=user, data={"amount": str(amount)})
    return remittance


def remittance_confirm(*, user, remittance):
    """The committee above confirms receipt."""
    _supervise(user, remittance.to_org)
    with transaction.atomic():
        remittance = Remittance.objects.select_for_update().get(pk=remittance.pk)
        if remittance.status != RemittanceStatus.SUBMITTED:
            raise ValidationError(_("该上缴已确认。"))
        remittance.status = RemittanceStatus.CONFIRMED
        remittance.confirmed_by = user
        remittance.confirmed_at = timezone.now()
        remittance.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        log_action("dues.remittance.confirmed", remittance, actor=user)
    return remittance


def total(qs, field="amount"):
    return qs.aggregate(s=Sum(field))["s"] or Decimal("0")
