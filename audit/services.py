"""The one audit mechanism: `register(Model)` records every create/update/delete of that model,
`log_action()` records a named event (a move, a sign-off) with free-form data."""

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from .context import current_actor
from .models import AuditEntry

_registry: dict[type[models.Model], tuple[str, ...]] = {}


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _tracked_fields(model, exclude):
    """Every concrete field users can change: not the key, not automatic timestamps."""
    return tuple(
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
        and f.name not in exclude
        and f.attname not in exclude
    )


def _snapshot(instance, fields):
    return {name: _plain(getattr(instance, name)) for name in fields}


def log_action(action, obj, *, actor=None, changes=None, data=None):
    """Write one audit entry. `actor` defaults to whoever is acting now (request or `acting_as`)."""
    actor = actor if actor is not None else current_actor()
    return AuditEntry.objects.create(
        actor=actor,
        actor_repr=str(actor) if actor is not None else "",
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        changes=changes or {},
        data=data or {},
    )


def log_actions(action, entries, *, actor=None):
    """Many `log_action`s of one action in one INSERT: `entries` are (obj, data) pairs, written in
    their order (a batch of payments loaded at once)."""
    actor = actor if actor is not None else current_actor()
    types = {}
    rows = []
    for obj, data in entries:
        model = type(obj)
        if model not in types:
            types[model] = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        rows.append(
            AuditEntry(
                actor=actor,
                actor_repr=str(actor) if actor is not None else "",
                action=action,
                content_type=types[model],
                object_id=str(obj.pk),
                object_repr=str(obj)[:255],
                changes={},
                data=data or {},
            )
        )
    created = AuditEntry.objects.bulk_create(rows)
    for entry in created:  # what a save would tell its listeners
        post_save.send(sender=AuditEntry, instance=entry, created=True, raw=False, using=entry._state.db)
    return created


def _labels(instance, changes):
    """Names for the foreign keys that changed, from related objects already loaded (no query):
    the trail shows "陈子", not "3"."""
    labels = {}
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.attname in changes and field.is_cached(instance):
            related = getattr(instance, field.name)
            if related is not None:
                labels[field.attname] = {str(related.pk): str(related)[:100]}
    return labels


def _code(model, verb):
    return f"{model._meta.app_label}.{model._meta.model_name}.{verb}"


def _on_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    fields = _registry[sender]
    before = None
    if instance.pk is not None and not instance._state.adding:
        before = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
    instance._audit_before = {k: _plain(v) for k, v in before.items()} if before else None


def _on_post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    fields = _registry[sender]
    after = _snapshot(instance, fields)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "")}
        log_action(_code(sender, "created"), instance, changes=changes, data=_label_data(instance, changes))
        return
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        log_action(_code(sender, "updated"), instance, changes=changes, data=_label_data(instance, changes))


def _label_data(instance, changes):
    labels = _labels(instance, changes)
    return {"labels": labels} if labels else None


def _on_post_delete(sender, instance, **kwargs):
    before = _snapshot(instance, _registry[sender])
    changes = {k: [v, None] for k, v in before.items()}
    log_action(_code(sender, "deleted"), instance, changes=changes, data=_label_data(instance, changes))


def register(model, *, exclude=()):
    """Audit every create, update and delete of `model` (bulk operations are not signalled:
    services that bulk-write log their own entry)."""
    _registry[model] = _tracked_fields(model, set(exclude))
    uid = f"audit:{model._meta.label}"
    pre_save.connect(_on_pre_save, sender=model, dispatch_uid=uid + ":pre")
    post_save.connect(_on_post_save, sender=model, dispatch_uid=uid + ":post")
    post_delete.connect(_on_post_delete, sender=model, dispatch_uid=uid + ":del")
    return model
