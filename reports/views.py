"""The dashboard, the recap and the exports.

Staff see the whole city, a kecamatan coordinator the same pages for their
kecamatan (``Access.dashboard_kecamatan_ids``); officers get a 403 here and
their own numbers on the home page. An export job and its file belong to the
user who asked for it: anyone else gets a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.access import access_for
from portal.lib.pagecache import cached_page
from portal.lib.uploads import serve_private

from . import charts, exports, pdf, selectors, services
from .forms import CycleForm, RecapForm, YearForm
from .models import ExportJob

RECENT_JOBS = 10
# The dashboard shows the first rows of each long list; ``?semua=<section>`` shows a whole list, a page at a time.
WHOLE_LIST_SECTIONS = ("kesehatan", "kehadiran", "perempuan", "anggaran")
WHOLE_LIST_PAGE = 50


def _require_dashboard(request):
    access = access_for(request.user)
    if not access.can_view_dashboard():
        raise PermissionDenied
    return access


@login_required
@require_GET
@cached_page
def dashboard(request):
    access = _require_dashboard(request)
    scope = selectors.Scope.of(access)
    if "semua" in request.GET:
        return _whole_list(request, scope, request.GET["semua"])
    cycles = selectors.cycles()
    cycle = selectors.choose_cycle(cycles, request.GET.get("cycle"))
    context = selectors.dashboard(scope, cycle=cycle)
    budget = context["budget"]
    context.update({
        "scope": scope,
        "cycles": cycles,
        "cycle": cycle,
        "budget_chart": charts.budget_chart(
            budget.by_kecamatan, id="chart-budget-kecamatan", title=_("Anggaran per kecamatan")
        ) if budget else None,
        "category_chart": charts.budget_chart(
            budget.by_category, id="chart-budget-category", title=_("Anggaran per bidang")
        ) if budget else None,
        "women_chart": charts.women_chart(context["women"]),
        "attendance_chart": charts.attendance_chart(context["attendance"]),
    })
    return render(request, "reports/dashboard.html", context)


def _whole_list(request, scope, section):
    """One of the dashboard's long lists in full, a page at a time, for the same scope as the dashboard."""
    if section not in WHOLE_LIST_SECTIONS:
        raise Http404
    now = timezone.now()
    today = timezone.localdate(now)
    number = request.GET.get("page")
    kecamatan = list(scope.kecamatan())
    context = {
        "scope": scope,
        "section": section,
        "kecamatan_names": [] if scope.is_city else [k.name for k in kecamatan],
    }
    params = {}
    if section == "kesehatan":
        issue = request.GET.get("masalah")
        issue = issue if issue in selectors.ISSUES else None
        health = selectors.board_health(scope, today=today, now=now, issue=issue, limit=0)
        page = Paginator(health.rows, WHOLE_LIST_PAGE).get_page(number)
        context.update(health=health, boards=selectors.health_boards(page.object_list))
        params["masalah"] = issue
    elif section == "kehadiran":
        since, until = selectors.attendance_period(now)
        # Every id at once: one pass over the boards rather than one to count them and one for the page.
        boards = list(selectors.attendance_boards(scope, since=since, until=until).values_list("pk", flat=True))
        page = Paginator(boards, WHOLE_LIST_PAGE).get_page(number)
        context["attendance"] = selectors.attendance_rates(page.object_list, since=since, until=until)
    elif section == "perempuan":
        women = selectors.women_representation(scope, kecamatan=kecamatan, today=today, limit=None)
        page = Paginator(women.by_kecamatan, WHOLE_LIST_PAGE).get_page(number)
        context.update(women=women, rows=page.object_list)
    else:
        cycle = selectors.choose_cycle(selectors.cycles(), request.GET.get("cycle"))
        page = Paginator(kecamatan, WHOLE_LIST_PAGE).get_page(number)
        if cycle is not None:
            # Rows for this page's kecamatan only; the total still counts every proposal of the scope.
            context["budget"] = selectors.budget(scope, cycle=cycle, kecamatan=list(page.object_list),
                                                 categories=[], limit=None)
            params["cycle"] = cycle.pk
        context["cycle"] = cycle
    context.update(page_obj=page, query=urlencode({"semua": section, **{k: v for k, v in params.items() if v}}))
    return render(request, "reports/dashboard_all.html", context)


# --- the recap ------------------------------------------------------------------------------------


@login_required
@require_GET
def recap(request):
    """The form; with a cycle or a year chosen, the PDF itself."""
    access = _require_dashboard(request)
    asked = "cycle" in request.GET or "year" in request.GET
    form = RecapForm(request.GET if asked else None)
    if asked and form.is_valid():
        scope = selectors.Scope.of(access)
        cycle, year = form.cleaned_data["cycle"], form.cleaned_data["year"]
        names = [] if scope.is_city else list(scope.kecamatan().values_list("name", flat=True))
        content = pdf.recap_pdf(scope, cycle=cycle, year=year, kecamatan_names=names)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            True, pdf.recap_filename(cycle=cycle, year=year)
        )
        response["Cache-Control"] = "private, no-store"
        return response
    return render(request, "reports/recap.html", {"form": form}, status=400 if asked else 200)


# --- exports ---------------------------------------------------------------------------------------


def _export_forms(access, data=None, kind=None):
    forms = {}
    if access.can_export_directory():
        forms[ExportJob.Kind.DIRECTORY] = None
    if access.can_export_attendance():
        forms[ExportJob.Kind.ATTENDANCE] = YearForm(data if kind == ExportJob.Kind.ATTENDANCE else None,
                                                    prefix="attendance")
    forms[ExportJob.Kind.PROPOSALS] = CycleForm(data if kind == ExportJob.Kind.PROPOSALS else None,
                                                prefix="proposals")
    return forms


def _render_exports(request, access, forms, status=200):
    jobs = ExportJob.objects.filter(owner=request.user)[:RECENT_JOBS]
    return render(request, "reports/exports.html", {
        "forms": forms,
        "Kind": ExportJob.Kind,
        "jobs": jobs,
        "threshold": exports.async_threshold(),
    }, status=status)


@login_required
@require_GET
def export_list(request):
    access = _require_dashboard(request)
    return _render_exports(request, access, _export_forms(access))


@login_required
@require_POST
def export_create(request, kind):
    """A small export comes back at once; a large one becomes a job for a worker."""
    access = _require_dashboard(request)
    if kind not in ExportJob.Kind.values:
        raise Http404
    forms = _export_forms(access, request.POST, kind)
    if kind not in forms:
        raise PermissionDenied
    form = forms[kind]
    if form is not None and not form.is_valid():
        return _render_exports(request, access, forms, status=400)
    params = {}
    if kind == ExportJob.Kind.ATTENDANCE:
        params["year"] = form.cleaned_data["year"]
    elif kind == ExportJob.Kind.PROPOSALS:
        params["cycle"] = form.cleaned_data["cycle"].pk
    try:
        spec = exports.export_spec(kind, access, params)
    except exports.ExportError as error:
        messages.error(request, str(error))
        return redirect("reports:exports")
    rows = spec.row_count()
    if rows > exports.async_threshold():
        job = services.export_job_create(owner=request.user, kind=kind, params=params, rows_total=rows)
        messages.info(request, _("Berkas ini besar (%(rows)s baris) dan sedang disiapkan.") % {"rows": rows})
        return redirect("reports:export_job", pk=job.pk)
    response = HttpResponse(exports.write_xlsx(spec), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, spec.filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _own_job_or_404(request, pk):
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None or not access_for(request.user).can_download_export(job):
        raise Http404
    return services.export_job_expire(job)


@login_required
@require_GET
def export_job(request, pk):
    job = _own_job_or_404(request, pk)
    return render(request, "reports/export_job.html", {"job": job})


@never_cache
@login_required
@require_http_methods(["GET"])
def export_job_status(request, pk):
    """What the progress page polls: status, percent and, when ready, the download link."""
    job = _own_job_or_404(request, pk)
    return JsonResponse({
        "status": job.status,
        "label": str(job.get_status_display()),
        "progress": job.progress,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "rows_text": _("%(done)s dari %(total)s baris") % {"done": job.rows_done, "total": job.rows_total}
        if job.rows_total else "",
        "finished": job.is_finished,
        "download_url": reverse("reports:export_download", args=[job.pk])
        if job.status == ExportJob.Status.DONE else None,
        "error": job.error,
    })


@login_required
@require_GET
def export_download(request, pk):
    job = _own_job_or_404(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file or not job.file.storage.exists(job.file.name):
        raise Http404
    response = serve_private(job.file, filename=job.filename, content_type=exports.XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response
