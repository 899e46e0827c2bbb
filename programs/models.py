"""Program proposals: a board's plans for a planning cycle, from draft to evaluation.

The lifecycle (brief §7) lives in ``programs.lifecycle``: every state change,
from a view, the admin or a task, goes through it.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Board
from portal.lib.uploads import private_storage, upload_path

# A sum larger than this is a typing mistake, not a kelurahan program (Rp1 triliun).
MAX_RUPIAH = 1_000_000_000_000


def attachment_path(instance, filename):
    return upload_path("programs", filename)


class Category(models.Model):
    """A field (bidang) of community development; editable in admin."""

    name = models.CharField(_("nama"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("bidang")
        verbose_name_plural = _("bidang")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class CycleQuerySet(models.QuerySet):
    def open_on(self, day):
        return self.filter(opens_on__lte=day, closes_on__gte=day)


class Cycle(models.Model):
    """A planning round ("Usulan Program 2027") with its submission window."""

    class Publication(models.TextChoices):
        EACH = "each", _("Diumumkan satu per satu")
        TOGETHER = "together", _("Diumumkan bersamaan untuk seluruh siklus")

    name = models.CharField(_("nama"), max_length=120, unique=True)
    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    opens_on = models.DateField(_("pengajuan dibuka"))
    closes_on = models.DateField(_("pengajuan ditutup"), help_text=_("Hari terakhir pengajuan (termasuk)."))
    max_per_board = models.PositiveSmallIntegerField(
        _("batas usulan per lembaga"), null=True, blank=True,
        help_text=_("Kosongkan bila tidak dibatasi."),
    )
    publication = models.CharField(
        _("pengumuman keputusan"), max_length=10, choices=Publication.choices, default=Publication.EACH
    )
    # For a cycle that publishes together: when staff published its decisions.
    decisions_published_at = models.DateTimeField(_("keputusan diumumkan"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("siklus usulan")
        verbose_name_plural = _("siklus usulan")
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="cycle_closes_after_opens"),
        ]

    def __str__(self):
        return self.name

    def is_open(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.opens_on <= day <= self.closes_on

    @property
    def holds_decisions(self) -> bool:
        return self.publication == self.Publication.TOGETHER and self.decisions_published_at is None


class Beneficiary(models.TextChoices):
    WOMEN = "perempuan", _("Perempuan")
    CHILDREN = "anak", _("Anak")
    ELDERLY = "lansia", _("Lansia")
    DISABLED = "disabilitas", _("Penyandang disabilitas")
    FAMILIES = "keluarga", _("Keluarga")


class ProposalQuerySet(models.QuerySet):
    def counting_for_cap(self):
        """Proposals that use one of a board's places in a cycle: all but drafts and withdrawn ones."""
        return self.exclude(status__in=[Proposal.Status.DRAFT, Proposal.Status.WITHDRAWN])


class Proposal(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draf")
        SUBMITTED = "submitted", _("Diajukan")
        UNDER_REVIEW = "under_review", _("Sedang ditinjau")
        REVISION_REQUESTED = "revision_requested", _("Perlu revisi")
        APPROVED = "approved", _("Disetujui")
        REJECTED = "rejected", _("Ditolak")
        IN_PROGRESS = "in_progress", _("Dilaksanakan")
        COMPLETED = "completed", _("Selesai")
        EVALUATED = "evaluated", _("Dievaluasi")
        WITHDRAWN = "withdrawn", _("Ditarik")

    # States whose content the board may still change.
    EDITABLE = (Status.DRAFT, Status.REVISION_REQUESTED)
    # A decision taken by staff: held from the board until published when the cycle says so.
    DECIDED = (Status.APPROVED, Status.REJECTED)

    board = models.ForeignKey(Board, verbose_name=_("lembaga"), on_delete=models.PROTECT, related_name="proposals")
    cycle = models.ForeignKey(Cycle, verbose_name=_("siklus"), on_delete=models.PROTECT, related_name="proposals")
    category = models.ForeignKey(Category, verbose_name=_("bidang"), on_delete=models.PROTECT,
                                 related_name="proposals")
    title = models.CharField(_("judul"), max_length=200)
    is_physical = models.BooleanField(_("kegiatan fisik"), default=False)
    background = models.TextField(_("latar belakang"))
    goals = models.TextField(_("tujuan"))
    location_rt_rw = models.CharField(_("RT/RW"), max_length=30, blank=True)
    location = models.CharField(_("alamat atau patokan"), max_length=300)
    beneficiary_count = models.PositiveIntegerField(_("jumlah penerima manfaat"))
    beneficiary_groups = models.JSONField(_("kelompok penerima manfaat"), default=list, blank=True)
    start_month = models.DateField(_("bulan mulai"))
    end_month = models.DateField(_("bulan selesai"))
    priority = models.PositiveSmallIntegerField(
        _("prioritas"), validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("1 = paling diutamakan di antara usulan lembaga pada siklus ini."),
    )
    # Kept equal to the sum of the budget lines by lifecycle.budget_replace (for lists and totals).
    total_requested = models.BigIntegerField(_("anggaran diusulkan"), default=0)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(_("status sejak"), default=timezone.now)
    submitted_at = models.DateTimeField(_("diajukan pada"), null=True, blank=True)

    approved_budget = models.BigIntegerField(_("anggaran disetujui"), null=True, blank=True)
    decision_note = models.TextField(_("catatan keputusan"), blank=True)
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # When the board may see the decision: at once, or when staff publish the whole cycle.
    decision_published_at = models.DateTimeField(_("keputusan diumumkan"), null=True, blank=True)

    # Latest progress, kept by lifecycle.progress_add for lists and the dashboard.
    progress_percent = models.PositiveSmallIntegerField(_("kemajuan (%)"), default=0)
    spent = models.BigIntegerField(_("realisasi anggaran"), default=0)

    carried_from = models.OneToOneField(
        "self", verbose_name=_("dilanjutkan dari"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="carried_to",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("usulan program")
        verbose_name_plural = _("usulan program")
        ordering = ["cycle", "board", "priority", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end_month__gte=models.F("start_month")),
                                   name="proposal_ends_after_start"),
            models.CheckConstraint(
                condition=Q(approved_budget__isnull=True) | Q(approved_budget__lte=models.F("total_requested")),
                name="proposal_approved_within_requested",
            ),
            models.CheckConstraint(condition=Q(progress_percent__lte=100), name="proposal_progress_percent"),
        ]
        indexes = [
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["cycle", "board"]),
            # The review queue's default page: what waits for staff, longest waiting first (programs.queue);
            # the included amounts let its totals read the index alone.
            models.Index(fields=["status_changed_at", "id"], condition=Q(status__in=["submitted", "under_review"]),
                         include=["total_requested", "approved_budget"], name="proposal_awaiting_age"),
        ]

    def __str__(self):
        return self.title

    @property
    def decision_visible_to_board(self) -> bool:
        return self.decision_published_at is not None

    def status_for_board(self):
        """What the board sees: a decision not yet published still reads as under review."""
        if self.status in self.DECIDED and not self.decision_visible_to_board:
            return self.Status.UNDER_REVIEW
        return self.status

    @property
    def open_for_recommendation(self) -> bool:
        """Submitted or under review as the Forum sees it: a held decision must not close it (that would tell)."""
        return self.status_for_board() in (self.Status.SUBMITTED, self.Status.UNDER_REVIEW)

    def status_label_for_board(self):
        return self.Status(self.status_for_board()).label

    def age_in_status(self, now=None) -> datetime.timedelta:
        return (now or timezone.now()) - self.status_changed_at

    def beneficiary_labels(self):
        labels = dict(Beneficiary.choices)
        return [labels[code] for code in self.beneficiary_groups if code in labels]


class BudgetLine(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="budget_lines")
    position = models.PositiveSmallIntegerField(default=0)
    item = models.CharField(_("uraian"), max_length=200)
    volume = models.DecimalField(_("volume"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("satuan"), max_length=30)
    unit_cost = models.BigIntegerField(_("harga satuan (Rp)"))
    subtotal = models.BigIntegerField(_("jumlah (Rp)"))

    class Meta:
        verbose_name = _("rincian anggaran")
        verbose_name_plural = _("rincian anggaran")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gt=0), name="budget_line_unit_cost_positive"),
            models.CheckConstraint(condition=Q(volume__gt=0), name="budget_line_volume_positive"),
        ]

    def __str__(self):
        return self.item


class ProgressReport(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="progress_reports")
    report_date = models.DateField(_("tanggal laporan"))
    percent = models.PositiveSmallIntegerField(_("kemajuan (%)"), validators=[MaxValueValidator(100)])
    narrative = models.TextField(_("uraian kegiatan"))
    spent = models.BigIntegerField(_("anggaran terpakai sampai saat ini (Rp)"))
    is_final = models.BooleanField(_("laporan akhir"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("laporan kemajuan")
        verbose_name_plural = _("laporan kemajuan")
        ordering = ["report_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="progress_report_percent"),
            models.CheckConstraint(condition=Q(spent__gte=0), name="progress_report_spent"),
        ]

    def __str__(self):
        return f"{self.proposal} — {self.report_date} ({self.percent}%)"


class Attachment(models.Model):
    """A document of a proposal, or a photo of a progress report; served through a permission-checked view."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    report = models.ForeignKey(ProgressReport, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="photos")
    title = models.CharField(_("judul"), max_length=200)
    file = models.FileField(_("berkas"), upload_to=attachment_path, storage=private_storage)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lampiran")
        verbose_name_plural = _("lampiran")
        ordering = ["pk"]

    def __str__(self):
        return self.title


class Recommendation(models.Model):
    """The Forum LPM's view of a proposal of its kecamatan (one per proposal; may be revised)."""

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="recommendation")
    forum = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recommends = models.BooleanField(_("merekomendasikan"))
    note = models.TextField(_("catatan"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rekomendasi forum")
        verbose_name_plural = _("rekomendasi forum")

    def __str__(self):
        return f"{self.proposal}: {self.recommends}"


class Evaluation(models.Model):
    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="evaluation")
    targets_met = models.BooleanField(_("target tercapai"))
    beneficiaries_reached = models.PositiveIntegerField(_("penerima manfaat terjangkau"))
    budget_realised = models.BigIntegerField(_("realisasi anggaran (Rp)"))
    score = models.PositiveSmallIntegerField(_("nilai (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    notes = models.TextField(_("catatan"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evaluasi")
        verbose_name_plural = _("evaluasi")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="evaluation_score_range"),
            models.CheckConstraint(condition=Q(budget_realised__gte=0), name="evaluation_budget_realised"),
        ]

    def __str__(self):
        return str(self.proposal)


class ProposalEvent(models.Model):
    """The timeline: every state change, comment, recommendation and report, with who and when."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Perubahan status")
        COMMENT = "comment", _("Komentar")
        RECOMMENDATION = "recommendation", _("Rekomendasi forum")
        PROGRESS = "progress", _("Laporan kemajuan")
        EDIT = "edit", _("Perubahan isi")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("oleh"), max_length=200, blank=True)
    from_status = models.CharField(max_length=20, choices=Proposal.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Proposal.Status.choices, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("riwayat usulan")
        verbose_name_plural = _("riwayat usulan")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["proposal", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.proposal}"

    @property
    def is_decision(self):
        return self.kind == self.Kind.TRANSITION and self.to_status in Proposal.DECIDED


class NoticeQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(status=Notice.Status.SCHEDULED, due_at__lte=now or timezone.now())


class Notice(models.Model):
    """The e-mail outbox for proposals: one row per recipient of an event, sent by a Celery worker."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Terjadwal")
        SENDING = "sending", _("Sedang dikirim")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")

    event = models.ForeignKey(ProposalEvent, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField(_("penerima"))
    language = models.CharField(max_length=8, default="id")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pemberitahuan usulan")
        verbose_name_plural = _("pemberitahuan usulan")
        ordering = ["due_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["event", "email"], name="notice_one_per_event_email")]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="scheduled"), name="notice_due_scan"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="notice_sending_scan"),
        ]

    def __str__(self):
        return f"{self.email}: {self.event}"
