"""Roster import (template, dry run, error workbook, confirm)."""

urlpatterns = []
