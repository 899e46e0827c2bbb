"""A proposal's whole journey on a 360 px phone, as in the proposals issue.

An Anggota drafts it (two budget lines, the second in a row added by the script,
and a PDF), the Ketua submits; staff start the review and ask for a revision;
the Anggota changes a line and the Ketua submits again; staff approve a lower
budget typed as people type it; the Anggota reports 40% progress. Every page on
the way fits the phone without sideways scrolling and breaks no CSP rule.
"""

import re

from django.urls import reverse
from playwright.sync_api import Page, expect

from programs.models import Proposal
from tests.e2e.helpers import horizontal_overflow, login
from tests.factories import CycleFactory

# As the mobile_page fixture, for each of the three people.
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TITLE = "Pelatihan Kader Posyandu RW 02"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REVISION_NOTE = "Harga konsumsi terlalu tinggi; sesuaikan dengan standar biaya kota."


def fits(page: Page, what: str):
    # Measured once the stylesheets are in: before that a wide table briefly widens the page.
    page.wait_for_load_state("load")
    assert horizontal_overflow(page) == 0, f"{what} scrolls sideways at 360 px"


def budget_row(page: Page, number: int):
    return page.get_by_role("group", name=f"Rincian {number}", exact=True)


def fill_line(row, item, volume, unit, cost):
    row.get_by_label("Uraian", exact=False).fill(item)
    row.get_by_label("Volume").fill(volume)
    row.get_by_label(re.compile(r"^Satuan")).fill(unit)
    row.get_by_label("Harga satuan (Rp)").fill(cost)


def status_badge(page: Page):
    return page.locator(".proposal .badge").first


def test_proposal_from_draft_to_progress_report_on_a_phone(
    new_context, member_a, officer_a, staff, browser_log, screenshot
):
    cycle = CycleFactory(name="Usulan Program 2027")
    anggota = new_context(**PHONE).new_page()
    ketua = new_context(**PHONE).new_page()
    staf = new_context(**PHONE).new_page()
    heading = anggota.get_by_role("heading", level=1)

    # --- The Anggota drafts: from the menu to "Buat usulan". ---
    login(anggota, member_a.email)
    anggota.get_by_role("button", name="Menu").click()
    anggota.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Usulan", exact=True).click()
    expect(heading).to_have_text("Usulan program")
    fits(anggota, "the proposal list")
    anggota.get_by_role("link", name="Buat usulan").click()
    expect(heading).to_have_text("Buat usulan")
    expect(anggota.get_by_label("Siklus usulan")).to_have_value(str(cycle.pk))

    form = anggota.locator("form.proposal-form")
    form.get_by_label("Judul kegiatan").fill(TITLE)
    form.get_by_label("Bidang").select_option(label="Ketahanan Keluarga")
    form.get_by_label("Non-fisik", exact=False).check()
    form.get_by_label("Latar belakang").fill("Banyak kader posyandu belum pernah mendapat pelatihan.")
    form.get_by_label("Tujuan").fill("Kader mampu menimbang dan mencatat tumbuh kembang balita.")
    form.get_by_label("RT/RW").fill("RT 05/RW 02")
    form.get_by_label("Lokasi (alamat atau patokan)").fill("Balai warga RW 02, Jl. Mulawarman")
    form.get_by_label("Jumlah penerima manfaat (orang)").fill("40")
    form.get_by_label("Perempuan", exact=True).check()
    form.get_by_label("Anak", exact=True).check()
    form.get_by_label("Bulan mulai").fill(f"{cycle.year}-03")
    form.get_by_label("Bulan selesai").fill(f"{cycle.year}-05")

    # The first line in the first empty row; the second in a row the script adds (no reload).
    rows = form.locator("[data-budget-row]")
    expect(rows).to_have_count(3)
    fill_line(budget_row(anggota, 1), "Honor narasumber", "2", "orang", "750.000")
    expect(budget_row(anggota, 1).locator("[data-subtotal]")).to_have_text("Rp1.500.000")
    anggota.evaluate("window.__notReloaded = true")
    form.get_by_role("button", name="Tambah baris").click()
    expect(rows).to_have_count(4)
    added = budget_row(anggota, 4)
    expect(added.get_by_label("Uraian", exact=False)).to_be_focused()
    fill_line(added, "Konsumsi peserta", "40", "kotak", "Rp 25.000")
    assert anggota.evaluate("window.__notReloaded") is True
    expect(added.locator("[data-subtotal]")).to_have_text("Rp1.000.000")
    expect(form.locator("[data-budget-total]")).to_have_text("Rp2.500.000")

    form.get_by_label("Lampiran (boleh menyusul)").set_input_files(
        {"name": "RAB kegiatan.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    fits(anggota, "the proposal form")
    screenshot(anggota, "proposal-form-360")
    form.get_by_role("button", name="Simpan draf").click()

    # The server has saved it once the browser is on its page.
    expect(anggota).to_have_url(re.compile(r"/usulan/\d+/$"))
    proposal = Proposal.objects.get()
    detail = reverse("programs:detail", args=[proposal.pk])
    expect(anggota).to_have_url(re.compile(re.escape(detail) + "$"))
    expect(heading).to_have_text(TITLE)
    expect(anggota.locator(".messages")).to_contain_text(f"Draf usulan “{TITLE}” disimpan.")
    expect(status_badge(anggota)).to_have_text("Draf")
    budget = anggota.get_by_role("region", name="Rincian anggaran")
    expect(budget).to_contain_text("Honor narasumber")
    expect(budget).to_contain_text("Konsumsi peserta")
    expect(budget.locator("tfoot")).to_contain_text("Rp2.500.000")
    attachments = anggota.get_by_role("region", name="Lampiran")
    expect(attachments.get_by_role("link", name=re.compile("RAB"))).to_be_visible()
    expect(attachments).to_contain_text(".pdf")
    # An Anggota drafts but does not submit.
    expect(anggota.get_by_text("Draf ini diajukan oleh Ketua atau Sekretaris lembaga.")).to_be_visible()
    expect(anggota.get_by_role("button", name="Ajukan ke DP3AKB")).to_have_count(0)
    fits(anggota, "the draft's page")
    assert proposal.total_requested == 2_500_000
    assert proposal.budget_lines.count() == 2 and proposal.attachments.count() == 1

    # --- The Ketua submits. ---
    login(ketua, officer_a.email, next_url=detail)
    expect(ketua.get_by_role("heading", level=1)).to_have_text(TITLE)
    ketua.get_by_role("button", name="Ajukan ke DP3AKB").click()
    expect(ketua.locator(".messages")).to_contain_text("Usulan diajukan ke DP3AKB.")
    expect(status_badge(ketua)).to_have_text("Diajukan")
    fits(ketua, "the submitted proposal's page")

    # --- Staff find it in the queue, start the review, ask for a revision. ---
    login(staf, staff.email)
    staf.get_by_role("button", name="Menu").click()
    staf.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name="Antrean usulan").click()
    expect(staf.get_by_role("heading", level=1)).to_have_text("Antrean usulan")
    fits(staf, "the review queue")
    staf.get_by_role("link", name=TITLE).click()
    expect(staf).to_have_url(re.compile(re.escape(detail) + "$"))
    panel = staf.get_by_role("region", name="Tinjauan staf")
    panel.get_by_role("button", name="Mulai tinjau").click()
    expect(staf.locator(".messages")).to_contain_text("Usulan sekarang sedang ditinjau.")
    expect(status_badge(staf)).to_have_text("Sedang ditinjau")
    panel.get_by_text("Minta revisi", exact=True).click()
    panel.get_by_label("Apa yang perlu diperbaiki").fill(REVISION_NOTE)
    fits(staf, "the review panel")
    panel.get_by_role("button", name="Kirim permintaan revisi").click()
    expect(staf.locator(".messages")).to_contain_text("Permintaan revisi dikirim ke lembaga.")
    expect(status_badge(staf)).to_have_text("Perlu revisi")

    # --- The Anggota sees the note, lowers the consumption line. ---
    anggota.reload()
    expect(status_badge(anggota)).to_have_text("Perlu revisi")
    expect(anggota.get_by_text("DP3AKB meminta revisi.", exact=False)).to_be_visible()
    timeline = anggota.get_by_role("region", name="Riwayat dan komentar")
    expect(timeline.locator(".timeline-item").filter(has_text="Sedang ditinjau → Perlu revisi")).to_contain_text(
        REVISION_NOTE
    )
    anggota.get_by_role("link", name="Ubah usulan").click()
    expect(heading).to_have_text("Ubah usulan")
    second = budget_row(anggota, 2)
    expect(second.get_by_label("Uraian", exact=False)).to_have_value("Konsumsi peserta")
    second.get_by_label("Harga satuan (Rp)").fill("20.000")
    expect(second.locator("[data-subtotal]")).to_have_text("Rp800.000")
    expect(anggota.locator("[data-budget-total]")).to_have_text("Rp2.300.000")
    fits(anggota, "the edit form")
    anggota.get_by_role("button", name="Simpan perubahan").click()
    expect(anggota.locator(".messages")).to_contain_text("Perubahan disimpan.")
    expect(budget.locator("tfoot")).to_contain_text("Rp2.300.000")

    # --- The Ketua submits again. ---
    ketua.reload()
    ketua.get_by_role("button", name="Ajukan kembali").click()
    expect(ketua.locator(".messages")).to_contain_text("Usulan diajukan ke DP3AKB.")
    expect(status_badge(ketua)).to_have_text("Diajukan")

    # --- Staff review again and approve less than requested, typed with "Rp" and dots. ---
    staf.reload()
    panel.get_by_role("button", name="Mulai tinjau").click()
    expect(status_badge(staf)).to_have_text("Sedang ditinjau")
    approved = panel.get_by_label("Anggaran disetujui (Rp)")
    expect(approved).to_have_value("2.300.000")
    approved.fill("Rp 1.000.000")
    panel.get_by_label("Catatan keputusan").fill("Disetujui untuk 20 kader dahulu.")
    fits(staf, "the approval form")
    panel.locator("form", has=staf.get_by_label("Anggaran disetujui (Rp)")).get_by_role(
        "button", name="Setujui"
    ).click()
    expect(staf.locator(".messages")).to_contain_text("Usulan disetujui.")
    expect(status_badge(staf)).to_have_text("Disetujui")
    screenshot(staf, "proposal-approved-staff-360")

    # --- The Anggota sees the decision and reports progress. ---
    anggota.goto(detail)
    expect(status_badge(anggota)).to_have_text("Disetujui")
    summary = anggota.get_by_role("region", name="Ringkasan")
    expect(summary).to_contain_text("Anggaran disetujui")
    expect(summary.locator("dd strong")).to_have_text("Rp1.000.000")
    expect(summary).to_contain_text("Disetujui untuk 20 kader dahulu.")
    fits(anggota, "the approved proposal's page")
    anggota.get_by_role("link", name="Tambah laporan kemajuan").click()
    expect(heading).to_have_text("Laporan kemajuan")
    anggota.get_by_label("Kemajuan (%)").fill("40")
    anggota.get_by_label("Uraian kegiatan").fill("Pelatihan hari pertama selesai; 20 kader hadir.")
    anggota.get_by_label("Anggaran terpakai sampai saat ini (Rp)").fill("400.000")
    fits(anggota, "the progress report form")
    anggota.get_by_role("button", name="Simpan laporan").click()

    expect(anggota.locator(".messages")).to_contain_text("Laporan kemajuan 40% disimpan.")
    expect(status_badge(anggota)).to_have_text("Dilaksanakan")
    progress = anggota.get_by_role("region", name="Pelaksanaan")
    bar = progress.get_by_role("progressbar", name="Kemajuan")
    expect(bar).to_have_attribute("value", "40")
    expect(progress.locator(".progress-text")).to_have_text("40%")
    expect(progress).to_contain_text("Rp400.000 dari Rp1.000.000 yang disetujui")
    expect(progress.locator(".report-list > li")).to_contain_text("Pelatihan hari pertama selesai")
    fits(anggota, "the proposal in progress")
    screenshot(anggota, "proposal-in-progress-360")

    # The whole story on the timeline, each step once.
    steps = {
        "Draf → Diajukan": 1,
        "Diajukan → Sedang ditinjau": 2,
        "Sedang ditinjau → Perlu revisi": 1,
        "Perlu revisi → Diajukan": 1,
        "Sedang ditinjau → Disetujui": 1,
        "Disetujui → Dilaksanakan": 1,
    }
    items = timeline.locator(".timeline-item")
    for step, times in steps.items():
        expect(items.filter(has_text=step)).to_have_count(times)

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.IN_PROGRESS
    assert (proposal.approved_budget, proposal.progress_percent, proposal.spent) == (1_000_000, 40, 400_000)
    assert not browser_log.csp_violations, browser_log.csp_violations
    assert not browser_log.csp_console_messages(), browser_log.csp_console_messages()
    assert not [m for m in browser_log.console if m["type"] == "error"], browser_log.console
