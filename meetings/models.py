import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations.models import Board, Membership, Person, Region
from portal.lib.uploads import private_storage, upload_path


def material_path(instance, filename):
    return upload_path("meetings", filename)


def default_reminder_slots():
    # H-3 and H-1 at 08:00 WITA, and two hours before the start (brief §8).
    return ["h-3", "h-1", "2h"]


def new_token():
    # 256 bits: unguessable, and short enough for an e-mail link.
    return secrets.token_urlsafe(32)


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        return self.filter(end__gte=now or timezone.now()).exclude(status=Meeting.Status.CANCELLED)

    def visible_to(self, access):
        """Staff see every meeting; anyone else only those they are invited to."""
        if access.sees_everything:
            return self
        if not access.is_authenticated:
            return self.none()
        return self.filter(invitations__person__user_id=access.user_id).distinct()


class Meeting(models.Model):
    class Kind(models.TextChoices):
        RAKOR = "rakor", _("Rapat Koordinasi")
        PEMBINAAN = "pembinaan", _("Pembinaan")
        SOSIALISASI = "sosialisasi", _("Sosialisasi")
        MUSYAWARAH = "musyawarah", _("Musyawarah")
        MONEV = "monev", _("Monitoring dan Evaluasi")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Terjadwal")
        CANCELLED = "cancelled", _("Dibatalkan")
        HELD = "held", _("Terlaksana")

    # Fields whose change invitees must hear about: each raises the sequence.
    NOTIFIABLE_FIELDS = ("start", "end", "venue", "online_url")

    # Stable identity for calendar clients (iCalendar UID), never reused.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("jenis rapat"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("judul"), max_length=200)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("penyelenggara"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField(_("mulai"))
    end = models.DateTimeField(_("selesai"))
    venue = models.CharField(_("tempat"), max_length=255, blank=True)
    online_url = models.URLField(_("tautan rapat daring"), blank=True)
    description = models.TextField(_("keterangan"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.TextField(_("alasan pembatalan"), blank=True)
    # RFC 5545 SEQUENCE: grows with every change invitees must hear about.
    sequence = models.PositiveIntegerField(default=0)
    # Reminder slots (see meetings.reminders.SLOT_CHOICES) and an optional line
    # staff add to every reminder of this meeting.
    reminder_slots = models.JSONField(_("pengingat"), default=default_reminder_slots, blank=True)
    reminder_note = models.CharField(_("pesan tambahan pada pengingat"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("rapat")
        verbose_name_plural = _("rapat")
        ordering = ["-start"]
        indexes = [models.Index(fields=["start"]), models.Index(fields=["status", "start"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="meeting_end_after_start")]

    def __str__(self):
        return self.title

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    def minutes_published(self, now=None):
        """Invitees may read minutes once the meeting has started (or is marked held), never if cancelled."""
        if self.status == self.Status.CANCELLED:
            return False
        return self.status == self.Status.HELD or (now or timezone.now()) >= self.start

    def rsvp_open(self, now=None):
        return self.status == self.Status.SCHEDULED and (now or timezone.now()) < self.start


class MeetingChange(models.Model):
    """Who changed what invitees must hear about, and when (the sequence it produced)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    sequence = models.PositiveIntegerField()
    # {"field": [old, new]} as text, for the change log and the change notice.
    changes = models.JSONField(default=dict)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self):
        return f"{self.meeting} #{self.sequence}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(_("acara"), max_length=255)
    presenter = models.CharField(_("penyaji"), max_length=150, blank=True)
    duration_minutes = models.PositiveIntegerField(_("durasi (menit)"), null=True, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("mata acara")
        verbose_name_plural = _("mata acara")

    def __str__(self):
        return self.title


class Material(models.Model):
    """A file attached to a meeting; served only through a permission-checked view."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("judul"), max_length=200)
    file = models.FileField(_("berkas"), upload_to=material_path, storage=private_storage)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bahan rapat")
        verbose_name_plural = _("bahan rapat")
        ordering = ["pk"]

    def __str__(self):
        return self.title


class InvitationScope(models.Model):
    """How invitees were chosen, kept so that a copied meeting invites alike."""

    class Reach(models.TextChoices):
        ALL = "all", _("Semua lembaga")
        KECAMATAN = "kecamatan", _("Lembaga di kecamatan terpilih")
        BOARDS = "boards", _("Lembaga terpilih")

    class Positions(models.TextChoices):
        KETUA = "ketua", _("Ketua saja")
        CORE = "core", _("Pengurus inti (Ketua, Sekretaris, Bendahara)")
        ALL = "all", _("Semua pengurus")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="scopes")
    reach = models.CharField(_("jangkauan"), max_length=10, choices=Reach.choices)
    positions = models.CharField(_("jabatan"), max_length=10, choices=Positions.choices)
    kecamatan = models.ManyToManyField(Region, blank=True, related_name="+")
    boards = models.ManyToManyField(Board, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.get_reach_display()} — {self.get_positions_display()}"

    POSITIONS_OF = {
        Positions.KETUA: (Membership.Position.KETUA,),
        Positions.CORE: Membership.CORE_POSITIONS,
        Positions.ALL: None,
    }


class InvitationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(person__user=user)


class Invitation(models.Model):
    class Rsvp(models.TextChoices):
        PENDING = "pending", _("Belum menjawab")
        ACCEPTED = "accepted", _("Hadir")
        DECLINED = "declined", _("Tidak hadir")
        DELEGATED = "delegated", _("Diwakilkan")

    class Attendance(models.TextChoices):
        # The same Indonesian words as the answers above, but a record of who
        # came, not a promise: the context keeps their translations apart.
        PRESENT = "hadir", pgettext_lazy("attendance", "Hadir")
        EXCUSED = "izin", pgettext_lazy("attendance", "Izin")
        ABSENT = "tidak_hadir", pgettext_lazy("attendance", "Tidak hadir")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    # Null for guests invited by name and e-mail (a Lurah, a Camat) and walk-ins.
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations")
    board = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations")
    # Snapshot at the time of inviting: later membership changes do not rewrite history.
    name = models.CharField(_("nama"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    board_name = models.CharField(_("lembaga"), max_length=150, blank=True)
    position = models.CharField(_("jabatan"), max_length=100, blank=True)
    kecamatan_name = models.CharField(_("kecamatan"), max_length=100, blank=True)
    is_guest = models.BooleanField(_("tamu"), default=False)
    is_walk_in = models.BooleanField(_("hadir tanpa undangan"), default=False)

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    rsvp = models.CharField(_("jawaban"), max_length=10, choices=Rsvp.choices, default=Rsvp.PENDING)
    delegate_name = models.CharField(_("nama wakil"), max_length=150, blank=True)
    delegate_email = models.EmailField(_("e-mail wakil"), blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    attendance = models.CharField(_("kehadiran"), max_length=12, choices=Attendance.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("undangan")
        verbose_name_plural = _("undangan")
        ordering = ["kecamatan_name", "board_name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"], condition=Q(person__isnull=False), name="invitation_one_per_person"
            ),
            models.UniqueConstraint(
                "meeting", Lower("email"), condition=Q(person__isnull=True) & ~Q(email=""),
                name="invitation_one_per_guest_email",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "rsvp"])]

    def __str__(self):
        return f"{self.name} — {self.meeting}"


class Minutes(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    summary = models.TextField(_("ringkasan"))
    decisions = models.TextField(_("keputusan"), blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notulen")
        verbose_name_plural = _("notulen")

    def __str__(self):
        return str(self.meeting)


class FollowUp(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Belum selesai")
        DONE = "done", _("Selesai")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="follow_ups")
    description = models.TextField(_("tindak lanjut"))
    board = models.ForeignKey(Board, verbose_name=_("lembaga penanggung jawab"), on_delete=models.PROTECT,
                              related_name="follow_ups")
    due_date = models.DateField(_("tenggat"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = _("tindak lanjut")
        verbose_name_plural = _("tindak lanjut")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["board", "status", "due_date"])]

    def __str__(self):
        return self.description[:80]


class CalendarFeed(models.Model):
    """A user's personal calendar feed; regenerating the token revokes the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return str(self.user)


class ReminderQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(status=Reminder.Status.SCHEDULED, due_at__lte=now or timezone.now())

    def unsent(self):
        return self.filter(status__in=Reminder.UNSENT)


class Reminder(models.Model):
    """The outbox: one row per e-mail to send (an invitation and a slot, a notice, a follow-up).

    The database is the queue: a dispatcher claims due rows, a worker sends
    them and records the outcome on the row, so a lost task or a Redis
    restart loses nothing: the next scan finds what is still due.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Undangan")
        CHANGE = "change", _("Perubahan jadwal")
        CANCELLATION = "cancellation", _("Pembatalan")
        REMINDER = "reminder", _("Pengingat")
        ORGANISER = "organiser", _("Pengingat untuk penyelenggara")
        FOLLOW_UP = "follow_up", _("Pengingat tindak lanjut")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Terjadwal")
        SENDING = "sending", _("Sedang dikirim")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")
        CANCELLED = "cancelled", _("Dibatalkan")
        SKIPPED = "skipped", _("Dilewati")

    UNSENT = (Status.SCHEDULED, Status.SKIPPED, Status.CANCELLED)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reminders")
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    follow_up = models.ForeignKey(FollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    # Which reminder this is: "h-3", "2h", "invite", "change-4", "h+1", "due-3"...
    slot = models.CharField(_("slot"), max_length=32)
    due_at = models.DateTimeField(_("jadwal kirim"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(_("penerima"), blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("pengingat")
        verbose_name_plural = _("pengingat")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "slot"],
                condition=Q(invitation__isnull=False),
                name="reminder_one_per_invitation_slot",
            ),
            models.UniqueConstraint(
                fields=["follow_up", "slot"],
                condition=Q(follow_up__isnull=False),
                name="reminder_one_per_follow_up_slot",
            ),
            models.UniqueConstraint(
                fields=["meeting", "slot"],
                condition=Q(invitation__isnull=True, follow_up__isnull=True),
                name="reminder_one_per_meeting_slot",
            ),
        ]
        indexes = [
            # The dispatcher's scan every minute: only scheduled rows, by due time.
            models.Index(fields=["due_at"], condition=Q(status="scheduled"), name="reminder_due_scan"),
            # The sweeper's scan for rows stuck in flight.
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="reminder_sending_scan"),
            models.Index(fields=["meeting", "status"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.slot} — {self.meeting}"


class Notification(models.Model):
    """An in-portal notice for a logged-in user (the header count and the list page)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    reminder = models.OneToOneField(Reminder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(_("pesan"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notifikasi")
        verbose_name_plural = _("notifikasi")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.text
