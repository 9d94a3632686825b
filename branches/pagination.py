"""Pagination for lists whose size grows with the tree (a city's roster: 300,000 members).

Django's Paginator counts every row for "page n of N" — at city scale the COUNT is the slowest
query of the page. `CappedPaginator` counts at most `cap` + 1 rows: up to `cap` the total and the
number of pages are exact (a branch's roster, a search); past it the page says "more than `cap`",
and whether another page follows is known from one extra row fetched with the page. Either way a
page costs two queries, and their cost is bounded by the cap and the page's position, not by the
size of the list."""

from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator

COUNT_CAP = 1000


class CappedPage(Page):
    def __init__(self, object_list, number, paginator, more=False):
        super().__init__(object_list, number, paginator)
        self._more = more

    def has_next(self):
        return self._more if not self.paginator.exact else super().has_next()


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap=None):
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self):
        """The number of rows, or `cap` + 1 when there are more than `cap`."""
        rows = self.object_list
        if hasattr(rows, "query"):  # a QuerySet: which rows are counted does not matter
            return rows.order_by()[: self.cap + 1].count()
        return len(rows[: self.cap + 1])

    @property
    def exact(self):
        return self.count <= self.cap

    @cached_property
    def num_pages(self):
        """Exact up to the cap; past it the pages counted so far (the last one is not known)."""
        return super().num_pages

    def validate_number(self, number):
        if self.exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        if self.exact:
            page = super().page(number)
            return CappedPage(page.object_list, page.number, self)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number):
        try:
            return self.page(self.validate_number(number))
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages if self.exact else 1)
