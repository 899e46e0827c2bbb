"""Import and export of people with their memberships (organizations.resources)."""

import datetime
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from organizations.models import Membership, Person
from organizations.resources import COLUMNS, MembershipResource
from portal.lib.dates import add_years
from tests import factories

HEADER = "nama,jenis_kelamin,telepon,email,kelurahan,jabatan,bidang,mulai,selesai,no_sk"
IMPORT_URL = reverse("admin:organizations_membership_import")
PROCESS_URL = reverse("admin:organizations_membership_process_import")
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # positions in MembershipAdmin.formats


def start():
    return timezone.localdate() - datetime.timedelta(days=100)


def end():
    return add_years(start(), 5) - datetime.timedelta(days=1)


def iso(day):
    return day.isoformat()


def dmy(day, separator="-"):
    return day.strftime(f"%d{separator}%m{separator}%Y")


def good_csv():
    return "\n".join([
        HEADER,
        f"Siti Aminah,P,0812-1111-0001,siti@example.org,99.01.01.1001,KETUA,,{iso(start())},{iso(end())},SK-01",
        f"Budi Santoso,L,081211110002,,kelurahan a1,wakil ketua,,{dmy(start())},{dmy(end())},SK-01",
        f"Rina Wati,P,,rina@example.org,Kelurahan A1,Koordinator/Ketua Bidang,Ekonomi,{dmy(start(), '/')},,SK-01",
        f"Joko Susilo,L,081211110004,,Kelurahan B1,anggota,,{iso(start())},{iso(end())},",
    ]) + "\n"


def run_import(text, *, dry_run=False, file_format=CSV):
    dataset = file_format().create_dataset(text)
    return MembershipResource().import_data(dataset, dry_run=dry_run)


def errors_of(result):
    """{sheet row number: {column: [messages]}}"""
    return {row.number: row.error_dict for row in result.invalid_rows}


def assert_clean(result):
    assert not result.has_errors(), [e.error for e in result.base_errors] + result.row_errors()
    assert not result.has_validation_errors(), errors_of(result)


def test_it_imports_a_good_csv_file(world):
    result = run_import(good_csv())

    assert_clean(result)
    assert result.totals["new"] == 4
    assert Person.objects.count() == 4
    siti = Membership.objects.get(person__email="siti@example.org")
    assert siti.board == world["board_a"]
    assert siti.position == Membership.Position.KETUA
    assert (siti.start_date, siti.end_date, siti.sk_number) == (start(), end(), "SK-01")
    assert siti.person.gender == Person.Gender.FEMALE and siti.person.phone == "0812-1111-0001"
    budi = Membership.objects.get(person__name="Budi Santoso")
    assert (budi.board, budi.position, budi.start_date, budi.end_date) == (
        world["board_a"], Membership.Position.WAKIL_KETUA, start(), end())
    rina = Membership.objects.get(person__name="Rina Wati")
    assert (rina.position, rina.field_name) == (Membership.Position.KOORDINATOR, "Ekonomi")
    # No "selesai": the end of a five-year term.
    assert (rina.start_date, rina.end_date) == (start(), end())
    joko = Membership.objects.get(person__name="Joko Susilo")
    assert (joko.board, joko.position) == (world["board_b"], Membership.Position.ANGGOTA)


def test_it_imports_a_good_xlsx_file_with_date_cells(world):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nama", "Jenis Kelamin", "Telepon", "E-mail", "Lembaga", "Kelurahan", "Kecamatan", "Jabatan",
                  "Bidang", "Mulai", "Selesai", "No SK"])
    sheet.append(["Siti Aminah", "Perempuan", 81211110001, "siti@example.org", "LPM", "Kelurahan A1",
                  "Kecamatan A", "Ketua", None, datetime.datetime.combine(start(), datetime.time()), end(), "SK-01"])
    sheet.append(["Hj. Nurhayati", "P", "0812 1111 0009", None, "Forum LPM", None, "99.01.01", "sekretaris",
                  None, dmy(start(), "/"), iso(end()), None])
    sheet.append([None] * 12)  # a blank line left at the end of the sheet
    buffer = io.BytesIO()
    book.save(buffer)

    result = run_import(buffer.getvalue(), file_format=XLSX)

    assert_clean(result)
    siti = Membership.objects.get(person__name="Siti Aminah")
    assert (siti.board, siti.position, siti.start_date, siti.end_date) == (
        world["board_a"], Membership.Position.KETUA, start(), end())
    # The number cell lost its leading zero; the import puts it back.
    assert siti.person.phone == "081211110001"
    assert siti.person.gender == Person.Gender.FEMALE
    forum = Membership.objects.get(person__name="Hj. Nurhayati")
    assert (forum.board, forum.position) == (world["forum_a"], Membership.Position.SEKRETARIS)


def test_it_writes_nothing_when_one_row_is_bad(world):
    text = good_csv() + "\n".join([
        f"Dewi Lestari,P,081211110005,dewi@example.org,Kelurahan Tidak Ada,Anggota,,{iso(start())},,",
        "Eko Prasetyo,L,081211110006,,Kelurahan A2,Bendahara Umum,,31-02-2024,,",
    ]) + "\n"

    result = run_import(text, dry_run=False)

    assert result.has_validation_errors()
    # Rows 2 to 5 were good: not one of their people or memberships is left.
    assert Person.objects.count() == 0
    assert Membership.objects.count() == 0
    errors = errors_of(result)
    assert list(errors) == [6, 7]
    assert "Kelurahan “Kelurahan Tidak Ada” tidak dikenal" in errors[6]["kelurahan"][0]
    assert "Jabatan “Bendahara Umum” tidak dikenal" in errors[7]["jabatan"][0]
    assert "Tanggal “31-02-2024” tidak dikenali" in errors[7]["mulai"][0]


def test_it_writes_nothing_on_a_dry_run(world):
    result = run_import(good_csv(), dry_run=True)

    assert_clean(result)
    assert result.totals["new"] == 4
    assert Person.objects.count() == 0
    assert Membership.objects.count() == 0


def test_it_reports_membership_rules_as_row_errors(officer_a, world):
    text = "\n".join([
        HEADER,
        f"Ketua Baru,L,081211110010,,Kelurahan A1,Ketua,,{iso(start())},{iso(end())},",
        f"Terlalu Lama,L,081211110011,,Kelurahan A2,Anggota,,{iso(start())},"
        f"{iso(end() + datetime.timedelta(days=30))},",
    ]) + "\n"

    result = run_import(text)

    errors = errors_of(result)
    assert "Lembaga ini sudah memiliki Ketua aktif pada periode tersebut (Siti Aminah" in errors[2]["jabatan"][0]
    assert "Masa bakti LPM kelurahan paling lama 5 tahun." in errors[3]["selesai"]
    assert not Person.objects.filter(name__in=["Ketua Baru", "Terlalu Lama"]).exists()


def test_it_lets_rows_of_one_file_see_each_other(world):
    text = "\n".join([
        HEADER,
        f"Ketua Satu,L,081211110020,,Kelurahan A2,Ketua,,{iso(start())},,",
        f"Ketua Dua,L,081211110021,,Kelurahan A2,Ketua,,{iso(start())},,",
        f"Ketua Satu,L,081211110020,,Kelurahan B1,Anggota,,{iso(start())},,",
        f"Ketua Satu,L,081211110020,,Kelurahan A2,Ketua,,{iso(start())},,",
    ]) + "\n"

    result = run_import(text)

    errors = errors_of(result)
    assert list(errors) == [3, 4, 5]
    assert "sudah memiliki Ketua aktif pada periode tersebut (Ketua Satu" in errors[3]["jabatan"][0]
    assert "tidak boleh merangkap di dua LPM kelurahan" in errors[4]["nama"][0]
    assert "sudah ada di baris 2 berkas ini" in errors[5]["nama"][0]
    assert Membership.objects.count() == 0


def test_it_matches_a_kelurahan_by_alias_after_load_regions(db):
    call_command("load_regions", stdout=io.StringIO())
    text = "\n".join([
        HEADER,
        f"Warga Sungai Nangka,L,081211110030,,Sungai Nangka,Ketua,,{iso(start())},,",
        f"Warga Manggar,P,081211110031,,kelurahan manggar,Ketua,,{iso(start())},,",
    ]) + "\n"

    result = run_import(text)

    assert_clean(result)
    assert Membership.objects.get(person__name="Warga Sungai Nangka").board.region.code == "64.71.05.1010"
    assert Membership.objects.get(person__name="Warga Manggar").board.region.name == "Manggar"


def test_it_checks_the_kecamatan_of_a_kelurahan_and_reads_a_forum_row(world):
    text = "\n".join([
        "nama,jenis_kelamin,telepon,lembaga,kelurahan,kecamatan,jabatan,mulai",
        f"Salah Kecamatan,L,081211110040,,Kelurahan A1,Kecamatan B,Anggota,{iso(start())}",
        f"Forum Tanpa Kecamatan,L,081211110041,Forum LPM,,,Anggota,{iso(start())}",
        f"Kecamatan Saja,L,081211110042,,,kecamatan b,Anggota,{iso(start())}",
        f"Tanpa Lembaga,L,081211110043,,,,Anggota,{iso(start())}",
    ]) + "\n"

    result = run_import(text)

    errors = errors_of(result)
    assert errors[2]["kecamatan"] == ["Kelurahan Kelurahan A1 tidak berada di Kecamatan Kecamatan B."]
    assert errors[3]["kecamatan"] == ["Kolom kecamatan wajib diisi untuk Forum LPM Kecamatan."]
    assert 4 not in errors
    assert errors[5]["kelurahan"] == ["Isi kelurahan, atau kecamatan untuk Forum LPM Kecamatan."]


def test_it_asks_for_missing_values_and_gender_of_a_new_person(world):
    text = "\n".join([
        HEADER,
        f",L,081211110050,,Kelurahan A1,Anggota,,{iso(start())},,",
        "Tanpa Kelamin,,081211110051,,Kelurahan A1,,,,,",
        f"Surel Salah,X,081211110052,bukan-surel,Kelurahan A1,Anggota,,{iso(start())},,",
    ]) + "\n"

    result = run_import(text)

    errors = errors_of(result)
    assert errors[2]["nama"] == ["Kolom nama wajib diisi."]
    assert errors[3]["jabatan"] == ["Kolom jabatan wajib diisi."]
    assert errors[3]["mulai"] == ["Kolom mulai wajib diisi."]
    assert errors[3]["jenis_kelamin"] == ["Isi jenis kelamin (L atau P) untuk orang yang baru dicatat."]
    assert errors[4]["jenis_kelamin"] == ["Jenis kelamin “X” tidak dikenal; isi L atau P."]
    assert errors[4]["email"] == ["Alamat e-mail “bukan-surel” tidak valid."]


def test_it_refuses_a_file_without_the_required_columns(world):
    result = run_import("nama,telepon\nSiti,0812\n")

    assert result.has_errors()
    assert "Kolom wajib tidak ada di baris judul: jabatan, mulai, kelurahan." in str(result.base_errors[0].error)
    assert Person.objects.count() == 0


def test_it_is_idempotent(world):
    assert_clean(run_import(good_csv()))
    people, memberships = list(Person.objects.order_by("pk")), list(Membership.objects.order_by("pk"))

    again = run_import(good_csv())

    assert_clean(again)
    assert again.totals["new"] == again.totals["update"] == 0
    assert again.totals["skip"] == 4
    assert list(Person.objects.order_by("pk")) == people
    assert list(Membership.objects.order_by("pk")) == memberships


def test_it_updates_in_place_when_a_row_changes(world):
    assert_clean(run_import(good_csv()))
    siti = Membership.objects.get(person__email="siti@example.org")
    changed = good_csv().replace("0812-1111-0001,siti@example.org", "081299990001,SITI@example.org").replace(
        f"{iso(end())},SK-01", f"{iso(end())},SK-02", 1)

    result = run_import(changed)

    assert_clean(result)
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 1, 3)
    siti.refresh_from_db()
    siti.person.refresh_from_db()
    assert siti.sk_number == "SK-02"
    assert siti.person.phone == "081299990001"
    assert siti.person.email == "siti@example.org"
    assert Person.objects.count() == 4


def test_it_matches_people_by_email_then_by_phone(world):
    by_email = factories.PersonFactory(name="Siti A.", email="Siti@Example.org", phone="0800000001")
    by_phone = factories.PersonFactory(name="Budi S.", email="", phone="+62 812-1111-0002")
    other_household = factories.PersonFactory(name="Ibu Joko", email="ibu.joko@example.org", phone="081211110004")
    text = "\n".join([
        HEADER,
        f"Siti Aminah,P,,siti@example.org,Kelurahan A1,Ketua,,{iso(start())},,",
        f"Budi Santoso,L,0812 1111 0002,budi@example.org,Kelurahan A1,Anggota,,{iso(start())},,",
        f"Joko Susilo,L,081211110004,joko@example.org,Kelurahan B1,Anggota,,{iso(start())},,",
    ]) + "\n"

    result = run_import(text)

    assert_clean(result)
    assert Membership.objects.get(position=Membership.Position.KETUA).person == by_email
    by_email.refresh_from_db()
    assert (by_email.name, by_email.phone) == ("Siti Aminah", "0800000001")
    by_phone.refresh_from_db()
    assert Membership.objects.get(board=world["board_a"], position="anggota").person == by_phone
    assert (by_phone.name, by_phone.email) == ("Budi Santoso", "budi@example.org")
    # A shared phone does not merge two people who have their own e-mail.
    joko = Membership.objects.get(board=world["board_b"]).person
    assert joko != other_household and joko.email == "joko@example.org"


def test_it_recognises_a_person_without_contacts_by_name_on_the_same_board(world):
    text = f"{HEADER}\nPak Tua,L,,,Kelurahan A1,Anggota,,{iso(start())},,\n"
    assert_clean(run_import(text))

    again = run_import(text)

    assert_clean(again)
    assert again.totals["skip"] == 1
    assert Person.objects.filter(name="Pak Tua").count() == 1


def test_it_exports_the_import_columns_and_round_trips(officer_a, member_a, coordinator_a, world):
    factories.MembershipFactory(
        person=factories.PersonFactory(name="Koordinator Ekonomi", gender="L"), board=world["board_b"],
        position=Membership.Position.KOORDINATOR, field_name="Ekonomi", sk_number="SK/7/2024",
    )
    before = sorted(Membership.objects.values_list("pk", "person_id", "board_id", "position", "field_name",
                                                   "start_date", "end_date", "sk_number"))

    dataset = MembershipResource().export()

    assert tuple(dataset.headers) == COLUMNS
    rows = {row["nama"]: row for row in dataset.dict}
    assert rows["Siti Aminah"]["jabatan"] == "Ketua"
    assert rows["Siti Aminah"]["lembaga"] == "LPM Kelurahan"
    assert (rows["Siti Aminah"]["kelurahan"], rows["Siti Aminah"]["kecamatan"]) == ("Kelurahan A1", "Kecamatan A")
    assert (rows["Hj. Nurhayati"]["kelurahan"], rows["Hj. Nurhayati"]["kecamatan"]) == ("", "Kecamatan A")
    assert rows["Koordinator Ekonomi"]["jabatan"] == "Koordinator/Ketua Bidang"
    for file_format in (CSV, XLSX):
        exported = file_format().export_data(MembershipResource().export(force_native_type=file_format is XLSX))

        result = run_import(exported, file_format=file_format)

        assert_clean(result)
        assert result.totals["skip"] == 4, file_format
        after = sorted(Membership.objects.values_list("pk", "person_id", "board_id", "position", "field_name",
                                                      "start_date", "end_date", "sk_number"))
        assert after == before
        assert Person.objects.count() == 4


# --- through the admin -----------------------------------------------------------------


def upload(client, name, content, file_format=CSV_FORMAT):
    return client.post(IMPORT_URL, {
        "resource": "0",
        "format": file_format,
        "import_file": SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content),
    })


def test_it_shows_row_errors_in_the_admin_preview_and_offers_no_confirm(client, admin_user, world):
    client.force_login(admin_user)
    text = good_csv() + f"Dewi Lestari,P,081211110005,,Kelurahan Tidak Ada,Anggota,,{iso(start())},,\n"

    response = upload(client, "pengurus.csv", text)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    content = response.content.decode()
    assert "<td>6 </td>" in content
    assert "Kelurahan “Kelurahan Tidak Ada” tidak dikenal" in content
    assert Person.objects.count() == 0
    assert Membership.objects.count() == 0


def test_it_previews_then_imports_after_confirmation_in_the_admin(client, admin_user, world):
    client.force_login(admin_user)
    assert client.get(IMPORT_URL).status_code == 200

    preview = upload(client, "pengurus.csv", good_csv())

    assert preview.status_code == 200
    assert Membership.objects.count() == 0  # the preview writes nothing
    confirm_form = preview.context["confirm_form"]
    assert "Siti Aminah" in preview.content.decode()

    response = client.post(PROCESS_URL, confirm_form.initial)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:organizations_membership_changelist")
    assert Membership.objects.count() == 4
    ketua = Membership.objects.get(position=Membership.Position.KETUA)
    assert ketua.board == world["board_a"]
    assert ketua.history.first().history_user == admin_user


def test_it_imports_an_xlsx_file_through_the_admin(client, admin_user, world):
    client.force_login(admin_user)
    book = openpyxl.Workbook()
    for line in good_csv().splitlines():
        book.active.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)

    preview = upload(client, "pengurus.xlsx", buffer.getvalue(), XLSX_FORMAT)
    response = client.post(PROCESS_URL, preview.context["confirm_form"].initial)

    assert response.status_code == 302
    assert Membership.objects.count() == 4


def test_it_writes_nothing_when_the_data_changed_between_preview_and_confirm(client, admin_user, world):
    client.force_login(admin_user)
    preview = upload(client, "pengurus.csv", good_csv())
    factories.MembershipFactory(board=world["board_a"], position=Membership.Position.KETUA, start_date=start())

    response = client.post(PROCESS_URL, preview.context["confirm_form"].initial, follow=True)

    assert Membership.objects.count() == 1
    assert Person.objects.count() == 1
    assert "Impor dibatalkan" in response.content.decode()


def test_it_lets_staff_export_but_not_import(client, staff, officer_a):
    client.force_login(staff)

    assert client.get(IMPORT_URL).status_code == 403
    response = client.post(reverse("admin:organizations_membership_export"), {
        "resource": "0",
        "format": "0",
        **{f"membershipresource_{column}": "on" for column in COLUMNS},
    })

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1].startswith("Siti Aminah,P,")


def test_it_keeps_officers_out_of_the_import(client, officer_a):
    client.force_login(officer_a)

    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert "login" in response["Location"]



def test_control_characters_in_cells_are_dropped_not_a_crash(world):
    text = HEADER + "\n" + f"Siti\x00 Aminah,P,,,99.01.01.1001\x00,ketua,,{iso(start())},{iso(end())},\n"
    result = run_import(text)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Person.objects.get().name == "Siti Aminah"
