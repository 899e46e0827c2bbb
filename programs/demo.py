"""Demo proposals for `manage.py seed_demo`: an open cycle to work in and last year's to look back on.

The open cycle's proposals go through the lifecycle like real ones (their
notices reach the worker and the console mail backend); last year's are
history, written directly with their events, reports and evaluation.
"""

import datetime
import decimal
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.demo import DEFAULT_SEED, DEMO_LOGINS, STAFF_LOGIN_EMAIL
from organizations.models import Board
from portal.lib.formats import WITA

from . import lifecycle
from .models import (
    BudgetLine,
    Category,
    Cycle,
    Evaluation,
    ProgressReport,
    Proposal,
    ProposalEvent,
    Recommendation,
)

LINES = {
    "Pelatihan kader posyandu": [
        {"item": "Konsumsi peserta", "volume": 40, "unit": "kotak", "unit_cost": 25_000},
        {"item": "Honor narasumber", "volume": 2, "unit": "orang", "unit_cost": 500_000},
        {"item": "Modul pelatihan", "volume": 40, "unit": "eksemplar", "unit_cost": 15_000},
    ],
    "Bank sampah RT 05": [
        {"item": "Timbangan gantung", "volume": 2, "unit": "unit", "unit_cost": 350_000},
        {"item": "Karung dan tong pilah", "volume": 30, "unit": "buah", "unit_cost": 45_000},
    ],
    "Pelatihan olahan ikan bagi ibu rumah tangga": [
        {"item": "Bahan praktik", "volume": 1, "unit": "paket", "unit_cost": 2_500_000},
        {"item": "Konsumsi peserta", "volume": 30, "unit": "kotak", "unit_cost": 25_000},
    ],
    "Perbaikan drainase gang Mawar": [
        {"item": "Semen", "volume": 40, "unit": "sak", "unit_cost": 68_000},
        {"item": "Pasir", "volume": 6, "unit": "m3", "unit_cost": 250_000},
        {"item": "Upah tukang", "volume": 10, "unit": "hari", "unit_cost": 150_000},
    ],
}


def _board(code):
    return Board.objects.filter(kind=Board.Kind.LPM, region__code=code).first()


def _fields(title, category, priority, start):
    return {
        "category": category, "title": title, "is_physical": title.startswith("Perbaikan"),
        "background": "Disusun dari hasil musyawarah pengurus dan warga kelurahan.",
        "goals": "Meningkatkan kesejahteraan keluarga di lingkungan kelurahan.",
        "location_rt_rw": "RT 05/RW 02", "location": "Balai pertemuan kelurahan", "beneficiary_count": 40,
        "beneficiary_groups": ["perempuan", "keluarga"], "start_month": start,
        "end_month": start.replace(month=min(start.month + 2, 12)), "priority": priority,
    }


def demo_proposals(today=None) -> int:
    """Create the demo cycles and proposals that do not exist yet; returns how many proposals were created."""
    today = today or timezone.localdate()
    User = get_user_model()
    staff = User.objects.filter(email=STAFF_LOGIN_EMAIL).first()
    ketua = {login.board_code: User.objects.filter(email=login.email).first()
             for login in DEMO_LOGINS if login.board_code and login.position == "ketua"}
    categories = {category.name: category for category in Category.objects.all()}
    if staff is None or not categories or not all(ketua.values()):
        return 0
    created = 0
    year = today.year + 1
    current, new_cycle = Cycle.objects.get_or_create(
        name=f"Usulan Program {year}",
        defaults={"year": year, "opens_on": today - datetime.timedelta(days=14),
                  "closes_on": today + datetime.timedelta(days=30), "max_per_board": 5},
    )
    past, _ = Cycle.objects.get_or_create(
        name=f"Usulan Program {year - 1}",
        defaults={"year": year - 1, "opens_on": today.replace(year=today.year - 1, month=1, day=1),
                  "closes_on": today.replace(year=today.year - 1, month=3, day=31)},
    )
    start = datetime.date(year, 3, 1)
    manggar, prapatan = _board("64.71.01.1001"), _board("64.71.06.1001")
    if new_cycle and manggar and prapatan:
        by_manggar, by_prapatan = ketua["64.71.01.1001"], ketua["64.71.06.1001"]
        lifecycle.proposal_create(
            board=manggar, cycle=current, by=by_manggar, budget_lines=LINES["Pelatihan kader posyandu"],
            **_fields("Pelatihan kader posyandu", categories["Ketahanan Keluarga"], 1, start))
        submitted = lifecycle.proposal_create(
            board=manggar, cycle=current, by=by_manggar, budget_lines=LINES["Bank sampah RT 05"],
            **_fields("Bank sampah RT 05", categories["Kualitas Lingkungan"], 2, start))
        lifecycle.proposal_submit(proposal=submitted, by=by_manggar)
        reviewed = lifecycle.proposal_create(
            board=prapatan, cycle=current, by=by_prapatan,
            budget_lines=LINES["Pelatihan olahan ikan bagi ibu rumah tangga"],
            **_fields("Pelatihan olahan ikan bagi ibu rumah tangga", categories["Pemberdayaan Perempuan"], 1, start))
        lifecycle.proposal_submit(proposal=reviewed, by=by_prapatan)
        lifecycle.proposal_start_review(proposal=reviewed, by=staff)
        lifecycle.comment_add(proposal=reviewed, by=staff, text="Mohon jelaskan siapa narasumber pelatihannya.")
        created += 3
    if manggar and not past.proposals.exists():
        created += _past_program(past, manggar, ketua["64.71.01.1001"], staff, categories["Infrastruktur Lingkungan"])
    return created


def _past_program(cycle, board, officer, staff, category) -> int:
    """Last year's drainage works: approved, carried out, completed and evaluated."""
    title = "Perbaikan drainase gang Mawar"
    start = datetime.date(cycle.year, 5, 1)
    rows = lifecycle.budget_lines_clean(LINES[title])
    total = sum(row.subtotal for row in rows)
    decided = timezone.make_aware(datetime.datetime(cycle.year, 4, 20, 10))
    done = timezone.make_aware(datetime.datetime(cycle.year, 8, 30, 15))
    proposal = Proposal.objects.create(
        board=board, cycle=cycle, created_by=officer, status=Proposal.Status.EVALUATED, status_changed_at=done,
        submitted_at=decided - datetime.timedelta(days=30), total_requested=total, approved_budget=total - 400_000,
        decision_note="Disetujui dengan penyesuaian upah tukang.", decided_at=decided, decided_by=staff,
        decision_published_at=decided, progress_percent=100, spent=total - 450_000,
        **_fields(title, category, 1, start),
    )
    for row in rows:
        row.proposal = proposal
        row.save()
    steps = [("draft", "submitted", officer, 30), ("submitted", "under_review", staff, 25),
             ("under_review", "approved", staff, 0)]
    for from_status, to_status, actor, days_before in steps:
        ProposalEvent.objects.create(proposal=proposal, kind=ProposalEvent.Kind.TRANSITION, actor=actor,
                                     actor_name=lifecycle._display_name(actor), from_status=from_status,
                                     to_status=to_status, created_at=decided - datetime.timedelta(days=days_before))
    for day, percent, spent in ((datetime.date(cycle.year, 6, 15), 40, 1_900_000),
                                (datetime.date(cycle.year, 8, 28), 100, total - 450_000)):
        ProgressReport.objects.create(proposal=proposal, report_date=day, percent=percent, spent=spent,
                                      narrative="Pekerjaan saluran dan penutup drainase.", is_final=percent == 100,
                                      created_by=officer)
    Evaluation.objects.create(proposal=proposal, targets_met=True, beneficiaries_reached=120,
                              budget_realised=total - 450_000, score=4, notes="Genangan berkurang di musim hujan.",
                              by=staff)
    return 1


# --- Scale data (seed_demo --scale N) -----------------------------------------------------------
#
# About 510 proposals per synthetic city (50,000 at --scale 100) over three
# cycles, in every state, with their budget lines, timelines, progress reports,
# evaluations and forum recommendations. Written in bulk (COPY on PostgreSQL),
# not through the lifecycle, but consistent with what it would have written:
# total_requested is the sum of the lines, the approved budget never exceeds
# it, decisions are published when taken, progress matches the last report.

S = Proposal.Status
# Proposals per LPM board and cycle, inclusive.
SCALE_PER_BOARD = (4, 6)
# How the proposals of each cycle are spread over the states (weights).
SCALE_STATES = {
    "current": {S.DRAFT: 30, S.SUBMITTED: 33, S.UNDER_REVIEW: 20, S.REVISION_REQUESTED: 8, S.WITHDRAWN: 4,
                S.APPROVED: 3, S.REJECTED: 2},
    "past": {S.APPROVED: 8, S.REJECTED: 15, S.IN_PROGRESS: 35, S.COMPLETED: 20, S.EVALUATED: 17, S.WITHDRAWN: 5},
    "older": {S.EVALUATED: 62, S.COMPLETED: 10, S.REJECTED: 21, S.WITHDRAWN: 7},
}
# The path a proposal took to reach each state (the lifecycle's transitions).
_PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: [S.SUBMITTED],
    S.UNDER_REVIEW: [S.SUBMITTED, S.UNDER_REVIEW],
    S.REVISION_REQUESTED: [S.SUBMITTED, S.UNDER_REVIEW, S.REVISION_REQUESTED],
    S.APPROVED: [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED],
    S.REJECTED: [S.SUBMITTED, S.UNDER_REVIEW, S.REJECTED],
    S.IN_PROGRESS: [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED, S.IN_PROGRESS],
    S.COMPLETED: [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED, S.IN_PROGRESS, S.COMPLETED],
    S.EVALUATED: [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED, S.IN_PROGRESS, S.COMPLETED, S.EVALUATED],
}
# Days each step takes (low, high).
_STEP_DAYS = {S.SUBMITTED: (0, 6), S.UNDER_REVIEW: (1, 10), S.REVISION_REQUESTED: (1, 6), S.APPROVED: (3, 25),
              S.REJECTED: (3, 25), S.WITHDRAWN: (1, 10), S.IN_PROGRESS: (10, 60), S.COMPLETED: (40, 150),
              S.EVALUATED: (5, 40)}
_STAFF_STEPS = {S.UNDER_REVIEW, S.REVISION_REQUESTED, S.APPROVED, S.REJECTED, S.EVALUATED}
_DECIDED = {S.APPROVED, S.REJECTED, S.IN_PROGRESS, S.COMPLETED, S.EVALUATED}

SCALE_TITLES = {
    "Ketahanan Keluarga": ("Pelatihan kader posyandu", "Kelas parenting bagi orang tua", "Bina keluarga balita",
                           "Penyuluhan gizi keluarga", "Kelompok bina keluarga remaja"),
    "Perlindungan Anak": ("Ruang bermain ramah anak", "Sosialisasi pencegahan kekerasan terhadap anak",
                          "Forum anak kelurahan", "Taman baca anak RT"),
    "Pemberdayaan Perempuan": ("Pelatihan olahan ikan bagi ibu rumah tangga", "Pelatihan menjahit bagi perempuan",
                               "Pendampingan usaha kue rumahan", "Pelatihan kepemimpinan perempuan"),
    "Kualitas Lingkungan": ("Bank sampah", "Penghijauan bantaran sungai", "Kampung iklim",
                            "Pengomposan sampah rumah tangga"),
    "Ekonomi Masyarakat": ("Pelatihan pemasaran daring UMKM", "Kelompok usaha bersama", "Pelatihan budidaya lele",
                           "Koperasi simpan pinjam warga"),
    "Sosial Budaya": ("Festival budaya kelurahan", "Sanggar seni remaja", "Santunan lansia",
                      "Peringatan hari besar nasional"),
    "Infrastruktur Lingkungan": ("Perbaikan drainase gang", "Semenisasi jalan lingkungan", "Lampu jalan tenaga surya",
                                 "Perbaikan jembatan kayu", "Pembuatan sumur resapan"),
}
_PHYSICAL = {"Infrastruktur Lingkungan"}
# (item, unit, lowest and highest unit cost in rupiah, lowest and highest volume)
_ITEMS = (
    ("Konsumsi peserta", "kotak", 20_000, 35_000, 20, 80),
    ("Honor narasumber", "orang", 300_000, 1_000_000, 1, 3),
    ("Modul dan alat tulis", "paket", 15_000, 40_000, 20, 60),
    ("Sewa tenda dan kursi", "paket", 750_000, 2_500_000, 1, 2),
    ("Spanduk dan publikasi", "lembar", 150_000, 400_000, 1, 4),
    ("Bahan praktik", "paket", 500_000, 3_000_000, 1, 3),
    ("Transport peserta", "orang", 25_000, 50_000, 20, 60),
    ("Dokumentasi dan laporan", "paket", 250_000, 750_000, 1, 1),
    ("Peralatan kegiatan", "unit", 150_000, 1_500_000, 1, 6),
)
_PHYSICAL_ITEMS = (
    ("Semen", "sak", 65_000, 75_000, 20, 120),
    ("Pasir", "m3", 200_000, 300_000, 3, 15),
    ("Batu split", "m3", 300_000, 400_000, 2, 10),
    ("Besi beton", "batang", 80_000, 120_000, 10, 60),
    ("Upah tukang", "hari", 130_000, 180_000, 5, 30),
    ("Sewa alat", "hari", 200_000, 500_000, 1, 5),
)
_REASONS = ("Tidak sesuai prioritas program tahun ini.", "Anggaran diusulkan melebihi pagu kelurahan.",
            "Kegiatan serupa sudah didanai dari sumber lain.", "Rincian anggaran belum dapat dipertanggungjawabkan.")
_REVISIONS = ("Mohon lengkapi rincian anggaran dan jumlah peserta.", "Mohon lampirkan foto lokasi kegiatan.",
              "Jelaskan siapa narasumber pelatihannya.")


@dataclass
class ScaleResult:
    proposals: int = 0
    budget_lines: int = 0
    events: int = 0
    reports: int = 0
    evaluations: int = 0
    recommendations: int = 0


def scale_cycles(today=None):
    """The cycles scale data goes into: the demo's open cycle and last year's, and the one before (oldest last)."""
    today = today or timezone.localdate()
    year = today.year + 1
    current, _ = Cycle.objects.get_or_create(
        name=f"Usulan Program {year}",
        defaults={"year": year, "opens_on": today - datetime.timedelta(days=14),
                  "closes_on": today + datetime.timedelta(days=30), "max_per_board": 5},
    )
    cycles = [current]
    for back in (1, 2):
        cycle, _ = Cycle.objects.get_or_create(
            name=f"Usulan Program {year - back}",
            defaults={"year": year - back, "opens_on": datetime.date(year - back - 1, 1, 1),
                      "closes_on": datetime.date(year - back - 1, 3, 31)},
        )
        cycles.append(cycle)
    return cycles


def scale_proposals(*, scale, seed=DEFAULT_SEED, today=None, now=None) -> ScaleResult:
    """Proposals for every synthetic city that has none yet (``scale - 1`` cities); returns what was created."""
    from organizations import demo as org_demo

    result = ScaleResult()
    cities = org_demo.synthetic_city_codes(scale)
    if not cities:
        return result
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    User = get_user_model()
    staff = User.objects.filter(email=STAFF_LOGIN_EMAIL).first()
    categories = list(Category.objects.filter(is_active=True).values_list("id", "name"))
    if staff is None or not categories:
        return result
    boards_by_city = org_demo.scale_boards(cities, today=today)
    with_proposals = set(
        Proposal.objects.filter(board__region__code__startswith=f"{org_demo.SYNTHETIC_PROVINCE}.")
        .order_by().values_list("board_id", flat=True).distinct()
    )
    cycles = list(zip(scale_cycles(today), ("current", "past", "older")))
    staff_name = lifecycle._display_name(staff)
    for city in cities:
        boards = boards_by_city.get(city, [])
        if not boards or any(board.id in with_proposals for board in boards):
            continue
        rng = random.Random(f"{seed}:{city}:proposals")
        with transaction.atomic():
            org_demo.fast_writes()
            _scale_city(boards, cycles=cycles, categories=categories, staff=(staff.pk, staff_name), rng=rng,
                        now=now, result=result)
    if result.proposals:
        org_demo.analyze(Proposal, BudgetLine, ProposalEvent, ProgressReport, Evaluation, Recommendation)
    return result


def _scale_city(boards, *, cycles, categories, staff, rng, now, result):
    from organizations import demo as org_demo

    forums = {board.kecamatan_code: board.id for board in boards if board.kind == Board.Kind.FORUM}
    plans = []
    for board in boards:
        if board.kind != Board.Kind.LPM:
            continue
        lead = board.members[0][1] if board.members else ""
        for cycle, age in cycles:
            count = rng.randint(*SCALE_PER_BOARD)
            states = rng.choices(list(SCALE_STATES[age]), weights=list(SCALE_STATES[age].values()), k=count)
            if cycle.max_per_board:
                # The cap counts all but drafts and withdrawn ones: extras stay drafts.
                taken = 0
                for index, state in enumerate(states):
                    if state not in (S.DRAFT, S.WITHDRAWN):
                        taken += 1
                        if taken > cycle.max_per_board:
                            states[index] = S.DRAFT
            if cycle.holds_decisions:
                states = [S.UNDER_REVIEW if state in _DECIDED else state for state in states]
            for priority, state in enumerate(states, 1):
                plans.append(_plan_proposal(board, cycle, state, priority, lead=lead, forum=forums.get(
                    board.kecamatan_code), categories=categories, staff=staff, rng=rng, now=now))

    columns = ("board_id", "cycle_id", "category_id", "title", "is_physical", "background", "goals",
               "location_rt_rw", "location", "beneficiary_count", "beneficiary_groups", "start_month", "end_month",
               "priority", "total_requested", "status", "status_changed_at", "submitted_at", "approved_budget",
               "decision_note", "decided_at", "decided_by_id", "decision_published_at", "progress_percent", "spent",
               "carried_from_id", "created_by_id", "created_at", "updated_at")
    ids = org_demo.bulk_insert(Proposal, columns, [plan["row"] for plan in plans], with_ids=True)
    lines, events, reports, evaluations, recommendations = [], [], [], [], []
    for pk, plan in zip(ids, plans):
        lines.extend((pk, *line) for line in plan["lines"])
        events.extend((pk, *event) for event in plan["events"])
        reports.extend((pk, *report) for report in plan["reports"])
        if plan["evaluation"]:
            evaluations.append((pk, *plan["evaluation"]))
        if plan["recommendation"]:
            recommendations.append((pk, *plan["recommendation"]))
    org_demo.bulk_insert(BudgetLine, ("proposal_id", "position", "item", "volume", "unit", "unit_cost", "subtotal"),
                         lines)
    org_demo.bulk_insert(ProposalEvent, ("proposal_id", "kind", "actor_id", "actor_name", "from_status", "to_status",
                                         "note", "created_at"), events)
    org_demo.bulk_insert(ProgressReport, ("proposal_id", "report_date", "percent", "narrative", "spent", "is_final",
                                          "created_by_id", "created_at"), reports)
    org_demo.bulk_insert(Evaluation, ("proposal_id", "targets_met", "beneficiaries_reached", "budget_realised",
                                      "score", "notes", "by_id", "created_at"), evaluations)
    org_demo.bulk_insert(Recommendation, ("proposal_id", "forum_id", "recommends", "note", "by_id", "updated_at"),
                         recommendations)
    result.proposals += len(ids)
    result.budget_lines += len(lines)
    result.events += len(events)
    result.reports += len(reports)
    result.evaluations += len(evaluations)
    result.recommendations += len(recommendations)


def _plan_proposal(board, cycle, state, priority, *, lead, forum, categories, staff, rng, now):
    """One proposal's row and what hangs off it, as plain tuples (the proposal's id is added later)."""
    staff_id, staff_name = staff
    category_id, category = rng.choice(categories)
    physical = category in _PHYSICAL
    title = f"{rng.choice(SCALE_TITLES.get(category, ('Kegiatan ' + category.lower(),)))} RT {rng.randint(1, 40):02d}"
    items = rng.sample(_PHYSICAL_ITEMS if physical else _ITEMS, rng.randint(2, 4))
    if physical:
        items.append(("Konsumsi pekerja", "kotak", 20_000, 30_000, 20, 60))
    lines = []
    for position, (item, unit, low, high, vol_low, vol_high) in enumerate(items):
        unit_cost = rng.randint(low // 1000, high // 1000) * 1000
        volume = rng.randint(vol_low, vol_high)
        lines.append((position, item, decimal.Decimal(volume), unit, unit_cost, volume * unit_cost))
    total = sum(line[-1] for line in lines)
    beneficiaries = rng.randint(15, 200)

    # When each step happened: in order, never after now.
    opens = datetime.datetime.combine(cycle.opens_on, datetime.time(8), tzinfo=WITA)
    closes = datetime.datetime.combine(cycle.closes_on, datetime.time(16), tzinfo=WITA)
    window = max(0.0, (min(closes, now) - opens).total_seconds())
    created = min(opens + datetime.timedelta(seconds=rng.uniform(0, window) * 0.7), now)
    transition, progress_kind = ProposalEvent.Kind.TRANSITION, ProposalEvent.Kind.PROGRESS
    # (kind, actor id, actor name, from, to, note, when), as ProposalEvent's columns.
    events = [(transition, None, lead, "", S.DRAFT, "Draf dibuat.", created)]
    path = list(_PATHS.get(state, []))
    if state == S.WITHDRAWN:
        path = rng.choice([[], [S.SUBMITTED]]) + [S.WITHDRAWN]
    at, previous = created, S.DRAFT
    times = {}
    for step in path:
        low, high = _STEP_DAYS[step]
        at = min(at + datetime.timedelta(days=rng.uniform(low, high)), now)
        if step == S.SUBMITTED:
            at = min(at, max(closes, created))
        times[step] = at
        staff_step = step in _STAFF_STEPS
        note = ""
        if step == S.REVISION_REQUESTED:
            note = rng.choice(_REVISIONS)
        elif step == S.REJECTED:
            note = rng.choice(_REASONS)
        elif step == S.COMPLETED:
            note = "Laporan akhir disampaikan."
        events.append((transition, staff_id if staff_step else None, staff_name if staff_step else lead, previous,
                       step, note, at))
        previous = step

    approved_budget = decided_at = published = None
    decision_note = ""
    if state in _DECIDED:
        decided_at = times.get(S.APPROVED) or times[S.REJECTED]
        published = decided_at
        if state == S.REJECTED:
            decision_note = events[-1][5]
        else:
            approved_budget = min(total, int(total * rng.uniform(0.7, 1.0)) // 1000 * 1000 or total)
            if approved_budget < total:
                decision_note = "Disetujui dengan penyesuaian anggaran."

    reports, evaluation = [], None
    progress, spent = 0, 0
    if state in (S.IN_PROGRESS, S.COMPLETED, S.EVALUATED):
        started = times[S.IN_PROGRESS]
        end = times.get(S.COMPLETED) or now
        percents = sorted(rng.sample(range(10, 95, 5), rng.randint(1, 2)))
        if state != S.IN_PROGRESS:
            percents.append(100)
        for index, percent in enumerate(percents):
            final = percent == 100
            when = end if final else started + (end - started) * (index + 1) / (len(percents) + 1)
            if index == 0 and not final:
                when = started
            if final:
                spent = approved_budget - rng.randint(0, approved_budget // 10000) * 1000
            else:
                spent = approved_budget * percent // 100 // 1000 * 1000
            reports.append((timezone.localdate(when), percent, "Kegiatan berjalan sesuai rencana." if not final else
                            "Seluruh kegiatan selesai dilaksanakan.", spent, final, None, when))
            # The report's own event, just after it (the first also started the implementation).
            events.append((progress_kind, None, lead, "", "", f"Laporan kemajuan {percent}%.", when))
        progress = percents[-1]
        if state == S.EVALUATED:
            score = rng.randint(2, 5)
            evaluation = (score >= 3, int(rng.uniform(0.6, 1.3) * beneficiaries), spent,
                          score, "Kegiatan bermanfaat bagi warga.", staff_id, times[S.EVALUATED])

    recommendation = None
    if forum and state in (S.SUBMITTED, S.UNDER_REVIEW) and rng.random() < 0.4:
        recommends = rng.random() < 0.85
        when = min(times[S.SUBMITTED] + datetime.timedelta(days=rng.uniform(0, 4)), now)
        recommendation = (forum, recommends, "", None, when)
        label = "Direkomendasikan." if recommends else "Tidak direkomendasikan."
        events.append((ProposalEvent.Kind.RECOMMENDATION, None, "Forum LPM", "", "", label, when))
    # Stable: at the same moment a transition stays before the report it came with.
    events.sort(key=lambda event: event[-1])
    status_changed = max([created, *times.values()])
    start_month = datetime.date(cycle.year, rng.randint(2, 9), 1)
    end_month = start_month.replace(month=min(start_month.month + rng.randint(0, 3), 12))
    row = (
        board.id, cycle.pk, category_id, title, physical,
        "Disusun dari hasil musyawarah pengurus dan warga kelurahan.",
        "Meningkatkan kesejahteraan keluarga di lingkungan kelurahan.",
        f"RT {rng.randint(1, 40):02d}/RW {rng.randint(1, 12):02d}", f"Balai pertemuan Kelurahan {board.region_name}",
        beneficiaries, rng.sample(["perempuan", "anak", "lansia", "disabilitas", "keluarga"], rng.randint(1, 3)),
        start_month, end_month, priority, total, state, status_changed, times.get(S.SUBMITTED), approved_budget,
        decision_note, decided_at, staff_id if decided_at else None, published, progress, spent, None, None, created,
        status_changed,
    )
    return {"row": row, "lines": lines, "events": events, "reports": reports, "evaluation": evaluation,
            "recommendation": recommendation}
