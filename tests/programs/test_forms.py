"""What people type into the proposal forms: money, volumes, months, budget rows, reports."""

import datetime
import decimal
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from programs.forms import BudgetLineFormSet, MonthField, ProgressForm, ProposalForm, budget_formset, parse_volume
from programs.models import BudgetLine, Category, Proposal

from .test_board_views import proposal_post

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def lines_data(*rows, initial=0, **extra):
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": str(initial), "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "100"}
    for index, (item, volume, unit, cost) in enumerate(rows):
        data.update({f"lines-{index}-item": item, f"lines-{index}-volume": volume, f"lines-{index}-unit": unit,
                     f"lines-{index}-unit_cost": cost})
    data.update(extra)
    return data


def field_group(page, name):
    """The HTML of the field group of ``name``: its label, errors and input."""
    match = re.search(rf'<label for="id_{re.escape(name)}">.*?<input[^>]*name="{re.escape(name)}"[^>]*>', page, re.S)
    assert match, f"no field group for {name}"
    return match.group(0)


# --- money through the real form ----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1.250.000", "1250000", "Rp 1.250.000", "Rp1.250.000,-"])
def test_money_is_accepted_as_people_type_it(client, officer_a, cycle, typed):
    client.force_login(officer_a)
    response = client.post(reverse("programs:create"), proposal_post(cycle, lines=(("Tenda", "1", "unit", typed),)))
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.budget_lines.get().unit_cost == 1_250_000
    assert proposal.total_requested == 1_250_000


@pytest.mark.parametrize("typed, message", [
    ("0", "Jumlah harus lebih dari nol."),
    ("-5000", "Jumlah tidak boleh negatif."),
    ("1250,50", "Gunakan Rupiah utuh tanpa sen"),
    ("2000000000000", "Jumlah lebih dari Rp1.000.000.000.000"),
    ("abc", "Tulis jumlah dengan angka saja"),
])
def test_bad_money_is_refused_next_to_the_field_and_nothing_is_saved(client, officer_a, cycle, typed, message):
    client.force_login(officer_a)
    data = proposal_post(cycle, lines=(("Konsumsi", "10", "kotak", "25.000"), ("Tenda", "1", "unit", typed)))
    response = client.post(reverse("programs:create"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in field_group(page, "lines-1-unit_cost")
    assert message not in field_group(page, "lines-0-unit_cost")
    # What was typed is shown back for correction.
    assert f'value="{typed}"' in field_group(page, "lines-1-unit_cost")
    assert "Belum ada yang disimpan" in page
    assert not Proposal.objects.exists()
    assert not BudgetLine.objects.exists()


def test_a_total_over_a_trillion_is_refused_though_each_line_is_not(client, officer_a, cycle):
    client.force_login(officer_a)
    data = proposal_post(cycle, lines=(("Jembatan", "1", "unit", "600.000.000.000"),
                                       ("Jalan", "1", "unit", "600.000.000.000")))
    response = client.post(reverse("programs:create"), data)
    assert response.status_code == 400
    assert "Jumlah seluruh anggaran lebih dari" in response.content.decode()
    assert not Proposal.objects.exists()


# --- the budget formset ---------------------------------------------------------------------------------


def test_subtotals_are_computed_here_and_blank_rows_ignored(db):
    formset = budget_formset(lines_data(("Konsumsi", "50", "kotak", "25.000"), ("", "", "", ""),
                                        ("Tenda", "2,5", "hari", "Rp 400.000")))
    assert formset.is_valid(), formset.errors
    assert [line["item"] for line in formset.lines()] == ["Konsumsi", "Tenda"]
    assert formset.total == 2_250_000
    assert [form.subtotal for form in formset.forms if form.subtotal is not None] == [1_250_000, 1_000_000]


def test_a_half_filled_row_gets_messages_on_the_missing_fields(db):
    formset = budget_formset(lines_data(("Konsumsi", "", "kotak", "")))
    assert not formset.is_valid()
    assert formset.forms[0].errors == {"volume": ["Isi volume."], "unit_cost": ["Isi harga satuan."]}


def test_a_row_marked_for_deletion_is_left_out(db):
    formset = budget_formset(lines_data(("Konsumsi", "50", "kotak", "25.000"), ("Tenda", "1", "unit", "abc"),
                                        **{"lines-1-DELETE": "on"}))
    # A deleted row with a bad amount still shows its error: the person sees what they typed.
    formset.is_valid()
    assert formset.lines() == [{"item": "Konsumsi", "volume": decimal.Decimal("50.00"), "unit": "kotak",
                                "unit_cost": 25_000}]


def test_at_least_one_line(db):
    formset = budget_formset(lines_data(("", "", "", ""), ("", "", "", "")))
    assert not formset.is_valid()
    assert formset.non_form_errors() == ["Isi paling sedikit satu rincian anggaran."]


def test_too_many_rows_are_refused(db):
    rows = [("Barang", "1", "buah", "1.000")] * (BudgetLineFormSet.max_num + 1)
    formset = budget_formset(lines_data(*rows))
    assert not formset.is_valid()


@pytest.mark.parametrize("typed, expected", [
    ("2", "2"), ("2,5", "2.5"), ("2.5", "2.5"), (" 12,75 ", "12.75"), ("1.000", "1000"), ("1.000,5", "1000.5"),
])
def test_volume_accepts_comma_or_dot(typed, expected):
    assert parse_volume(typed) == decimal.Decimal(expected)


@pytest.mark.parametrize("typed, message", [
    ("0", "Volume harus lebih dari nol."),
    ("-2", "Tulis volume dengan angka"),
    ("2,555", "dua angka di belakang koma"),
    ("dua", "Tulis volume dengan angka"),
    ("100000000", "Volume terlalu besar"),
    ("9" * 40, "Volume terlalu besar"),
])
def test_volume_refuses_nonsense(typed, message):
    with pytest.raises(ValidationError) as error:
        parse_volume(typed)
    assert message in error.value.messages[0]


# --- months, the proposal form -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed, expected", [
    ("2027-03", datetime.date(2027, 3, 1)), ("2027-3", datetime.date(2027, 3, 1)),
    ("03/2027", datetime.date(2027, 3, 1)), ("2027-03-15", datetime.date(2027, 3, 1)),
])
def test_month_field_reads_a_month(typed, expected):
    assert MonthField().clean(typed) == expected


@pytest.mark.parametrize("typed", ["2027-13", "Maret", "1999-01", "13/2027"])
def test_month_field_refuses_what_is_not_a_month(typed):
    with pytest.raises(ValidationError) as error:
        MonthField().clean(typed)
    assert "Isi bulan dan tahun" in error.value.messages[0]


def test_the_edit_form_shows_the_stored_values(draft_a):
    form = ProposalForm(proposal=draft_a)
    html = str(form["start_month"])
    assert f'value="{draft_a.start_month:%Y-%m}"' in html
    assert 'type="month"' in html
    assert "board" not in form.fields and "cycle" not in form.fields


def test_inactive_fields_are_not_offered_for_a_new_proposal(world, cycle):
    retired = Category.objects.create(name="Bidang lama", is_active=False)
    form = ProposalForm(boards=[world["board_a"]], cycles=type(cycle).objects.all())
    assert retired not in form.fields["category"].queryset


# --- reports ---------------------------------------------------------------------------------------------


def progress(**fields):
    data = {"report_date": timezone.localdate().isoformat(), "percent": "60", "narrative": "Berjalan.", "spent": "0"}
    data.update(fields)
    return data


def test_progress_allows_zero_spending(db):
    form = ProgressForm(progress())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["spent"] == 0


@pytest.mark.parametrize("fields, field, message", [
    ({"percent": "101"}, "percent", "Persentase paling besar 100."),
    ({"percent": "enam puluh"}, "percent", "Tulis persentase dengan angka bulat"),
    ({"spent": "-1"}, "spent", "Jumlah tidak boleh negatif."),
    ({"narrative": "   "}, "narrative", "Tuliskan uraian kegiatan."),
    ({"report_date": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()}, "report_date",
     "Tanggal laporan tidak boleh di masa depan."),
])
def test_progress_refuses_bad_values(db, fields, field, message):
    form = ProgressForm(progress(**fields))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_progress_photos_must_be_images(db):
    files = MultiValueDict({"photos": [SimpleUploadedFile("foto.jpg", JPEG, "image/jpeg"),
                                       SimpleUploadedFile("laporan.jpg", PDF, "image/jpeg")]})
    form = ProgressForm(progress(), files)
    assert not form.is_valid()
    assert form.errors["photos"] == ["laporan.jpg: Jenis berkas tidak diterima. Unggah JPEG, PNG."]
