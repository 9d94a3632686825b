from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import PreferenceForm
from .models import Delivery, Preference
from .services import notifications_mark_read


@login_required
def inbox(request):
    """我的通知: the user's in-app notifications, unread first, newest first."""
    qs = Delivery.objects.visible_to(request.user).inbox()
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    qs = qs.order_by("-created_at", "-pk").only(
        "pk", "kind", "title", "body", "url", "created_at", "read_at", "channel", "status"
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "notifications/inbox.html", {"page": page, "unread_only": bool(request.GET.get("unread"))}
    )


@login_required
def bell(request):
    """The navbar bell's unread count, fetched by htmx so pages pay no query for it."""
    count = Delivery.objects.visible_to(request.user).unread().count()
    return render(request, "notifications/_bell.html", {"unread": count})


@login_required
@require_POST
def mark_read(request):
    ids = request.POST.getlist("id")
    try:
        ids = [int(i) for i in ids] or None
    except ValueError:
        ids = None
        messages.error(request, _("通知编号无效。"))
        return redirect("notifications:inbox")
    notifications_mark_read(user=request.user, ids=ids)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
def open_notification(request, pk):
    """Follow a notification's link, marking it read."""
    from django.shortcuts import get_object_or_404

    item = get_object_or_404(Delivery.objects.visible_to(request.user).inbox(), pk=pk)
    notifications_mark_read(user=request.user, ids=[item.pk])
    return redirect(item.url or "notifications:inbox")


@login_required
def preferences(request):
    pref = Preference.objects.filter(user=request.user).first() or Preference(user=request.user)
    form = PreferenceForm(request.POST or None, instance=pref)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("通知偏好已保存。"))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
