"""Writes for regions, boards, people and memberships."""

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Replace
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


def kecamatan_match(value):
    """The kecamatan Region for a code, a name or a known alias (case-insensitive)."""
    value = " ".join(str(value or "").split())
    if not value:
        return None
    kecamatan = Region.objects.filter(level=Region.Level.KECAMATAN)
    return (
        kecamatan.filter(code=value).first()
        or kecamatan.filter(name__iexact=value).first()
        or kecamatan.filter(aliases__name__iexact=value).first()
    )


def phone_key(phone) -> str:
    """A phone number reduced to its digits in the national form: "+62 812-3" and "08123" match."""
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    elif digits.startswith("8"):
        digits = "0" + digits
    return digits


def _phone_digits():
    # The separators people type; what is left compares with phone_key() forms.
    expression = F("phone")
    for separator in (" ", "-", ".", "(", ")", "+", "/"):
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def person_match(*, email="", phone="", name="", board=None) -> Person | None:
    """The person with this e-mail, else with this phone number, else None.

    A phone number is shared in some households, so it does not match a person
    whose recorded e-mail differs from the given one. Someone with neither
    e-mail nor phone is recognised only by name among the people who have
    served on ``board``: a name alone is too common to match across the city.
    """
    email = (email or "").strip()
    if email:
        person = Person.objects.filter(email__iexact=email).first()
        if person:
            return person
    key = phone_key(phone)
    # Too few digits to tell people apart (a typo, or "0" for "none").
    if len(key) < 6:
        key = ""
    if key:
        forms = {key, "62" + key[1:], key[1:]}
        candidates = Person.objects.alias(phone_digits=_phone_digits()).filter(phone_digits__in=forms).order_by("pk")
        if email:
            candidates = candidates.filter(email="")
        person = candidates.first()
        if person:
            return person
    if not email and not key and board is not None:
        name = " ".join(str(name or "").split())
        return (
            Person.objects.filter(name__iexact=name, memberships__board=board).order_by("pk").first() if name else None
        )
    return None


def person_upsert(*, name, gender="", phone="", email="", board=None) -> tuple[Person, bool]:
    """Find the person (see person_match) and bring them up to date, or create them.

    Blank values never erase what is recorded, and a recorded e-mail is never
    replaced (it is how the person is recognised and may be their login).
    Returns the person and whether anything was written.
    """
    name = " ".join(str(name or "").split())
    phone, email = str(phone or "").strip(), str(email or "").strip()
    person = person_match(email=email, phone=phone, name=name, board=board)
    if person is None:
        person = Person(name=name, gender=gender, phone=phone, email=email)
        before = None
    else:
        before = (person.name, person.gender, person.phone, person.email)
        if name:
            person.name = name
        if gender:
            person.gender = gender
        if phone and phone_key(phone) != phone_key(person.phone):
            person.phone = phone
        if email and not person.email:
            person.email = email
        if (person.name, person.gender, person.phone, person.email) == before:
            return person, False
    person.full_clean(exclude=["user"])
    person.save()
    return person, True
