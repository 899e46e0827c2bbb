"""The staff review queue: which proposals, filtered and sorted how, with their totals.

The page and its CSV/XLSX export read the same GET parameters (the dashboard links
here with them): ``cycle``, ``kecamatan``, ``kelurahan``, ``category``, ``status``,
``physical``, ``q`` and ``sort``. Rows come with their board, regions, field and
forum recommendation in one query, so a page of 25 costs what a page of 3 does.
"""

import datetime

from django import forms
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from organizations.models import Region

from .models import Category, Cycle, Proposal

S = Proposal.Status
# What waits for staff: submitted (to be taken up) and under review (to be decided).
AWAITING = (S.SUBMITTED, S.UNDER_REVIEW)
ALL = "all"
# Past this, a proposal has waited too long in its state and the queue says so.
STALE_AFTER = datetime.timedelta(days=14)
PAGE_SIZE = 25

SORTS = {
    "age": (_("Paling lama menunggu"), (F("status_changed_at").asc(), "pk")),
    "-age": (_("Paling baru berubah status"), (F("status_changed_at").desc(), "-pk")),
    "submitted": (_("Tanggal diajukan (terlama)"), (F("submitted_at").asc(nulls_last=True), "pk")),
    "-submitted": (_("Tanggal diajukan (terbaru)"), (F("submitted_at").desc(nulls_last=True), "-pk")),
    "-requested": (_("Anggaran diusulkan (terbesar)"), (F("total_requested").desc(), "pk")),
    "requested": (_("Anggaran diusulkan (terkecil)"), (F("total_requested").asc(), "pk")),
    "priority": (_("Prioritas"), ("priority", "board__name", "pk")),
    "board": (_("Lembaga"), ("board__name", "priority", "pk")),
}
DEFAULT_SORT = "age"


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region):
        return region.name


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari judul atau lembaga"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Menunggu staf (diajukan dan sedang ditinjau)")), (ALL, _("Semua status")), *S.choices],
    )
    cycle = forms.ModelChoiceField(label=_("Siklus"), required=False, queryset=Cycle.objects.all(),
                                   empty_label=_("Semua siklus"))
    kecamatan = RegionChoiceField(label=_("Kecamatan"), required=False, empty_label=_("Semua kecamatan"),
                                  queryset=Region.objects.filter(level=Region.Level.KECAMATAN).order_by("name"))
    kelurahan = RegionChoiceField(label=_("Kelurahan"), required=False, empty_label=_("Semua kelurahan"),
                                  queryset=Region.objects.filter(level=Region.Level.KELURAHAN).order_by("name"))
    category = forms.ModelChoiceField(label=_("Bidang"), required=False, queryset=Category.objects.all(),
                                      empty_label=_("Semua bidang"))
    physical = forms.ChoiceField(
        label=_("Jenis kegiatan"), required=False,
        choices=[("", _("Fisik dan non-fisik")), ("1", _("Fisik")), ("0", _("Non-fisik"))],
    )
    sort = forms.ChoiceField(label=_("Urutkan"), required=False,
                             choices=[(key, label) for key, (label, _order) in SORTS.items()])

    def values(self) -> dict:
        """The valid filters only: a bad parameter is shown as an error and otherwise ignored."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

    @property
    def narrowed(self) -> bool:
        """Anything beyond the default (what waits for staff, oldest first)?"""
        return any(key != "sort" for key in self.values())


def queue_proposals(filters: dict):
    """The proposals the queue shows for ``filters`` (QueueFilterForm.values()), in order."""
    proposals = Proposal.objects.select_related("board__region__parent", "cycle", "category", "recommendation")
    status = filters.get("status")
    if status == ALL:
        pass
    elif status:
        proposals = proposals.filter(status=status)
    else:
        proposals = proposals.filter(status__in=AWAITING)
    if "cycle" in filters:
        proposals = proposals.filter(cycle=filters["cycle"])
    if "kecamatan" in filters:
        proposals = proposals.filter(board__region__parent=filters["kecamatan"])
    if "kelurahan" in filters:
        proposals = proposals.filter(board__region=filters["kelurahan"])
    if "category" in filters:
        proposals = proposals.filter(category=filters["category"])
    if "physical" in filters:
        proposals = proposals.filter(is_physical=filters["physical"] == "1")
    if query := (filters.get("q") or "").strip():
        proposals = proposals.filter(
            Q(title__icontains=query) | Q(board__name__icontains=query) | Q(board__region__name__icontains=query)
        )
    return proposals.order_by(*SORTS[filters.get("sort") or DEFAULT_SORT][1])


def queue_totals(proposals) -> dict:
    """Count and sums of the whole filtered set (not just the page), in one query."""
    totals = proposals.order_by().aggregate(
        count=Count("pk"), requested=Sum("total_requested"), approved=Sum("approved_budget"),
    )
    return {"count": totals["count"], "requested": totals["requested"] or 0, "approved": totals["approved"] or 0}


def annotate_rows(proposals, now=None):
    """Give each proposal what a row shows beyond its fields: age in its state and the forum's view."""
    now = now or timezone.now()
    for proposal in proposals:
        age = proposal.age_in_status(now)
        proposal.age_days = max(age.days, 0)
        proposal.age_label = age_label(age)
        proposal.is_stale = age > STALE_AFTER
        # Loaded by select_related: None when the forum has not spoken (no query either way).
        proposal.forum_view = getattr(proposal, "recommendation", None)
        proposal.decision_held = proposal.status in Proposal.DECIDED and proposal.decision_published_at is None
    return proposals


def age_label(age: datetime.timedelta) -> str:
    days = age.days
    if days < 1:
        return str(_("kurang dari 1 hari"))
    return ngettext("%(days)d hari", "%(days)d hari", days) % {"days": days}
