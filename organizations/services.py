"""Writes for regions, boards, people and memberships."""

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.lib.mail import send_templated_mail

from .models import Board, Membership, Person, Region, RegionAlias

DATA_DIR = Path(__file__).resolve().parent / "data"

# How each kind of board is named from its region, on creation and on rename.
BOARD_NAME_FORMATS = {
    Board.Kind.LPM: "LPM Kelurahan {name}",
    Board.Kind.FORUM: "Forum LPM Kecamatan {name}",
    Board.Kind.ASSOCIATION: "Asosiasi LPM {name}",
}
BOARD_KIND_OF_LEVEL = {level: kind for kind, level in Board.LEVEL_OF_KIND.items()}


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    boards_created: int = 0


def read_region_rows(path=DATA_DIR / "balikpapan_wilayah.csv"):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_alias_rows(path=DATA_DIR / "balikpapan_aliases.csv"):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def regions_load(*, rows, aliases=()) -> LoadResult:
    """Create or update regions keyed on their official code, and one board per region.

    Idempotent: a second run with the same rows changes nothing. A renamed
    region is updated in place, and so is its board's name unless an
    administrator has given the board a name of their own.
    """
    result = LoadResult()
    existing = {region.code: region for region in Region.objects.all()}
    # Parents come before children in the reference file, but do not rely on it.
    for row in sorted(rows, key=lambda r: r["code"].count(".")):
        code, name, level = row["code"].strip(), row["name"].strip(), row["level"].strip()
        parent = existing.get(row["parent_code"].strip())
        region = existing.get(code)
        if region is None:
            region = Region.objects.create(code=code, name=name, level=level, parent=parent)
            existing[code] = region
            result.created += 1
        elif (region.name, region.level, region.parent_id) != (name, level, parent and parent.pk):
            old_name = region.name
            region.name, region.level, region.parent = name, level, parent
            region.save()
            result.updated += 1
            _rename_boards(region, old_name)
        kind = BOARD_KIND_OF_LEVEL[level]
        _, created = Board.objects.get_or_create(
            region=region, kind=kind, defaults={"name": BOARD_NAME_FORMATS[kind].format(name=name)}
        )
        result.boards_created += created
    for row in aliases:
        region = existing.get(row["code"].strip())
        if region is None:
            raise ValidationError(_("Kode wilayah %(code)s tidak dikenal.") % {"code": row["code"]})
        RegionAlias.objects.update_or_create(name__iexact=row["alias"].strip(), defaults={
            "name": row["alias"].strip(), "region": region})
    return result


def _rename_boards(region, old_name):
    for board in region.boards.all():
        if board.name == BOARD_NAME_FORMATS[board.kind].format(name=old_name):
            board.name = BOARD_NAME_FORMATS[board.kind].format(name=region.name)
            board.save(update_fields=["name"])


def kelurahan_match(value):
    """The kelurahan Region for a code, a name or a known alias (case-insensitive)."""
    value = " ".join(str(value or "").split())
    if not value:
        return None
    kelurahan = Region.objects.filter(level=Region.Level.KELURAHAN)
    return (
        kelurahan.filter(code=value).first()
        or kelurahan.filter(name__iexact=value).first()
        or kelurahan.filter(aliases__name__iexact=value).first()
    )


def membership_save(*, membership: Membership) -> Membership:
    """Validate the membership rules and save, with the board locked against races."""
    with transaction.atomic():
        # Serialise membership changes per board so two admins cannot both
        # appoint a Ketua between each other's checks.
        Board.objects.select_for_update().filter(pk=membership.board_id).first()
        membership.full_clean()
        membership.save()
    return membership


def membership_end(*, membership: Membership, on: datetime.date | None = None) -> Membership:
    """End a term so that the person no longer serves from ``on`` (default today).

    The last day served is the day before, so a successor can start on ``on``.
    """
    on = on or timezone.localdate()
    last_day = on - datetime.timedelta(days=1)
    if membership.end_date <= last_day:
        return membership
    if last_day <= membership.start_date:
        raise ValidationError(
            _("Keanggotaan %(m)s baru dimulai; hapus saja jika keliru.") % {"m": membership}
        )
    membership.end_date = last_day
    membership.save(update_fields=["end_date"])
    return membership


def person_invite(*, person: Person, request=None) -> "object":
    """Give a person a portal account and e-mail them a link to choose a password.

    Reuses the person's account when they already have one; an account with the
    same e-mail is linked instead of duplicated.
    """
    from allauth.account.forms import default_token_generator
    from allauth.account.models import EmailAddress
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    if not person.email:
        raise ValidationError(_("%(name)s belum memiliki alamat e-mail.") % {"name": person.name})
    User = get_user_model()
    with transaction.atomic():
        user = person.user or User.objects.filter(email__iexact=person.email).first()
        if user is None:
            user = User(username=_unique_username(person.email), email=person.email.lower())
            user.first_name = person.name[:150]
            user.set_unusable_password()
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email__iexact=person.email, defaults={"email": person.email.lower(), "primary": True,
                                                              "verified": True}
        )
        if person.user_id != user.pk:
            if Person.objects.filter(user=user).exclude(pk=person.pk).exists():
                raise ValidationError(_("Akun %(email)s sudah terhubung ke orang lain.") % {"email": person.email})
            person.user = user
            person.save(update_fields=["user"])
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    from django.conf import settings

    url = request.build_absolute_uri(path) if request else settings.SITE_URL.rstrip("/") + path
    send_templated_mail("organizations/email/invite", to=[person.email], context={"person": person, "url": url})
    return user


def _unique_username(email):
    User = get_user_model()
    base = email.lower()[:140]
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate
