import datetime

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from organizations.models import Board, Membership, Person, Region

PASSWORD = "rahasia-uji-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.LazyAttribute(lambda u: u.username)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def staff_office(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=settings.STAFF_GROUP_NAME))


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    level = Region.Level.KELURAHAN
    code = factory.Sequence(lambda n: f"99.99.{n // 1000 + 1:02d}.{1000 + n % 1000}")
    name = factory.Sequence(lambda n: f"Kelurahan Uji {n}")


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Board

    kind = Board.Kind.LPM
    region = factory.SubFactory(RegionFactory)
    name = factory.LazyAttribute(lambda b: f"LPM {b.region.name}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Warga Uji {n}")
    gender = Person.Gender.FEMALE
    phone = factory.Sequence(lambda n: f"0812{n:08d}")
    email = factory.Sequence(lambda n: f"warga{n}@example.org")


def _term_start():
    return timezone.localdate() - datetime.timedelta(days=365)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    board = factory.SubFactory(BoardFactory)
    position = Membership.Position.ANGGOTA
    start_date = factory.LazyFunction(_term_start)
    end_date = factory.LazyAttribute(
        lambda m: m.start_date.replace(year=m.start_date.year + 5) - datetime.timedelta(days=1)
    )


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "meetings.Meeting"

    kind = "rakor"
    title = factory.Sequence(lambda n: f"Rapat Koordinasi LPM {n}")
    organiser = factory.SubFactory(UserFactory, is_staff=True, staff_office=True)
    start = factory.LazyFunction(
        lambda: (timezone.localtime() + datetime.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    )
    end = factory.LazyAttribute(lambda m: m.start + datetime.timedelta(hours=3))
    venue = "Aula DP3AKB Kota Balikpapan"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "meetings.Invitation"

    meeting = factory.SubFactory(MeetingFactory)
    person = factory.SubFactory(PersonFactory)
    name = factory.LazyAttribute(lambda i: i.person.name if i.person else "Tamu")
    email = factory.LazyAttribute(lambda i: i.person.email if i.person else "")
    board_name = "LPM Kelurahan Uji"
    position = "Ketua"


def _month(offset=0):
    today = timezone.localdate().replace(day=1)
    month = today.month - 1 + offset
    return today.replace(year=today.year + month // 12, month=month % 12 + 1)


class CycleFactory(factory.django.DjangoModelFactory):
    """A cycle whose submission window is open today."""

    class Meta:
        model = "programs.Cycle"

    name = factory.Sequence(lambda n: f"Usulan Program {2027 + n}")
    # The budget year after the window, whatever the sequence has reached in a long run.
    year = factory.LazyAttribute(lambda cycle: cycle.opens_on.year + 1)
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=20))


class ProposalFactory(factory.django.DjangoModelFactory):
    """A draft with one budget line of Rp1.250.000 (use ``lines=`` for others, ``status=`` to place it)."""

    class Meta:
        model = "programs.Proposal"
        skip_postgeneration_save = True

    board = factory.SubFactory(BoardFactory)
    cycle = factory.SubFactory(CycleFactory)
    category = factory.LazyFunction(lambda: __import__("programs.models").models.Category.objects.order_by("pk")[0])
    title = factory.Sequence(lambda n: f"Pelatihan Kader Posyandu {n}")
    background = "Banyak kader posyandu belum pernah mendapat pelatihan."
    goals = "Kader mampu menimbang dan mencatat tumbuh kembang balita."
    location_rt_rw = "RT 05/RW 02"
    location = "Balai pertemuan kelurahan"
    beneficiary_count = 40
    beneficiary_groups = factory.LazyFunction(lambda: ["perempuan", "anak"])
    start_month = factory.LazyFunction(lambda: _month(2))
    end_month = factory.LazyFunction(lambda: _month(4))
    priority = 1

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if not create:
            return
        from programs.models import BudgetLine

        lines = extracted if extracted is not None else [("Konsumsi peserta", 50, "kotak", 25_000)]
        for position, (item, volume, unit, cost) in enumerate(lines):
            BudgetLine.objects.create(proposal=self, position=position, item=item, volume=volume, unit=unit,
                                      unit_cost=cost, subtotal=int(volume * cost))
        self.total_requested = sum(int(volume * cost) for _i, volume, _u, cost in lines)
        self.save(update_fields=["total_requested"])
