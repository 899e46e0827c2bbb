"""Demo data: pengurus for every board, demo logins, and synthetic cities for load tests.

People are generated from fixed name lists with a seeded ``random.Random`` (one
per board, keyed on the region code), so the same seed always gives the same
people whatever else is in the database. Names are combinations of common
given names and family names of the communities living in Balikpapan; none
is meant to be a real person.

Idempotent by construction: a board that already has any membership is left
alone, so a second run adds nothing and whatever an administrator changed by
hand survives the next ``make run``. Nothing is ever deleted.

Everything is written with ``bulk_create`` in batches: the data is valid by
construction (the tests run ``full_clean()`` over it), and ``--scale 100``
(about 4,000 boards and 80,000 people) must take seconds, not minutes.
"""

import csv
import datetime
import io
import itertools
import json
import random
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from portal.lib.cache import tables_written
from portal.lib.dates import add_years

from . import services
from .models import TERM_YEARS, Board, Membership, Person, Region

DEMO_DOMAIN = "demo.lpm.example"
# Demo data only: printed by the command for anyone running the demo.
DEMO_PASSWORD = "demo-lpm-2026"
DEFAULT_SEED = 6471
BATCH_SIZE = 2000
HISTORY_REASON = "Data demo (seed_demo)"

BASE_CITY_CODE = "64.71"
# Synthetic cities for load tests live under province code 98, which Kemendagri
# does not use; 99.01 is already taken by the test fixtures' "Kota Uji".
SYNTHETIC_PROVINCE = "98"
# Balikpapan's shape: kelurahan per kecamatan, in code order (34 in all).
SYNTHETIC_KELURAHAN_PER_KECAMATAN = (4, 6, 6, 6, 7, 5)
SYNTHETIC_KECAMATAN_NAMES = ("Timur", "Barat", "Utara", "Tengah", "Selatan", "Kota")

Position = Membership.Position


# --- Names ------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePool:
    """How one community names its people: given name, optional title and family name."""

    weight: int
    male: tuple
    female: tuple
    family_male: tuple = ()
    family_female: tuple = ()
    family_rate: float = 0.0
    prefix_male: tuple = ()
    prefix_female: tuple = ()
    prefix_rate: float = 0.0
    # H./Hj.: men and women who have made the hajj, as they are addressed locally.
    hajj_rate: float = 0.0
    # Given names nobody goes by alone ("Sri", "Agus"): always followed by a family name.
    never_alone: frozenset = frozenset()

    def name(self, rng, female):
        parts = []
        if self.hajj_rate and rng.random() < self.hajj_rate:
            parts.append("Hj." if female else "H.")
        prefixes = self.prefix_female if female else self.prefix_male
        if prefixes and rng.random() < self.prefix_rate:
            parts.append(rng.choice(prefixes))
        given = rng.choice(self.female if female else self.male)
        parts.append(given)
        family = self.family_female if female else self.family_male
        if family and (rng.random() < self.family_rate or given in self.never_alone):
            parts.append(rng.choice(family))
        return " ".join(parts)


_DAYAK_FAMILY = (
    "Lahang", "Lawing", "Ngau", "Ajang", "Lerang", "Jalung", "Usat", "Anyeq", "Bilung", "Uyang", "Lejau", "Apui",
    "Juk", "Ping", "Ulin",
)
_TORAJA_FAMILY = (
    "Pasalli", "Palimbong", "Rantelino", "Pakiding", "Sarira", "Palinggi", "Sambolangi", "Tandiarrang", "Paembonan",
    "Lolo", "Bura", "Rante Allo", "Tangke", "Sampe",
)
_BATAK_MARGA = (
    "Simanjuntak", "Hutapea", "Sinaga", "Nainggolan", "Siregar", "Manurung", "Simatupang", "Pardede", "Hutagalung",
    "Lubis", "Tambunan", "Silalahi",
)

# Weights follow the rough make-up of Balikpapan: Javanese first, then Banjar and Bugis.
NAME_POOLS = (
    NamePool(  # Javanese
        weight=34,
        male=("Agus", "Bambang", "Budi", "Slamet", "Sugeng", "Heru", "Eko", "Teguh", "Wahyu", "Hadi", "Bayu", "Yudi",
              "Sutrisno", "Suparman", "Sugiyanto", "Purwanto", "Darmaji", "Sukardi", "Mulyadi", "Triyono", "Sarwono",
              "Gatot", "Wahyudi", "Joko"),
        female=("Sri", "Endang", "Tri", "Wulan", "Rini", "Dewi", "Ratna", "Sulastri", "Suryani", "Puji", "Yuliani",
                "Ninik", "Sumarni", "Tutik", "Retno", "Dwi", "Sekar", "Siti"),
        family_male=("Prasetyo", "Santoso", "Hidayat", "Susanto", "Nugroho", "Purnomo", "Wijaya", "Kurniawan",
                     "Saputra", "Handoko", "Sulistyo", "Rahardjo", "Utomo", "Pranoto", "Haryanto", "Wibisono"),
        family_female=("Lestari", "Wahyuni", "Rahayu", "Handayani", "Susanti", "Wulandari", "Purwanti", "Astuti",
                       "Utami", "Hartati", "Pratiwi", "Setyaningsih", "Kusumawati", "Rahmawati", "Ningsih"),
        family_rate=0.6,
        hajj_rate=0.05,
        never_alone=frozenset({
            "Agus", "Bambang", "Budi", "Slamet", "Sugeng", "Heru", "Eko", "Teguh", "Wahyu", "Hadi", "Bayu", "Yudi",
            "Gatot", "Joko", "Sri", "Endang", "Tri", "Wulan", "Rini", "Dewi", "Ratna", "Puji", "Tutik", "Retno", "Dwi",
            "Sekar", "Siti",
        }),
    ),
    NamePool(  # Banjar
        weight=20,
        male=("Ramli", "Syahrani", "Rusmansyah", "Jailani", "Hairani", "Aspiannor", "Rahmadi", "Fahrurrazi",
              "Basrani", "Mahyuni", "Syaifullah", "Noorhadi", "Hairul", "Yusran", "Masrani", "Fathurrahman", "Rifani",
              "Zainuddin"),
        female=("Norhayati", "Rusmiati", "Noorlaila", "Salasiah", "Mahmudah", "Raudah", "Jamilah", "Saniah",
                "Zubaidah", "Halimah", "Mariatul Kiptiah", "Rabiatul Adawiyah", "Fitriani", "Masnah", "Rahimah"),
        family_male=("Noor", "Ansyari", "Rahman", "Hidayat", "Fadli"),
        family_rate=0.25,
        prefix_male=("Muhammad", "Ahmad", "Abdul", "Gusti"),
        prefix_female=("Siti", "Gusti"),
        prefix_rate=0.4,
        hajj_rate=0.15,
    ),
    NamePool(  # Bugis
        weight=18,
        male=("Baso", "Ambo", "Lukman", "Sulaiman", "Asri", "Ridwan", "Amiruddin", "Jumadi", "Nasrullah", "Tajuddin",
              "Syamsul Bahri", "Abdul Rasyid", "Mappasessu", "Kamaruddin", "Syarifuddin", "Muhammad Yusuf", "Hamzah"),
        female=("Tenri", "Hasnah", "Nurhayati", "Sitti Aisyah", "Rosmini", "Hasriani", "Nurlela", "Suriani",
                "Mardiana", "Haslinda", "Besse", "Rosdiana", "Hartina", "Nurhaedah"),
        family_male=("Lantara", "Patunru", "Mappiasse", "Lagu", "Tahir", "Daeng Masiga", "Daeng Ngalle", "Pawelloi",
                     "Latif"),
        family_female=("Ajeng", "Uleng", "Batari", "Sompa", "Daeng Ngai"),
        family_rate=0.5,
        never_alone=frozenset({"Tenri", "Ambo", "Baso"}),
        prefix_male=("Andi",),
        prefix_female=("Andi",),
        prefix_rate=0.3,
        hajj_rate=0.15,
    ),
    NamePool(  # Kutai
        weight=7,
        male=("Ismail", "Kasmir", "Rusdi", "Jaenudin", "Hamdani", "Syahrudin", "Ardiansyah", "Sofyan", "Darmansyah",
              "Ruslan", "Zulkifli", "Saiful"),
        female=("Rahmah", "Salmah", "Aminah", "Nurbaya", "Fatimah", "Masitah", "Rosnani", "Jubaidah", "Nurjannah",
                "Sarifah"),
        family_male=("Kesuma", "Rahman", "Hakim", "Fadillah"),
        family_female=("Kesuma", "Sari"),
        family_rate=0.3,
        prefix_male=("Aji", "Awang"),
        prefix_female=("Aji", "Dayang"),
        prefix_rate=0.55,
        hajj_rate=0.1,
    ),
    NamePool(  # Dayak
        weight=5,
        male=("Yohanes", "Stefanus", "Petrus", "Paulus", "Markus", "Fransiskus", "Antonius", "Yakobus", "Lukas",
              "Benediktus"),
        female=("Maria", "Agustina", "Theresia", "Veronika", "Yuliana", "Elisabeth", "Margaretha", "Katarina",
                "Magdalena", "Lusia"),
        family_male=_DAYAK_FAMILY,
        family_female=_DAYAK_FAMILY,
        family_rate=0.95,
    ),
    NamePool(  # Toraja
        weight=6,
        male=("Yohanis", "Marthen", "Daniel", "Yusuf", "Simon", "Samuel", "Obed", "Nataniel", "Elias", "Agustinus",
              "Frans", "Yulius"),
        female=("Ruth", "Debora", "Yuliana", "Ribka", "Sarah", "Martha", "Lidya", "Yohana", "Mince", "Orpa",
                "Dorkas", "Selvi"),
        family_male=_TORAJA_FAMILY,
        family_female=_TORAJA_FAMILY,
        family_rate=0.95,
    ),
    NamePool(  # Sundanese
        weight=5,
        male=("Asep", "Dede", "Ujang", "Cecep", "Dadang", "Yayan", "Iwan", "Ade"),
        female=("Neneng", "Euis", "Iis", "Imas", "Nining", "Yeni", "Rina", "Lilis"),
        family_male=("Saepudin", "Sutisna", "Permana", "Supriatna", "Hermawan", "Sopandi", "Kusnadi"),
        family_female=("Nurhasanah", "Kurniasih", "Rosmawati", "Sumiati", "Marlina"),
        family_rate=0.8,
        hajj_rate=0.05,
        never_alone=frozenset({"Ade", "Dede", "Iis", "Yeni", "Rina"}),
    ),
    NamePool(  # Batak
        weight=4,
        male=("Tigor", "Maruli", "Parlindungan", "Togar", "Jhonson", "Robert", "Hotman", "Bonar"),
        female=("Rosmauli", "Tiurma", "Lasma", "Rotua", "Dameria", "Nurmala", "Erlina"),
        family_male=_BATAK_MARGA,
        family_female=_BATAK_MARGA,
        family_rate=1.0,
    ),
)
_POOL_CUM_WEIGHTS = list(itertools.accumulate(pool.weight for pool in NAME_POOLS))

# Share of women by position: about a third overall, more among treasurers and
# secretaries, fewer (but some) among the Ketua.
FEMALE_SHARE = {
    Position.KETUA: 0.2,
    Position.WAKIL_KETUA: 0.25,
    Position.SEKRETARIS: 0.4,
    Position.BENDAHARA: 0.5,
    Position.KOORDINATOR: 0.25,
    Position.ANGGOTA: 0.3,
}
FEMALE_SHARE_BY_FIELD = {"Pemberdayaan Perempuan": 0.8, "Perlindungan Anak": 0.5, "Ketahanan Keluarga": 0.45}

# The first five are the fields DP3AKB works on with the boards; the rest appear on larger boards.
FIELDS = (
    "Ketahanan Keluarga", "Perlindungan Anak", "Pemberdayaan Perempuan", "Kualitas Lingkungan", "Ekonomi Masyarakat",
    "Pendidikan dan Kebudayaan", "Kesehatan Masyarakat", "Sarana dan Prasarana", "Keagamaan dan Sosial",
    "Kepemudaan dan Olahraga",
)

# Real operator prefixes; the "000" block after them marks the numbers as made up.
PHONE_PREFIXES = (
    "0811", "0812", "0813", "0821", "0822", "0852", "0853", "0815", "0816", "0856", "0857", "0817", "0818", "0819",
    "0859", "0877", "0878", "0895", "0896", "0881", "0882",
)
STREETS = (
    "Jl. Mawar", "Jl. Melati", "Jl. Kenanga", "Jl. Flamboyan", "Jl. Cempaka", "Jl. Anggrek", "Jl. Teratai",
    "Jl. Dahlia", "Jl. Merpati", "Jl. Pelita", "Jl. Harapan", "Jl. Damai Sejahtera", "Jl. Bhakti",
    "Jl. Gotong Royong", "Jl. Swadaya", "Jl. Karya Bersama", "Jl. Manunggal", "Jl. Pemuda",
)


# --- Demo logins ------------------------------------------------------------------


STAFF_LOGIN_EMAIL = f"staf@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    # The board whose person this login is: region code, kind and position.
    board_code: str = ""
    board_kind: str = ""
    position: str = ""
    is_superuser: bool = False
    staff_office: bool = False


DEMO_LOGINS = (
    DemoLogin("Admin sistem", f"admin@{DEMO_DOMAIN}", is_superuser=True),
    DemoLogin("Staf DP3AKB", STAFF_LOGIN_EMAIL, staff_office=True),
    # Two kelurahan in different kecamatan: Manggar (Balikpapan Timur), Prapatan (Balikpapan Kota).
    DemoLogin("Ketua LPM", f"ketua.manggar@{DEMO_DOMAIN}", "64.71.01.1001", Board.Kind.LPM, Position.KETUA),
    DemoLogin("Anggota LPM", f"anggota.manggar@{DEMO_DOMAIN}", "64.71.01.1001", Board.Kind.LPM, Position.ANGGOTA),
    DemoLogin("Ketua LPM", f"ketua.prapatan@{DEMO_DOMAIN}", "64.71.06.1001", Board.Kind.LPM, Position.KETUA),
    DemoLogin("Anggota LPM", f"anggota.prapatan@{DEMO_DOMAIN}", "64.71.06.1001", Board.Kind.LPM, Position.ANGGOTA),
    DemoLogin(
        "Koordinator kecamatan", f"koordinator.balikpapan-timur@{DEMO_DOMAIN}", "64.71.01", Board.Kind.FORUM,
        Position.KETUA,
    ),
)


@dataclass
class LoginRow:
    role: str
    email: str
    password: str
    board: str
    created: bool


@dataclass
class SeedResult:
    regions_loaded: bool = False
    regions_created: int = 0
    boards_created: int = 0
    boards_seeded: int = 0
    people_created: int = 0
    memberships_created: int = 0
    users_created: int = 0
    logins: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


# --- Entry point ------------------------------------------------------------------


def demo_seed(*, scale: int = 1, seed: int = DEFAULT_SEED, today: datetime.date | None = None) -> SeedResult:
    """Fill Balikpapan's boards (and ``scale - 1`` synthetic cities) with demo people; create the demo logins."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if not connection.features.can_return_rows_from_bulk_insert:
        # People are linked to their memberships by the ids bulk_create hands back.
        raise RuntimeError("seed_demo needs a database that returns ids from bulk inserts (PostgreSQL, SQLite 3.35+)")
    today = today or timezone.localdate()
    result = SeedResult()
    with transaction.atomic():
        _ensure_balikpapan(result)
        cities = [BASE_CITY_CODE] + [_synthetic_city_code(n) for n in range(1, scale)]
        _ensure_synthetic_cities(cities[1:], result)
        _seed_boards(cities, seed=seed, today=today, result=result)
        _ensure_logins(result)
    return result


def _ensure_balikpapan(result):
    rows = services.read_region_rows()
    codes = [row["code"].strip() for row in rows]
    if Region.objects.filter(code__in=codes).count() < len(codes) or Board.objects.filter(
        region__code__in=codes
    ).count() < len(codes):
        loaded = services.regions_load(rows=rows, aliases=services.read_alias_rows())
        result.regions_loaded = True
        result.regions_created += loaded.created
        result.boards_created += loaded.boards_created


# --- Synthetic cities -------------------------------------------------------------


def _synthetic_city_code(n):
    return f"{SYNTHETIC_PROVINCE}.{n:02d}"


def _synthetic_regions(city_code):
    """(code, name, level, parent_code) of one synthetic city, shaped like Balikpapan."""
    number = city_code.split(".", 1)[1]
    rows = [(city_code, f"Kota Simulasi {number}", Region.Level.KOTA, None)]
    for k, (count, direction) in enumerate(zip(SYNTHETIC_KELURAHAN_PER_KECAMATAN, SYNTHETIC_KECAMATAN_NAMES), 1):
        kecamatan_code = f"{city_code}.{k:02d}"
        kecamatan_name = f"Simulasi {number} {direction}"
        rows.append((kecamatan_code, kecamatan_name, Region.Level.KECAMATAN, city_code))
        for j in range(1, count + 1):
            rows.append((f"{kecamatan_code}.{1000 + j}", f"{kecamatan_name} {j}", Region.Level.KELURAHAN,
                         kecamatan_code))
    return rows


def _ensure_synthetic_cities(city_codes, result):
    """Region trees and boards of the synthetic cities, in a fixed number of queries."""
    if not city_codes:
        return
    rows = [row for code in city_codes for row in _synthetic_regions(code)]
    ids = dict(Region.objects.filter(code__startswith=f"{SYNTHETIC_PROVINCE}.").values_list("code", "id"))
    # Parents first: one bulk insert per level.
    for level in (Region.Level.KOTA, Region.Level.KECAMATAN, Region.Level.KELURAHAN):
        missing = [
            Region(code=code, name=name, level=lvl, parent_id=ids[parent] if parent else None)
            for code, name, lvl, parent in rows
            if lvl == level and code not in ids
        ]
        for region in Region.objects.bulk_create(missing, batch_size=BATCH_SIZE):
            ids[region.code] = region.pk
        result.regions_created += len(missing)

    has_board = set(
        Board.objects.filter(region__code__startswith=f"{SYNTHETIC_PROVINCE}.").values_list("region_id", flat=True)
    )
    kind_of_level = services.BOARD_KIND_OF_LEVEL
    boards = [
        Board(region_id=ids[code], kind=kind_of_level[level],
              name=services.BOARD_NAME_FORMATS[kind_of_level[level]].format(name=name))
        for code, name, level, _parent in rows
        if ids[code] not in has_board
    ]
    Board.objects.bulk_create(boards, batch_size=BATCH_SIZE)
    result.boards_created += len(boards)


# --- People and memberships -------------------------------------------------------


def _city_of(code):
    return ".".join(code.split(".")[:2])


def _seed_boards(cities, *, seed, today, result):
    wanted = set(cities)
    boards_by_city = {}
    in_cities = Q(region__code__startswith=BASE_CITY_CODE)
    if len(cities) > 1:
        in_cities |= Q(region__code__startswith=f"{SYNTHETIC_PROVINCE}.")
    for board in Board.objects.select_related("region__parent").filter(in_cities):
        city = _city_of(board.region.code)
        if city in wanted:
            boards_by_city.setdefault(city, []).append(board)

    # A board with any membership has been seeded (or filled by hand): leave it alone.
    seeded = set(Membership.objects.values_list("board_id", flat=True).distinct())
    if all(board.pk in seeded for city_boards in boards_by_city.values() for board in city_boards):
        return

    logins_by_board = {}
    for login in DEMO_LOGINS:
        if login.board_code:
            logins_by_board.setdefault((login.board_code, login.board_kind), {})[login.position] = login.email

    people, memberships, changed_boards = [], [], []
    for city, city_boards in boards_by_city.items():
        if all(board.pk in seeded for board in city_boards):
            continue
        variants = _city_variants(city, city_boards, seed=seed, protected={code for code, _kind in logins_by_board})
        synthetic = city != BASE_CITY_CODE
        for board in sorted(city_boards, key=lambda b: b.region.code):
            if board.pk in seeded:
                continue
            plan = _board_plan(
                board,
                rng=random.Random(f"{seed}:{board.region.code}:{board.kind}"),
                today=today,
                variant=variants.get(board.pk),
                synthetic=synthetic,
                login_emails=dict(logins_by_board.get((board.region.code, board.kind), {})),
            )
            people.extend(plan.people)
            memberships.extend((person, fields, not synthetic) for person, fields in plan.memberships)
            if plan.board_changed:
                changed_boards.append(board)
            result.boards_seeded += 1

    # Reuse people whose e-mail already exists (e.g. a board emptied by hand and
    # seeded again) rather than trip over the unique e-mail constraint.
    existing = {}
    if any(p.email for p in people):
        existing = {
            email.lower(): pk
            for email, pk in Person.objects.filter(email__iendswith=f"@{DEMO_DOMAIN}").values_list("email", "id")
        }
    new_people = []
    for person in people:
        pk = existing.get(person.email.lower()) if person.email else None
        if pk:
            person.pk = pk
        else:
            new_people.append(person)
    Person.objects.bulk_create(new_people, batch_size=BATCH_SIZE)
    result.people_created = len(new_people)

    rows = [Membership(person_id=person.pk, **fields) for person, fields, _audited in memberships]
    Membership.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    # Balikpapan's audit trail starts with the seeding, like any membership
    # change. Synthetic cities exist only to load the database; writing their
    # history too would double the time of --scale 100 for no reader.
    audited = [row for row, (_person, _fields, audited) in zip(rows, memberships) if audited]
    Membership.history.bulk_history_create(audited, batch_size=BATCH_SIZE, default_change_reason=HISTORY_REASON)
    result.memberships_created = len(rows)

    _update_board_details(changed_boards)


def _update_board_details(boards):
    # bulk_update() builds one CASE WHEN per field and row, which costs seconds
    # of Python at --scale 100; a plain executemany of one UPDATE does not.
    fields = [Board._meta.get_field(name) for name in ("address", "phone", "email", "sk_number", "sk_date")]
    quote = connection.ops.quote_name
    sql = "UPDATE {table} SET {columns} WHERE {pk} = %s".format(
        table=quote(Board._meta.db_table),
        columns=", ".join(f"{quote(f.column)} = %s" for f in fields),
        pk=quote(Board._meta.pk.column),
    )
    params = [
        [f.get_db_prep_save(getattr(board, f.attname), connection) for f in fields] + [board.pk] for board in boards
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _city_variants(city, boards, *, seed, protected):
    """Which boards of a city get the irregularities a dashboard should show.

    A couple without an active Ketua, a few whose term ends within 90 days, a
    few with an officer replaced mid-term (pergantian antar waktu) and a few in
    their second term, with the previous term's memberships expired. The demo
    logins' boards stay regular so the demo always works.
    """
    rng = random.Random(f"{seed}:{city}:variants")
    kelurahan = sorted(
        (b for b in boards if b.kind == Board.Kind.LPM and b.region.code not in protected), key=lambda b: b.region.code
    )
    forums = sorted(
        (b for b in boards if b.kind == Board.Kind.FORUM and b.region.code not in protected),
        key=lambda b: b.region.code,
    )
    plan = ["no_ketua"] * 2 + ["ending_soon"] * 3 + ["replaced"] * 4 + ["second_term"] * 3
    picked = rng.sample(kelurahan, min(len(plan), len(kelurahan)))
    variants = {board.pk: variant for board, variant in zip(picked, plan)}
    if forums:
        variants[rng.choice(forums).pk] = "ending_soon"
    return variants


@dataclass
class BoardPlan:
    people: list
    # (Person, Membership field values without the person)
    memberships: list
    board_changed: bool


def _board_plan(board, *, rng, today, variant, synthetic, login_emails):
    days = datetime.timedelta
    if variant == "ending_soon":
        # The term ends 10-85 days from today.
        start = add_years(today + days(rng.randint(10, 85)), -TERM_YEARS)
    elif variant in ("no_ketua", "replaced"):
        start = today - days(rng.randint(400, 1700))
    elif variant == "second_term":
        start = today - days(rng.randint(120, 1000))
    else:
        start = today - days(rng.randint(120, 1700))
    # Both dates inclusive: five years less a day.
    end = add_years(start, TERM_YEARS) - days(1)
    sk_number = _sk_number(board, rng, start)

    board_changed = False
    for attr, value in (
        ("address", _address(board, rng)),
        ("phone", _phone(rng)),
        ("email", _board_email(board)),
        ("sk_number", sk_number),
        ("sk_date", start),
    ):
        if not getattr(board, attr):
            setattr(board, attr, value)
            board_changed = True

    positions = _positions(board, rng, synthetic)
    digits = board.region.code.replace(".", "")
    people, memberships = [], []

    def new_person(position, field_name="", email=None):
        share = FEMALE_SHARE_BY_FIELD.get(field_name, FEMALE_SHARE[position])
        female = rng.random() < share
        name = rng.choices(NAME_POOLS, cum_weights=_POOL_CUM_WEIGHTS)[0].name(rng, female)
        if email is None and rng.random() < 0.85:
            email = f"{_slug(name)}.{digits}{len(people):02d}@{DEMO_DOMAIN}"
        person = Person(
            name=name,
            gender=Person.Gender.FEMALE if female else Person.Gender.MALE,
            phone=_phone(rng) if rng.random() < 0.95 else "",
            email=email or "",
        )
        people.append(person)
        return person

    def serve(person, position, field_name, first, last, sk):
        memberships.append((person, {
            "board_id": board.pk, "position": position, "field_name": field_name,
            "start_date": first, "end_date": last, "sk_number": sk,
        }))

    by_position = {}
    for position, field_name in positions:
        email = login_emails.pop(position, None)
        person = new_person(position, field_name, email)
        serve(person, position, field_name, start, end, sk_number)
        by_position.setdefault(position, []).append((person, len(memberships) - 1))

    ketua, ketua_index = by_position[Position.KETUA][0]
    if variant == "no_ketua":
        # The Ketua stepped down months ago and nobody has been appointed since.
        memberships[ketua_index][1]["end_date"] = today - days(rng.randint(20, 200))
    elif variant == "replaced":
        # Pergantian antar waktu: one officer left, a successor serves out the term.
        position = rng.choice([Position.SEKRETARIS, Position.BENDAHARA, Position.ANGGOTA])
        _leaver, index = by_position[position][0]
        left = today - days(rng.randint(30, 300))
        memberships[index][1]["end_date"] = left
        successor = new_person(position)
        first = left + days(1)
        serve(successor, position, "", first, end, _sk_number(board, rng, first))
    elif variant == "second_term":
        # The Ketua was re-elected; the previous Sekretaris did not return.
        previous_start = add_years(start, -TERM_YEARS)
        previous_end = start - days(1)
        previous_sk = _sk_number(board, rng, previous_start)
        serve(ketua, Position.KETUA, "", previous_start, previous_end, previous_sk)
        serve(new_person(Position.SEKRETARIS), Position.SEKRETARIS, "", previous_start, previous_end, previous_sk)
    return BoardPlan(people=people, memberships=memberships, board_changed=board_changed)


def _positions(board, rng, synthetic):
    """[(position, field name)] of one board: core officers, field coordinators, members."""
    if synthetic:
        size, field_count = rng.randint(18, 22), rng.randint(5, 6)
        fields = rng.sample(FIELDS, field_count)
    else:
        size = {Board.Kind.LPM: rng.randint(10, 16), Board.Kind.FORUM: rng.randint(8, 11)}.get(
            board.kind, rng.randint(11, 15)
        )
        field_count = rng.randint(3, 5)
        # The fields DP3AKB works on come first, in a board-specific order.
        fields = rng.sample(FIELDS[:5], field_count)
    core = [Position.KETUA, Position.WAKIL_KETUA, Position.SEKRETARIS, Position.BENDAHARA]
    rows = [(position, "") for position in core] + [(Position.KOORDINATOR, name) for name in fields]
    rows += [(Position.ANGGOTA, "")] * max(2, size - len(rows))
    return rows


def _slug(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in ascii_name.lower().split()]
    words = [word for word in words if word and word not in ("h", "hj")]
    return ".".join(words[:2])


def _phone(rng):
    return f"{rng.choice(PHONE_PREFIXES)}000{rng.randint(0, 99999):05d}"


def _initials(name):
    words = name.split()
    return "".join(word[0] for word in words).upper() if len(words) > 1 else name[:3].upper()


def _sk_number(board, rng, day):
    """A decree number in the usual local shape: Lurah for LPM, Camat for Forum, Wali Kota for the association."""
    number = rng.randint(1, 250)
    if board.kind == Board.Kind.LPM:
        return f"400.10.2/{number:03d}/KEL-{_initials(board.region.name)}/{day.year}"
    if board.kind == Board.Kind.FORUM:
        return f"400.10.2/{number:03d}/KEC-{_initials(board.region.name)}/{day.year}"
    return f"100.3.3.2/{number:03d}/HK/{day.year}"


def _address(board, rng):
    street = f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}"
    region = board.region
    if board.kind == Board.Kind.LPM:
        kecamatan = f", Kecamatan {region.parent.name}" if region.parent else ""
        if rng.random() < 0.5:
            return f"Kantor Kelurahan {region.name}, {street}{kecamatan}"
        return f"{street} RT {rng.randint(1, 60):03d}, Kelurahan {region.name}{kecamatan}"
    if board.kind == Board.Kind.FORUM:
        return f"Kantor Kecamatan {region.name}, {street}"
    return f"{street}, {region.name}"


def _board_email(board):
    prefix = {Board.Kind.LPM: "lpm", Board.Kind.FORUM: "forum"}.get(board.kind, "asosiasi")
    name = unicodedata.normalize("NFKD", board.region.name).encode("ascii", "ignore").decode().lower()
    return f"{prefix}.{'-'.join(''.join(ch for ch in word if ch.isalnum()) for word in name.split())}@{DEMO_DOMAIN}"


# --- Logins -----------------------------------------------------------------------


def _ensure_logins(result):
    """The demo accounts, linked to their people; only what is missing is created."""
    User = get_user_model()
    from allauth.account.models import EmailAddress

    password_hash = None
    staff_group, _ = Group.objects.get_or_create(name=settings.STAFF_GROUP_NAME)
    boards = {
        (board.region.code, board.kind): board
        for board in Board.objects.select_related("region").filter(
            region__code__in=[login.board_code for login in DEMO_LOGINS if login.board_code]
        )
    }
    for login in DEMO_LOGINS:
        board = boards.get((login.board_code, login.board_kind))
        person = Person.objects.filter(email__iexact=login.email).first() if login.board_code else None
        user = (
            User.objects.filter(username__iexact=login.email).first()
            or User.objects.filter(email__iexact=login.email).first()
        )
        created = user is None
        if created:
            # One hash for all of them: hashing is deliberately slow.
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            if person:
                first_name, last_name = person.name[:150], ""
            else:
                first_name, last_name = login.role, "(demo)"
            user = User.objects.create(
                username=login.email, email=login.email, password=password_hash,
                first_name=first_name, last_name=last_name,
                is_staff=login.is_superuser or login.staff_office, is_superuser=login.is_superuser,
            )
            result.users_created += 1
        else:
            # Never downgrade an existing account; only add what the demo needs.
            wanted = {"is_staff": login.is_superuser or login.staff_office, "is_superuser": login.is_superuser}
            changed = [attr for attr, value in wanted.items() if value and not getattr(user, attr)]
            for attr in changed:
                setattr(user, attr, True)
            if changed:
                user.save(update_fields=changed)
        if login.staff_office and not user.groups.filter(pk=staff_group.pk).exists():
            user.groups.add(staff_group)
        if not EmailAddress.objects.filter(user=user, email__iexact=login.email).exists():
            EmailAddress.objects.create(user=user, email=login.email, verified=True,
                                        primary=not EmailAddress.objects.filter(user=user, primary=True).exists())

        if login.board_code:
            if person is None:
                result.warnings.append(f"{login.email}: tidak ada orang dengan e-mail ini; akun tidak terhubung.")
            elif person.user_id is None:
                if Person.objects.filter(user=user).exists():
                    result.warnings.append(f"{login.email}: akun sudah terhubung ke orang lain.")
                else:
                    person.user = user
                    person.save(update_fields=["user"])
            elif person.user_id != user.pk:
                result.warnings.append(f"{login.email}: orang ini sudah terhubung ke akun lain.")
        if login.staff_office:
            board_label = "Semua lembaga"
        elif login.is_superuser:
            board_label = "Semua lembaga (Django admin)"
        else:
            board_label = board.name if board else login.board_code
        result.logins.append(LoginRow(login.role, login.email, DEMO_PASSWORD, board_label, created))


# --- Scale data: fast writes and the synthetic cities' boards ---------------------
#
# meetings.demo.scale_meetings and programs.demo.scale_proposals fill the
# synthetic cities with a national rollout's volume (--scale 100: 50,000
# proposals, 10,000 meetings, 500,000 invitations, 1.5 million reminders);
# these are the pieces they share.

COPY_CHUNK = 50_000


def synthetic_city_codes(scale):
    """The codes of the ``scale - 1`` synthetic cities, in order."""
    return [_synthetic_city_code(n) for n in range(1, scale)]


@dataclass
class ScaleBoard:
    """A synthetic board and its pengurus, as plain values (no model instances: there are 4,000 of them)."""

    id: int
    kind: str
    region_id: int
    code: str
    name: str
    region_name: str
    kecamatan_code: str
    kecamatan_name: str
    # (person_id, name, email, position, start_date, end_date) of its memberships active today, Ketua first.
    members: list = field(default_factory=list)


def scale_boards(city_codes, *, today=None):
    """{city code: [ScaleBoard]} of the synthetic cities that exist, each city's boards in region-code order."""
    today = today or timezone.localdate()
    wanted = set(city_codes)
    boards = {}
    rows = (
        Board.objects.filter(region__code__startswith=f"{SYNTHETIC_PROVINCE}.")
        .values_list("id", "kind", "region_id", "region__code", "name", "region__name", "region__parent__code",
                     "region__parent__name")
        .order_by("region__code", "kind")
    )
    by_city = {}
    for pk, kind, region_id, code, name, region_name, parent_code, parent_name in rows:
        city = _city_of(code)
        if city not in wanted:
            continue
        if kind == Board.Kind.FORUM:
            kecamatan_code, kecamatan_name = code, region_name
        elif kind == Board.Kind.LPM:
            kecamatan_code, kecamatan_name = parent_code, parent_name
        else:
            kecamatan_code, kecamatan_name = "", ""
        board = ScaleBoard(pk, kind, region_id, code, name, region_name, kecamatan_code, kecamatan_name)
        boards[pk] = board
        by_city.setdefault(city, []).append(board)
    order = {position: index for index, position in enumerate(Position.values)}
    members = (
        Membership.objects.active(today).filter(board__region__code__startswith=f"{SYNTHETIC_PROVINCE}.")
        .values_list("board_id", "person_id", "person__name", "person__email", "position", "start_date", "end_date")
        .order_by("board_id", "id")
    )
    for board_id, person_id, name, email, position, start, end in members:
        if board_id in boards:
            boards[board_id].members.append((person_id, name, email, position, start, end))
    for board in boards.values():
        board.members.sort(key=lambda member: order.get(member[3], len(order)))
    return by_city


def bulk_insert(model, columns, rows, *, with_ids=False):
    """Write ``rows`` (tuples of values for the attributes ``columns``) into ``model``'s table, fast.

    PostgreSQL: ``COPY ... FROM STDIN`` in CSV, written by the C ``csv``
    module in chunks, several times faster than ``bulk_create`` for the
    millions of rows of --scale 100. Elsewhere (the SQLite test runs):
    ``bulk_create``. Values are written as given: field defaults and
    ``auto_now`` are not applied on PostgreSQL, so pass every column that may
    not be null (None is NULL; text columns that may not be null read an empty
    value as ""). With ``with_ids`` the primary keys are taken from the
    table's sequence first and returned, in order.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row))) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return [obj.pk for obj in objects] if with_ids else []
    fields = {f.attname: f for f in model._meta.concrete_fields}
    ids = []
    if with_ids:
        ids = reserve_ids(model, len(rows))
        columns = (model._meta.pk.attname, *columns)
    quote = connection.ops.quote_name
    not_null = [quote(fields[name].column) for name in columns
                if not fields[name].null and fields[name].get_internal_type() in _TEXT_FIELDS]
    sql = "COPY {} ({}) FROM STDIN WITH (FORMAT csv{})".format(
        quote(model._meta.db_table), ", ".join(quote(fields[name].column) for name in columns),
        f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else "",
    )
    # csv writes str() of each value: right for numbers, dates, datetimes (ISO 8601 with the
    # offset), UUIDs, decimals and booleans ("True"); JSON needs encoding first.
    json_columns = [index for index, name in enumerate(columns) if fields[name].get_internal_type() == "JSONField"]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COPY_CHUNK):
            chunk = rows[start:start + COPY_CHUNK]
            if with_ids:
                chunk = [(pk, *row) for pk, row in zip(ids[start:start + COPY_CHUNK], chunk)]
            if json_columns:
                chunk = [_json_encoded(row, json_columns) for row in chunk]
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(chunk)
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
    # COPY goes around the cursor wrappers that see every other write: pages kept from the table go stale here.
    tables_written(connection, [model._meta.db_table])
    return ids


_TEXT_FIELDS = ("CharField", "TextField", "EmailField", "URLField", "SlugField", "FileField")


def _json_encoded(row, indexes):
    row = list(row)
    for index in indexes:
        if row[index] is not None:
            row[index] = json.dumps(row[index])
    return row


def reserve_ids(model, count):
    """``count`` consecutive primary keys taken from the table's sequence (PostgreSQL), or None elsewhere."""
    if connection.vendor != "postgresql" or count < 1:
        return None
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # One block of the sequence; until the transaction ends nobody else inserts (and takes
        # a key of the block from under it): the lock waits for, and then holds off, other writers.
        cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            "SELECT setval(seq, nextval(seq) + %s - 1) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass seq) s",
            [count, table, model._meta.pk.column],
        )
        (last,) = cursor.fetchone()
    return list(range(last - count + 1, last + 1))


def fast_writes():
    """In a seeding transaction: commit without waiting for the disk (PostgreSQL).

    Demo data only: a crash could lose the last transactions, never leave half of
    one, and running the command again adds what is missing.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def analyze(*models):
    """Fresh planner statistics after a bulk load (PostgreSQL; autovacuum would get there later)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
