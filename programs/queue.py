"""The staff review queue: which proposals, filtered and sorted how, with their totals.

The page and its CSV/XLSX export read the same GET parameters (the dashboard links
here with them): ``cycle``, ``kecamatan``, ``kelurahan``, ``category``, ``status``,
``physical``, ``q`` and ``sort``. Rows come with their board, regions, field and
forum recommendation in one query, so a page of 25 costs what a page of 3 does.

At national scale there are hundreds of kecamatan and thousands of kelurahan: the kecamatan
select lists them grouped by kota, the kelurahan select only those of the chosen kecamatan
(htmx refreshes it when the kecamatan changes; without JavaScript, "Terapkan" does), and both
are written out directly rather than through one template per option.
"""

import datetime
from itertools import groupby

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
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
LONG_TEXTS = ("background", "goals", "location", "beneficiary_groups", "decision_note", "recommendation__note")

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


class FastSelect(forms.Select):
    """A <select> written out in Python rather than through a template per option.

    Django's Select renders two templates per option, about 0.1 ms each: the hundreds of kecamatan of a national
    rollout made the filter form most of the page's time. Takes Django's choices, <optgroup>s included.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))

        def options(pairs):
            return "".join(
                f'<option value="{escape(key)}"{" selected" if str(key) in selected else ""}>{escape(label)}</option>'
                for key, label in pairs
            )

        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        parts = [format_html("<select{}>", flatatt(final))]
        for key, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{escape(key)}">{options(label)}</optgroup>')
            else:
                parts.append(options([(key, label)]))
        parts.append("</select>")
        return mark_safe("".join(parts))  # every value and label escaped above


class RegionChoices(BaseChoiceIterator):
    """Choices read when the <select> is rendered: the empty one, then ``load()``'s (the export never renders).

    A BaseChoiceIterator, which the widget keeps as it is instead of reading it at once.
    """

    def __init__(self, empty_label, load=list):
        self.empty_label, self.load = empty_label, load

    def __iter__(self):
        yield "", self.empty_label  # first without a query: Select.use_required_attribute looks at it
        yield from self.load()


class RegionChoiceField(forms.ModelChoiceField):
    """A region by id, checked against ``queryset``; the options shown are set apart (``RegionChoices``)."""

    widget = FastSelect

    def show(self, load):
        self.widget.choices = RegionChoices(self.empty_label, load)

    def label_from_instance(self, region):
        return region.name


def kecamatan_options():
    """Every kecamatan by name, in <optgroup>s by kota when there is more than one kota."""
    rows = (Region.objects.filter(level=Region.Level.KECAMATAN)
            .order_by("parent__name", "name").values_list("parent__name", "pk", "name"))
    groups = [(kota, [(pk, name) for _kota, pk, name in members]) for kota, members in groupby(rows, lambda r: r[0])]
    if len(groups) <= 1:
        return [option for _kota, options in groups for option in options]
    return groups


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari judul atau lembaga"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, widget=FastSelect,
        choices=[("", _("Menunggu staf (diajukan dan sedang ditinjau)")), (ALL, _("Semua status")), *S.choices],
    )
    cycle = forms.ModelChoiceField(label=_("Siklus"), required=False, queryset=Cycle.objects.all(),
                                   empty_label=_("Semua siklus"), widget=FastSelect)
    kecamatan = RegionChoiceField(label=_("Kecamatan"), required=False, empty_label=_("Semua kecamatan"),
                                  queryset=Region.objects.filter(level=Region.Level.KECAMATAN).order_by("name"))
    kelurahan = RegionChoiceField(label=_("Kelurahan"), required=False, empty_label=_("Semua kelurahan"),
                                  queryset=Region.objects.filter(level=Region.Level.KELURAHAN).order_by("name"))
    category = forms.ModelChoiceField(label=_("Bidang"), required=False, queryset=Category.objects.all(),
                                      empty_label=_("Semua bidang"), widget=FastSelect)
    physical = forms.ChoiceField(
        label=_("Jenis kegiatan"), required=False, widget=FastSelect,
        choices=[("", _("Fisik dan non-fisik")), ("1", _("Fisik")), ("0", _("Non-fisik"))],
    )
    sort = forms.ChoiceField(label=_("Urutkan"), required=False, widget=FastSelect,
                             choices=[(key, label) for key, (label, _order) in SORTS.items()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # (Copying the fields for this form reset their options to the whole queryset.)
        self.fields["kecamatan"].show(kecamatan_options)
        self.fields["kelurahan"].show(list)
        self.fields["kecamatan"].widget.attrs.update({
            # With htmx, choosing a kecamatan refreshes the kelurahan select (programs.views.review.queue).
            "hx-get": reverse("programs:queue"), "hx-trigger": "change", "hx-target": "#kelurahan-field",
            "hx-swap": "outerHTML",
        })

    def clean(self):
        """Offer the kelurahan of the chosen kecamatan (or of the chosen kelurahan's), none before that."""
        data = super().clean()
        kecamatan, kelurahan = data.get("kecamatan"), data.get("kelurahan")
        if kecamatan is not None:
            shown = Q(parent=kecamatan)
            if kelurahan is not None:
                shown |= Q(pk=kelurahan.pk)  # chosen in another kecamatan: still shown as chosen
        elif kelurahan is not None:
            shown = Q(parent_id=kelurahan.parent_id)
        else:
            shown = None
            # The bound field copied the help text when the fields were cleaned: set both.
            hint = _("Pilih kecamatan terlebih dahulu untuk memilih kelurahan.")
            self.fields["kelurahan"].help_text = self["kelurahan"].help_text = hint
        if shown is not None:
            options = (Region.objects.filter(shown, level=Region.Level.KELURAHAN)
                       .order_by("name").values_list("pk", "name"))
            self.fields["kelurahan"].show(lambda: options)
        return data

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
    proposals = (
        Proposal.objects.select_related("board__region__parent", "cycle", "category", "recommendation")
        # Long texts neither the list nor the export shows: kept out of sorts over thousands of rows.
        .defer(*LONG_TEXTS)
    )
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


def queue_page(proposals, totals: dict, number):
    """The page ``number`` of ``proposals``: its ids sorted first, then those rows with everything they show.

    Sorting ids (and the sort keys) rather than whole joined rows keeps a sort over thousands of proposals
    cheap; the default order reads the partial index ``proposal_awaiting_age`` and stops after the page.
    """
    paginator = Paginator(proposals.values_list("pk", flat=True), PAGE_SIZE)
    paginator.count = totals["count"]  # already counted with the sums: no second COUNT
    page = paginator.get_page(number)
    ids = list(page.object_list)
    rows = proposals.order_by().in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


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
