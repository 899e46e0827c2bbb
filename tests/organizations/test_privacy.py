"""Personal data (UU 27/2022): export everything about one person, anonymise them without losing history."""

import datetime
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from meetings import selectors as meeting_selectors
from meetings.models import CalendarFeed, Invitation, Notification, Reminder
from organizations import privacy
from organizations.models import Membership, Person
from tests import factories

CHANGELIST = reverse("admin:organizations_person_changelist")
NAME, EMAIL, PHONE = "Siti Aminah", "ketua.a@example.org", "081299887766"


def today():
    return timezone.localdate()


@pytest.fixture
def subject(world, officer_a, staff):
    """Siti (officer_a): Ketua of LPM A now, Sekretaris of LPM A2 before, invited to a held meeting, and more."""
    person = officer_a.person
    person.phone = PHONE
    person.save()
    user = officer_a
    user.first_name, user.last_name = "Siti", "Aminah"
    user.save()
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "rahasia-totp"})
    feed = CalendarFeed.objects.create(user=user)
    Notification.objects.create(user=user, text="Undangan: Rakor LPM", url="/rapat/1/")

    past = Membership.objects.create(
        person=person, board=world["board_a2"], position=Membership.Position.SEKRETARIS,
        start_date=today() - datetime.timedelta(days=3000), end_date=today() - datetime.timedelta(days=1200),
        sk_number="SK-LAMA",
    )
    past.sk_number = "SK-LAMA-REV"
    past.save()  # a second history record

    held = factories.MeetingFactory(
        organiser=staff, title="Rakor LPM Triwulan I",
        start=timezone.now() - datetime.timedelta(days=10), end=timezone.now() - datetime.timedelta(days=10, hours=-2),
    )
    own = factories.InvitationFactory(
        meeting=held, person=person, board=world["board_a"], board_name="LPM Kelurahan A1", position="Ketua",
        rsvp=Invitation.Rsvp.DELEGATED, delegate_name="Bambang Prasetyo", delegate_email="wakil@example.org",
        attendance=Invitation.Attendance.PRESENT,
    )
    other = factories.InvitationFactory(meeting=held, attendance=Invitation.Attendance.PRESENT)
    factories.InvitationFactory(meeting=held, attendance=Invitation.Attendance.ABSENT)
    # As a guest by e-mail at another meeting, and named as someone else's delegate.
    guest = factories.InvitationFactory(meeting=factories.MeetingFactory(organiser=staff), person=None,
                                        name="Ibu Siti", email=EMAIL.upper(), is_guest=True)
    other.rsvp, other.delegate_name, other.delegate_email = Invitation.Rsvp.DELEGATED, NAME, EMAIL
    other.save()

    sent = Reminder.objects.create(
        meeting=held, invitation=own, kind=Reminder.Kind.INVITATION, slot="invite",
        due_at=timezone.now() - datetime.timedelta(days=20), status=Reminder.Status.SENT,
        sent_at=timezone.now() - datetime.timedelta(days=20), recipients=EMAIL,
    )
    waiting = Reminder.objects.create(
        meeting=guest.meeting, invitation=guest, kind=Reminder.Kind.REMINDER, slot="h-1",
        due_at=timezone.now() + datetime.timedelta(days=5),
    )
    failed = Reminder.objects.create(
        meeting=held, kind=Reminder.Kind.ORGANISER, slot="organiser", due_at=timezone.now(),
        status=Reminder.Status.FAILED, recipients=f"staf@example.org, {EMAIL}",
        last_error=f"550 mailbox unavailable: <{EMAIL}>",
    )
    LogEntry.objects.create(user=staff, content_type=ContentType.objects.get_for_model(Person),
                            object_id=str(person.pk), object_repr=NAME, action_flag=CHANGE, change_message="[]")
    active = person.memberships.get(board=world["board_a"])
    return {
        "person": person, "user": user, "feed": feed, "past": past, "active": active,
        "held": held, "own": own, "other": other, "guest": guest, "sent": sent, "waiting": waiting, "failed": failed,
    }


# --- export -----------------------------------------------------------------------------------------


def test_export_holds_everything_about_the_person(subject):
    person = subject["person"]
    data = privacy.person_export(person)

    assert data["person"] == {"id": person.pk, "name": NAME, "gender": "Perempuan", "phone": PHONE,
                              "email": EMAIL, "language": "id"}

    account = data["account"]
    assert account["username"] == EMAIL and account["email"] == EMAIL
    assert (account["first_name"], account["last_name"]) == ("Siti", "Aminah")
    assert account["email_addresses"] == [{"email": EMAIL, "verified": True, "primary": True}]
    assert account["second_factors"] == ["totp"]
    assert "password" not in account

    memberships = {m["id"]: m for m in data["memberships"]}
    assert set(memberships) == {subject["past"].pk, subject["active"].pk}
    past = memberships[subject["past"].pk]
    assert (past["board"], past["position"], past["sk_number"]) == ("LPM Kelurahan A2", "Sekretaris", "SK-LAMA-REV")
    assert [h["sk_number"] for h in past["history"]] == ["SK-LAMA", "SK-LAMA-REV"]
    assert [h["change"] for h in past["history"]] == ["dibuat", "diubah"]
    assert memberships[subject["active"].pk]["position"] == "Ketua"

    invitations = {i["meeting"]: i for i in data["meeting_invitations"]}
    assert set(invitations) == {"Rakor LPM Triwulan I", subject["guest"].meeting.title}
    own = invitations["Rakor LPM Triwulan I"]
    assert (own["rsvp"], own["attendance"]) == ("Diwakilkan", "Hadir")
    assert (own["delegate_name"], own["delegate_email"]) == ("Bambang Prasetyo", "wakil@example.org")
    assert [(e["slot"], e["recipients"]) for e in own["emails"]] == [("invite", EMAIL)]
    assert invitations[subject["guest"].meeting.title]["is_guest"] is True

    assert [d["on_behalf_of"] for d in data["delegated_to_me"]] == [subject["other"].name]
    assert [n["text"] for n in data["notifications"]] == ["Undangan: Rakor LPM"]
    assert data["calendar_feed"]["exists"] is True


def test_export_leaves_out_secrets(subject):
    text = privacy.person_export_json(subject["person"])
    json.loads(text)  # valid JSON
    assert subject["user"].password not in text
    assert subject["feed"].token not in text
    assert subject["own"].token not in text
    assert "rahasia-totp" not in text


def test_export_of_a_person_without_account(world):
    person = factories.PersonFactory(name="Tanpa Akun")
    data = privacy.person_export(person)
    assert data["account"] is None and data["notifications"] == [] and data["calendar_feed"] == {"exists": False}
    assert data["memberships"] == [] and data["meeting_invitations"] == []


def test_another_app_adds_its_section_with_one_function(subject, monkeypatch):
    monkeypatch.setattr(privacy, "_collectors", dict(privacy._collectors))
    privacy.register_collector("contoh_lain")(lambda person: [{"judul": f"Usulan {person.pk}"}])
    assert privacy.person_export(subject["person"])["contoh_lain"] == [{"judul": f"Usulan {subject['person'].pk}"}]


# --- anonymise -----------------------------------------------------------------------------------------


def every_stored_value():
    """Each row of every table, as text: to find a name or address wherever it is left."""
    for model in apps.get_models(include_auto_created=True):
        for row in model._base_manager.values_list():
            yield model._meta.label, " ".join(str(value) for value in row)


def test_anonymise_removes_name_and_contacts_everywhere(subject, admin_user):
    person = privacy.person_anonymise(person=subject["person"], by=admin_user)
    label = f"Anonim #{person.pk}"

    person.refresh_from_db()
    assert (person.name, person.phone, person.email) == (label, "", "")

    user = get_user_model().objects.get(pk=subject["user"].pk)
    assert user.username == f"anonim-{user.pk}" and user.email == ""
    assert (user.first_name, user.last_name) == ("", "")
    assert not user.is_active and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert not CalendarFeed.objects.filter(user=user).exists()

    own, guest, other = (Invitation.objects.get(pk=subject[k].pk) for k in ("own", "guest", "other"))
    assert (own.name, own.email) == (label, "")
    assert (guest.name, guest.email) == (label, "")
    assert (other.delegate_name, other.delegate_email) == (label, "")
    assert Reminder.objects.get(pk=subject["sent"].pk).recipients == ""
    failed = Reminder.objects.get(pk=subject["failed"].pk)
    assert failed.recipients == "staf@example.org" and EMAIL not in failed.last_error
    assert Reminder.objects.get(pk=subject["waiting"].pk).status == Reminder.Status.CANCELLED

    leftovers = [(table, row) for table, row in every_stored_value()
                 if any(secret.lower() in row.lower() for secret in (NAME, EMAIL, PHONE, "Siti"))]
    assert not leftovers, leftovers


def test_anonymise_keeps_history_and_counts(subject, admin_user):
    person, held = subject["person"], subject["held"]
    summary_before = meeting_selectors.attendance_summary(held)
    invitations_before = Invitation.objects.filter(person=person).count()
    history_before = Membership.history.filter(person_id=person.pk).count()

    privacy.person_anonymise(person=person, by=admin_user)

    assert meeting_selectors.attendance_summary(held) == summary_before
    assert summary_before.present == 2
    assert Invitation.objects.filter(person=person).count() == invitations_before == 1
    own = Invitation.objects.get(pk=subject["own"].pk)
    assert (own.attendance, own.rsvp, own.board_id) == (Invitation.Attendance.PRESENT, Invitation.Rsvp.DELEGATED,
                                                        subject["own"].board_id)
    # Both memberships are still there; the one still running ends today.
    assert set(person.memberships.values_list("pk", flat=True)) == {subject["past"].pk, subject["active"].pk}
    assert Membership.objects.get(pk=subject["active"].pk).end_date == today()
    assert Membership.objects.get(pk=subject["past"].pk).end_date == subject["past"].end_date
    assert not Membership.objects.active(today() + datetime.timedelta(days=1)).filter(person=person).exists()
    assert Membership.history.filter(person_id=person.pk).count() == history_before + 1
    assert Membership.history.filter(person_id=person.pk).latest("history_date").history_user == admin_user


def test_anonymise_removes_a_membership_that_has_not_started(world, admin_user):
    person = factories.PersonFactory()
    future = factories.MembershipFactory(person=person, board=world["board_b"], start_date=today(),
                                         end_date=today() + datetime.timedelta(days=100))
    privacy.person_anonymise(person=person, by=admin_user)
    assert not Membership.objects.filter(pk=future.pk).exists()
    assert Membership.history.filter(id=future.pk, history_type="-").exists()


def test_anonymise_is_all_or_nothing(subject, admin_user, monkeypatch):
    def broken(person, subject_):
        raise RuntimeError("boom")

    monkeypatch.setattr(privacy, "_anonymisers", [*privacy._anonymisers, broken])
    with pytest.raises(RuntimeError):
        privacy.person_anonymise(person=subject["person"], by=admin_user)
    assert Person.objects.get(pk=subject["person"].pk).name == NAME
    assert get_user_model().objects.get(pk=subject["user"].pk).is_active
    assert Invitation.objects.get(pk=subject["own"].pk).name == NAME


@pytest.mark.parametrize("persona", ["staff", "officer_a"])
def test_only_an_admin_may_anonymise(subject, request, persona):
    with pytest.raises(PermissionDenied):
        privacy.person_anonymise(person=subject["person"], by=request.getfixturevalue(persona))
    assert Person.objects.get(pk=subject["person"].pk).name == NAME


def test_an_admin_cannot_anonymise_themselves(world, admin_user):
    person = factories.PersonFactory(user=admin_user)
    with pytest.raises(ValidationError, match="diri sendiri"):
        privacy.person_anonymise(person=person, by=admin_user)
    assert Person.objects.get(pk=person.pk).name == person.name


# --- the admin -------------------------------------------------------------------------------------


def action(client, name, person, **extra):
    return client.post(CHANGELIST, {"action": name, "_selected_action": [person.pk], "index": 0, **extra})


def test_admin_downloads_the_export_of_one_person(client, admin_user, subject):
    client.force_login(admin_user)
    response = action(client, "export_personal_data", subject["person"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="data-pribadi-{subject["person"].pk}.json"'
    assert json.loads(response.content)["person"]["name"] == NAME


def test_export_needs_exactly_one_person(client, admin_user, subject):
    client.force_login(admin_user)
    other = factories.PersonFactory()
    response = client.post(CHANGELIST, {"action": "export_personal_data", "index": 0,
                                        "_selected_action": [subject["person"].pk, other.pk]}, follow=True)
    assert "Pilih tepat satu orang" in response.content.decode()


def test_admin_anonymises_after_confirming(client, admin_user, subject):
    client.force_login(admin_user)
    person = subject["person"]
    confirm = action(client, "anonymise", person)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert NAME in html and f"Anonim #{person.pk}" in html and 'name="confirm" value="yes"' in html
    assert Person.objects.get(pk=person.pk).name == NAME  # nothing changed yet

    done = client.post(CHANGELIST, {"action": "anonymise", "_selected_action": [person.pk], "confirm": "yes"},
                       follow=True)
    assert "telah dianonimkan" in done.content.decode()
    assert Person.objects.get(pk=person.pk).name == f"Anonim #{person.pk}"
    assert LogEntry.objects.filter(object_id=str(person.pk), user=admin_user).exists()


@pytest.mark.parametrize("name", ["export_personal_data", "anonymise"])
def test_staff_cannot_use_the_privacy_actions(client, staff, subject, name):
    client.force_login(staff)
    changelist = client.get(CHANGELIST)
    assert changelist.status_code == 200  # staff may read people
    assert f'value="{name}"' not in changelist.content.decode()
    response = client.post(CHANGELIST, {"action": name, "_selected_action": [subject["person"].pk], "index": 0,
                                        "confirm": "yes"})
    assert response.status_code == 302  # "no action selected": back to the list
    assert "Content-Disposition" not in response
    assert Person.objects.get(pk=subject["person"].pk).name == NAME


def test_officer_cannot_reach_the_privacy_actions(client, officer_a, subject):
    client.force_login(officer_a)
    response = action(client, "export_personal_data", subject["person"])
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Person.objects.get(pk=subject["person"].pk).name == NAME
