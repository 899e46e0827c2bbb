import csv

from django.core.management import call_command

from organizations import services
from organizations.models import Board, Region, RegionAlias


def test_it_loads_balikpapan_and_is_idempotent(db):
    call_command("load_regions", verbosity=0)
    assert Region.objects.count() == 41
    assert Region.objects.filter(level=Region.Level.KOTA).count() == 1
    assert Region.objects.filter(level=Region.Level.KECAMATAN).count() == 6
    assert Region.objects.filter(level=Region.Level.KELURAHAN).count() == 34
    assert Board.objects.filter(kind=Board.Kind.LPM).count() == 34
    assert Board.objects.filter(kind=Board.Kind.FORUM).count() == 6
    assert Board.objects.filter(kind=Board.Kind.ASSOCIATION).count() == 1
    sungainangka = Region.objects.get(code="64.71.05.1010")
    assert sungainangka.parent.code == "64.71.05"
    assert RegionAlias.objects.get(name="Sungai Nangka").region == sungainangka

    before = {r.code: (r.pk, r.name, r.parent_id) for r in Region.objects.all()}
    boards_before = set(Board.objects.values_list("pk", "name"))
    result = services.regions_load(rows=services.read_region_rows(), aliases=services.read_alias_rows())
    assert (result.created, result.updated, result.boards_created) == (0, 0, 0)
    assert {r.code: (r.pk, r.name, r.parent_id) for r in Region.objects.all()} == before
    assert set(Board.objects.values_list("pk", "name")) == boards_before
    assert RegionAlias.objects.count() == 11


def test_a_renamed_region_is_updated_in_place(db, tmp_path):
    call_command("load_regions", verbosity=0)
    region = Region.objects.get(code="64.71.05.1010")
    board = Board.objects.get(region=region)
    custom = Board.objects.get(region__code="64.71.05.1011")
    custom.name = "LPM Damai Baru (nama sendiri)"
    custom.save()

    rows = services.read_region_rows()
    for row in rows:
        if row["code"] == "64.71.05.1010":
            row["name"] = "Sungai Nangka"
        if row["code"] == "64.71.05.1011":
            row["name"] = "Damai Baru Raya"
    path = tmp_path / "wilayah.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code", "name", "level", "parent_code"])
        writer.writeheader()
        writer.writerows(rows)
    call_command("load_regions", file=str(path), verbosity=0)

    region.refresh_from_db()
    board.refresh_from_db()
    custom.refresh_from_db()
    assert Region.objects.count() == 41
    assert region.name == "Sungai Nangka"
    assert board.name == "LPM Kelurahan Sungai Nangka"
    # A name chosen by an administrator is kept.
    assert custom.name == "LPM Damai Baru (nama sendiri)"


def test_kelurahan_match_by_code_name_and_alias(db):
    call_command("load_regions", verbosity=0)
    assert services.kelurahan_match("64.71.05.1010").name == "Sungainangka"
    assert services.kelurahan_match("sungainangka").code == "64.71.05.1010"
    assert services.kelurahan_match("  Sungai   Nangka ").code == "64.71.05.1010"
    assert services.kelurahan_match("Balikpapan Selatan") is None
    assert services.kelurahan_match("") is None
