import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.lib.dates import add_years

# Permendagri 18/2018: a term (masa bakti) lasts five years, at most two terms.
TERM_YEARS = 5
MAX_TERMS = 2


class Region(models.Model):
    class Level(models.TextChoices):
        KOTA = "kota", _("Kota")
        KECAMATAN = "kecamatan", _("Kecamatan")
        KELURAHAN = "kelurahan", _("Kelurahan")

    # Kemendagri code in dotted form, e.g. 64.71.05.1010; never the BPS code.
    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("induk"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["code"]

    def __str__(self):
        return f"{self.get_level_display()} {self.name}"


class RegionAlias(models.Model):
    """Another spelling of a region's name, used to match names in imports."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("nama lain"), max_length=100)

    class Meta:
        verbose_name = _("nama lain wilayah")
        verbose_name_plural = _("nama lain wilayah")
        constraints = [models.UniqueConstraint(Lower("name"), name="region_alias_unique_name")]

    def __str__(self):
        return self.name


class BoardQuerySet(models.QuerySet):
    def kelurahan(self):
        return self.filter(kind=Board.Kind.LPM)

    def in_kecamatan(self, kecamatan_ids):
        """Boards of the given kecamatan: their kelurahan LPMs and the Forum itself."""
        return self.filter(Q(region__parent_id__in=kecamatan_ids) | Q(region_id__in=kecamatan_ids))


class Board(models.Model):
    class Kind(models.TextChoices):
        LPM = "lpm", _("LPM Kelurahan")
        FORUM = "forum", _("Forum LPM Kecamatan")
        ASSOCIATION = "asosiasi", _("Asosiasi LPM Kota")

    # Which region level each kind of board belongs to.
    LEVEL_OF_KIND = {
        Kind.LPM: Region.Level.KELURAHAN,
        Kind.FORUM: Region.Level.KECAMATAN,
        Kind.ASSOCIATION: Region.Level.KOTA,
    }

    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(Region, verbose_name=_("wilayah"), on_delete=models.PROTECT, related_name="boards")
    name = models.CharField(_("nama"), max_length=150)
    address = models.CharField(_("alamat sekretariat"), max_length=255, blank=True)
    phone = models.CharField(_("telepon"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    sk_number = models.CharField(_("nomor SK"), max_length=100, blank=True)
    sk_date = models.DateField(_("tanggal SK"), null=True, blank=True)

    objects = BoardQuerySet.as_manager()

    class Meta:
        verbose_name = _("lembaga")
        verbose_name_plural = _("lembaga")
        ordering = ["region__code", "kind"]
        constraints = [models.UniqueConstraint(fields=["region", "kind"], name="board_one_per_region_and_kind")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.region_id and self.kind and self.region.level != self.LEVEL_OF_KIND[self.kind]:
            raise ValidationError(
                {"region": _("%(kind)s harus berada di wilayah tingkat %(level)s.")
                 % {"kind": self.get_kind_display(), "level": Region.Level(self.LEVEL_OF_KIND[self.kind]).label}}
            )

    @property
    def kecamatan_id(self):
        """The kecamatan this board belongs to (None for the city association)."""
        if self.kind == self.Kind.LPM:
            return self.region.parent_id
        if self.kind == self.Kind.FORUM:
            return self.region_id
        return None

    @property
    def is_kelurahan_board(self):
        return self.kind == self.Kind.LPM


class Person(models.Model):
    """A board officer or guest. Deliberately minimal (UU 27/2022): no NIK."""

    class Gender(models.TextChoices):
        MALE = "L", _("Laki-laki")
        FEMALE = "P", _("Perempuan")

    name = models.CharField(_("nama"), max_length=150)
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender.choices)
    phone = models.CharField(_("nomor HP/WhatsApp"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The language of the e-mails this person receives; follows their language switch.
    language = models.CharField(_("bahasa"), max_length=5, choices=settings.LANGUAGES, default="id")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("akun portal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    class Meta:
        verbose_name = _("orang")
        verbose_name_plural = _("orang")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="person_unique_email"),
        ]

    def __str__(self):
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self, on=None):
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on, end_date__gte=on)

    def expired(self, on=None):
        return self.filter(end_date__lt=on or timezone.localdate())

    def ending_within(self, days, on=None):
        on = on or timezone.localdate()
        return self.active(on).filter(end_date__lte=on + datetime.timedelta(days=days))

    def overlapping(self, start, end):
        return self.filter(start_date__lte=end, end_date__gte=start)


class Membership(models.Model):
    class Position(models.TextChoices):
        KETUA = "ketua", _("Ketua")
        WAKIL_KETUA = "wakil_ketua", _("Wakil Ketua")
        SEKRETARIS = "sekretaris", _("Sekretaris")
        BENDAHARA = "bendahara", _("Bendahara")
        KOORDINATOR = "koordinator", _("Koordinator/Ketua Bidang")
        ANGGOTA = "anggota", _("Anggota")

    CORE_POSITIONS = (Position.KETUA, Position.SEKRETARIS, Position.BENDAHARA)

    person = models.ForeignKey(Person, verbose_name=_("orang"), on_delete=models.PROTECT, related_name="memberships")
    board = models.ForeignKey(Board, verbose_name=_("lembaga"), on_delete=models.PROTECT, related_name="memberships")
    position = models.CharField(_("jabatan"), max_length=20, choices=Position.choices)
    field_name = models.CharField(_("bidang"), max_length=100, blank=True, help_text=_("Untuk koordinator bidang."))
    # Both dates are inclusive: the person serves on end_date too.
    start_date = models.DateField(_("mulai menjabat"))
    end_date = models.DateField(_("akhir masa bakti"))
    sk_number = models.CharField(_("nomor SK"), max_length=100, blank=True)

    history = HistoricalRecords(verbose_name=_("riwayat keanggotaan"))
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("keanggotaan")
        verbose_name_plural = _("keanggotaan")
        ordering = ["board", "position", "person__name"]
        indexes = [models.Index(fields=["board", "end_date"]), models.Index(fields=["person", "end_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="membership_end_after_start"),
        ]
        # On PostgreSQL, migration 0002 adds exclusion constraints for "one
        # active Ketua per board" and "no overlapping duplicate membership";
        # clean() gives the same answer with a readable message everywhere.

    def __str__(self):
        return f"{self.person} — {self.get_position_display()} {self.board}"

    def is_active(self, on=None):
        on = on or timezone.localdate()
        return self.start_date <= on <= self.end_date

    def clean(self):
        """The membership rules of Permendagri 18/2018, with Indonesian messages."""
        if not (self.start_date and self.end_date and self.person_id and self.board_id and self.position):
            return
        if self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("Akhir masa bakti harus sesudah tanggal mulai.")})

        others = Membership.objects.exclude(pk=self.pk).overlapping(self.start_date, self.end_date)
        errors = {}
        if self.position == self.Position.KETUA:
            clash = others.filter(board_id=self.board_id, position=self.Position.KETUA).select_related("person").first()
            if clash:
                errors["position"] = _(
                    "Lembaga ini sudah memiliki Ketua aktif pada periode tersebut (%(name)s, s.d. %(end)s)."
                ) % {"name": clash.person.name, "end": clash.end_date.strftime("%d-%m-%Y")}
        if others.filter(board_id=self.board_id, person_id=self.person_id).exists():
            errors["person"] = _("Orang ini sudah tercatat di lembaga ini pada periode yang bertumpang tindih.")

        if self.board.is_kelurahan_board:
            if self.end_date > add_years(self.start_date, TERM_YEARS):
                errors["end_date"] = _("Masa bakti LPM kelurahan paling lama %(years)s tahun.") % {"years": TERM_YEARS}
            previous_terms = (
                Membership.objects.exclude(pk=self.pk)
                .filter(board_id=self.board_id, person_id=self.person_id)
                .values("start_date")
                .distinct()
                .count()
            )
            if previous_terms >= MAX_TERMS:
                errors.setdefault(
                    "person",
                    _("Orang ini sudah menjabat %(n)s periode di LPM ini; paling banyak %(n)s periode.")
                    % {"n": MAX_TERMS},
                )
            elsewhere = (
                others.filter(person_id=self.person_id, board__kind=Board.Kind.LPM)
                .exclude(board_id=self.board_id)
                .select_related("board")
                .first()
            )
            if elsewhere:
                errors.setdefault(
                    "person",
                    _("Orang ini sedang menjabat di %(board)s; tidak boleh merangkap di dua LPM kelurahan.")
                    % {"board": elsewhere.board.name},
                )
        if errors:
            raise ValidationError(errors)
