"""What makes the per-user facts in the shared cache stale (``portal.lib.cache``), connected in apps.ready.

Access facts (``organizations.access.access_for`` and ``has_totp``) derive from the user's staff group,
their person's memberships of today (the date is part of the entry), the boards those are of, and their
authenticators. Each receiver bumps the tokens of the users concerned, or of everyone when a board or a
group changes. The unread-notices count derives from the user's notices.

Changes that send no signal must bump themselves: ``Notification`` rows marked read with ``update()``
(meetings.views.notifications does) and the notices ``programs.notices.event_notify`` writes with
``bulk_create`` (it does). ``seed_demo`` writes people and memberships with ``bulk_create``: clear the cache after
seeding a database that users already browse.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from portal.lib.cache import ACCESS, UNREAD, bump

from .models import Board, Membership, Person


def _bump_access(*user_ids):
    bump(ACCESS, *user_ids)


def _user_of_person(person_id):
    if person_id is None:
        return None
    return Person.objects.filter(pk=person_id).values_list("user_id", flat=True).first()


# --- memberships and the people they belong to -----------------------------------------------------

def membership_pre_save(sender, instance, update_fields=None, **kwargs):
    """A membership moved to another person: the previous person's user loses it."""
    if instance.pk is None:
        return
    if update_fields is not None and "person" not in update_fields and "person_id" not in update_fields:
        return
    previous = Membership.objects.filter(pk=instance.pk).values_list("person__user_id", flat=True).first()
    _bump_access(previous)


def membership_changed(sender, instance, **kwargs):
    _bump_access(_user_of_person(instance.person_id))


def person_pre_save(sender, instance, update_fields=None, **kwargs):
    """The person's account changed: the previous account loses their memberships."""
    if instance.pk is None:
        return
    if update_fields is not None and "user" not in update_fields and "user_id" not in update_fields:
        return
    previous = Person.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
    if previous != instance.user_id:
        _bump_access(previous)


def person_changed(sender, instance, **kwargs):
    _bump_access(instance.user_id)


def board_changed(sender, instance, **kwargs):
    """A board's kind or region decides who coordinates what: everyone's facts, as boards rarely change."""
    bump(ACCESS, everyone=True)


# --- accounts, groups, second factors -----------------------------------------------------------

def user_changed(sender, instance, **kwargs):
    _bump_access(instance.pk)


def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:  # user.groups.add(...)
        _bump_access(instance.pk)
    elif pk_set:  # group.user_set.add(users...)
        _bump_access(*pk_set)
    else:  # group.user_set.clear(): who was in it is gone
        bump(ACCESS, everyone=True)


def group_changed(sender, instance, **kwargs):
    """The staff group renamed or deleted (its members' rows go without an m2m signal)."""
    bump(ACCESS, everyone=True)


def authenticator_changed(sender, instance, **kwargs):
    _bump_access(instance.user_id)


# --- notices ------------------------------------------------------------------------------------------

def notification_changed(sender, instance, **kwargs):
    bump(UNREAD, instance.user_id)


def connect():
    from allauth.mfa.models import Authenticator

    from meetings.models import Notification

    User = get_user_model()
    uid = "portal-user-cache"
    pre_save.connect(membership_pre_save, sender=Membership, dispatch_uid=f"{uid}-membership-pre")
    pre_save.connect(person_pre_save, sender=Person, dispatch_uid=f"{uid}-person-pre")
    for model, receiver in (
        (Membership, membership_changed),
        (Person, person_changed),
        (Board, board_changed),
        (User, user_changed),
        (Group, group_changed),
        (Authenticator, authenticator_changed),
        (Notification, notification_changed),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-{model._meta.label_lower}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-{model._meta.label_lower}-delete")
    m2m_changed.connect(user_groups_changed, sender=User.groups.through, dispatch_uid=f"{uid}-user-groups")
