from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exports.base import ListExporter, register

from .models import Organization
from .selectors import with_row_facts


@register
class OrganizationExporter(ListExporter):
    """组织架构: the visible subtree (or all visible organisations) in tree order."""

    code = "organizations"
    label = _("组织架构")
    sheet_title = "组织架构"

    def headers(self):
        return [
            _("组织名称"),
            _("类型"),
            _("领域"),
            _("层级"),
            _("上级组织"),
            _("组织代码"),
            _("成立日期"),
            _("任期开始"),
            _("任期届满"),
            _("书记"),
            _("党员数"),
            _("软弱涣散"),
            _("星级"),
        ]

    def queryset(self, user, params):
        qs = Organization.objects.visible_to(user)
        within = params.get("within")
        return qs.within(within) if within else qs

    def iterate_rows(self, user, params):
        qs = with_row_facts(self.queryset(user, params)).order_by("path")
        names = {}  # path → name of rows already written; parents precede children in path order
        for org in qs.iterator(chunk_size=2000):
            names[org.path] = org.name
            yield [
                org.name,
                org.get_kind_display(),
                org.get_field_display(),
                org.depth,
                names.get(org.parent_path, "") if org.parent_path else "",
                org.code,
                org.established_on,
                org.term_start,
                org.term_end,
                org.secretary_name or "",
                org.member_count,
                gettext("是") if org.is_weak else "",
                org.star_level or "",
            ]
