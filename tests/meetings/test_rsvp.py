"""Answering an invitation (RSVP) in the portal and by the e-mail link, and the staff RSVP table."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Invitation, Meeting
from tests.factories import InvitationFactory, PersonFactory
from tests.helpers import assert_no_inline_code


def token_url(invitation, query=""):
    return reverse("meetings:rsvp_token", args=[invitation.token]) + query


def portal_url(meeting):
    return reverse("meetings:rsvp", args=[meeting.pk])


def table_url(meeting):
    return reverse("meetings:rsvp_table", args=[meeting.pk])


def export_url(meeting, fmt):
    return reverse("meetings:rsvp_export", args=[meeting.pk, fmt])


def start_meeting(meeting):
    """The meeting started an hour ago (a direct UPDATE: no service lets a start move into the past)."""
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(start=now - datetime.timedelta(hours=1),
                                                 end=now + datetime.timedelta(hours=2))


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- by the link, without logging in ----------------------------------------------------------


def test_it_shows_the_meeting_in_wita_and_the_answer_buttons_without_login(client, invitation_a):
    meeting = invitation_a.meeting
    services.agenda_replace(meeting=meeting, items=[{"title": "Evaluasi program triwulan", "presenter": "DP3AKB"}])

    response = client.get(token_url(invitation_a))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Rakor LPM Triwulan IV" in body
    assert "pukul 09.00–12.00 WITA" in body
    assert "Aula DP3AKB Kota Balikpapan" in body
    assert "Evaluasi program triwulan" in body
    assert "Siti Aminah" in body
    assert 'value="hadir"' in body and 'value="tidak"' in body and 'value="wakil"' in body
    assert "csrfmiddlewaretoken" in body
    assert "csrftoken" in response.cookies
    assert "noindex" in body
    assert "no-store" in response["Cache-Control"]
    assert_no_inline_code(body)


@pytest.mark.parametrize("jawab,answer", [("hadir", "hadir"), ("tidak", "tidak")])
def test_it_preselects_the_answer_from_the_email_link_but_records_nothing_on_get(client, invitation_a, jawab,
                                                                                   answer):
    response = client.get(token_url(invitation_a, f"?jawab={jawab}"))

    assert response.status_code == 200
    assert response.context["suggested"] == answer
    assert "is-suggested" in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING
    assert invitation_a.responded_at is None


def test_it_opens_the_delegate_form_from_the_email_link(client, invitation_a):
    response = client.get(token_url(invitation_a, "?jawab=wakil"))
    assert 'class="rsvp-delegate" open' in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_it_ignores_an_unknown_preselection(client, invitation_a):
    response = client.get(token_url(invitation_a, "?jawab=%3Cscript%3E"))
    assert response.status_code == 200
    assert response.context["suggested"] == ""
    assert "<script>" not in response.content.decode()


def test_it_accepts_by_link(client, invitation_a):
    response = client.post(token_url(invitation_a), {"answer": "hadir"})

    assert response.status_code == 302
    assert response["Location"] == token_url(invitation_a)
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.ACCEPTED
    assert invitation_a.responded_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "Jawaban Anda tercatat: Hadir" in page


def test_it_declines_by_link(client, invitation_a):
    client.post(token_url(invitation_a), {"answer": "tidak"})
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.DECLINED


def test_it_records_a_delegate_with_name_and_email(client, invitation_a):
    response = client.post(token_url(invitation_a), {
        "answer": "wakil", "delegate_name": "  Andi   Wijaya ", "delegate_email": "Andi@Example.org",
    })

    assert response.status_code == 302
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.DELEGATED
    assert invitation_a.delegate_name == "Andi Wijaya"
    assert invitation_a.delegate_email == "andi@example.org"


def test_it_records_a_delegate_without_email(client, invitation_a):
    client.post(token_url(invitation_a), {"answer": "wakil", "delegate_name": "Andi Wijaya", "delegate_email": ""})
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.DELEGATED
    assert invitation_a.delegate_email == ""


def test_it_asks_for_the_delegates_name_and_saves_nothing(client, invitation_a):
    response = client.post(token_url(invitation_a), {"answer": "wakil", "delegate_name": "  "})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Tuliskan nama yang mewakili Anda." in body
    assert 'aria-invalid="true"' in body
    # The delegate form stays open, next to its error.
    assert 'class="rsvp-delegate" open' in body
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_it_refuses_a_malformed_delegate_email(client, invitation_a):
    response = client.post(token_url(invitation_a), {
        "answer": "wakil", "delegate_name": "Andi", "delegate_email": "bukan-email",
    })
    assert response.status_code == 200
    assert "alamat e-mail yang benar" in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_it_refuses_an_unknown_answer(client, invitation_a):
    response = client.post(token_url(invitation_a), {"answer": "mungkin"})
    assert response.status_code == 200
    assert "Pilih salah satu jawaban." in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_it_lets_the_invitee_change_the_answer_until_the_start(client, invitation_a):
    client.post(token_url(invitation_a), {"answer": "wakil", "delegate_name": "Andi Wijaya"})
    client.post(token_url(invitation_a), {"answer": "hadir"})

    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.ACCEPTED
    assert invitation_a.delegate_name == ""
    body = client.get(token_url(invitation_a)).content.decode()
    assert "Jawaban Anda saat ini:" in body and "Hadir" in body


def test_it_shows_the_meeting_and_closes_answers_once_it_started(client, invitation_a):
    client.post(token_url(invitation_a), {"answer": "hadir"})
    start_meeting(invitation_a.meeting)

    response = client.get(token_url(invitation_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Jawaban sudah ditutup" in body
    assert "Rakor LPM Triwulan IV" in body
    assert 'name="answer"' not in body

    response = client.post(token_url(invitation_a), {"answer": "tidak"})
    assert response.status_code == 200
    assert "Jawaban sudah ditutup" in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.ACCEPTED


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character changed
    lambda t: t[:-3],  # cut short when copied
    lambda t: t + "x",
    lambda t: "x" * 64,
    lambda t: "x" * 300,
    lambda t: "%C3%A9" * 30,  # non-ASCII
    lambda t: t[:30] + "%27%22%3C%3E%3B",  # quotes and brackets
])
def test_it_answers_a_tampered_link_with_a_friendly_404(client, invitation_a, mangle):
    url = reverse("meetings:rsvp_token", args=["PLACEHOLDER"]).replace("PLACEHOLDER", mangle(invitation_a.token))

    for response in [client.get(url), client.post(url, {"answer": "tidak"})]:
        assert response.status_code == 404
        assert "Tautan jawaban tidak dikenal" in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_a_link_for_another_invitation_changes_only_that_one(client, invitation_a, meeting):
    other = InvitationFactory(meeting=meeting, person=PersonFactory(name="Dewi Lestari"))

    response = client.post(token_url(other), {"answer": "tidak", "invitation": invitation_a.pk,
                                               "token": invitation_a.token})

    assert response.status_code == 302
    other.refresh_from_db()
    invitation_a.refresh_from_db()
    assert other.rsvp == Invitation.Rsvp.DECLINED
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING
    # The other invitee's page names the other invitee only.
    body = client.get(token_url(other)).content.decode()
    assert "Dewi Lestari" in body and "Siti Aminah" not in body


def test_the_link_of_a_cancelled_meeting_says_so(client, invitation_a, staff):
    services.meeting_cancel(meeting=invitation_a.meeting, by=staff, reason="Bertepatan dengan kunjungan Wali Kota")

    response = client.get(token_url(invitation_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rapat dibatalkan" in body
    assert "Bertepatan dengan kunjungan Wali Kota" in body
    assert 'name="answer"' not in body

    response = client.post(token_url(invitation_a), {"answer": "hadir"})
    assert response.status_code == 200
    assert "Rapat dibatalkan" in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_the_link_post_is_csrf_protected(invitation_a):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(token_url(invitation_a), {"answer": "hadir"})
    assert response.status_code == 403
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING

    page = browser.get(token_url(invitation_a))
    token = page.cookies["csrftoken"].value
    response = browser.post(token_url(invitation_a), {"answer": "hadir", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.ACCEPTED


def test_the_link_needs_no_login_and_ignores_who_is_logged_in(client, invitation_a, officer_b):
    client.force_login(officer_b)
    response = client.post(token_url(invitation_a), {"answer": "hadir"})
    assert response.status_code == 302
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.ACCEPTED


def test_the_link_allows_only_get_and_post(client, invitation_a):
    assert client.put(token_url(invitation_a)).status_code == 405


def test_the_link_page_costs_the_same_queries_every_time(client, invitation_a, django_assert_num_queries):
    """The token page reads the invitation with its meeting, and the agenda: no more."""
    # invitation + meeting (one join), agenda items
    with django_assert_num_queries(2):
        client.get(token_url(invitation_a))


# --- in the portal -----------------------------------------------------------------------------


def test_portal_sends_anonymous_users_to_login(client, invitation_a):
    assert_login_redirect(client.post(portal_url(invitation_a.meeting), {"answer": "hadir"}))


def test_portal_lets_the_invitee_answer(client, officer_a, invitation_a):
    client.force_login(officer_a)
    response = client.post(portal_url(invitation_a.meeting), {"answer": "hadir"})

    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[invitation_a.meeting.pk])
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.ACCEPTED


def test_portal_delegate_needs_a_name_and_saves_nothing(client, officer_a, invitation_a):
    client.force_login(officer_a)
    response = client.post(portal_url(invitation_a.meeting), {"answer": "wakil", "delegate_name": ""})

    assert response.status_code == 200
    assert "Tuliskan nama yang mewakili Anda." in response.content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING

    client.post(portal_url(invitation_a.meeting), {"answer": "wakil", "delegate_name": "Andi Wijaya"})
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.DELEGATED


def test_portal_gives_a_non_invited_officer_404(client, officer_b, invitation_a):
    client.force_login(officer_b)
    assert client.post(portal_url(invitation_a.meeting), {"answer": "tidak"}).status_code == 404
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_portal_gives_staff_403_since_they_have_no_invitation(client, staff, invitation_a):
    client.force_login(staff)
    assert client.post(portal_url(invitation_a.meeting), {"answer": "tidak"}).status_code == 403
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_portal_only_takes_posts(client, officer_a, invitation_a):
    client.force_login(officer_a)
    assert client.get(portal_url(invitation_a.meeting)).status_code == 405


def test_portal_refuses_answers_after_the_start(client, officer_a, invitation_a):
    start_meeting(invitation_a.meeting)
    client.force_login(officer_a)

    response = client.post(portal_url(invitation_a.meeting), {"answer": "hadir"})

    assert response.status_code == 302
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def test_portal_refuses_answers_for_a_cancelled_meeting(client, officer_a, invitation_a, staff):
    services.meeting_cancel(meeting=invitation_a.meeting, by=staff, reason="Banjir")
    client.force_login(officer_a)
    response = client.post(portal_url(invitation_a.meeting), {"answer": "hadir"})
    assert response.status_code == 302
    invitation_a.refresh_from_db()
    assert invitation_a.rsvp == Invitation.Rsvp.PENDING


def _detail_block(meeting, my_invitation, **extra):
    return render_to_string("meetings/_detail_rsvp.html", {
        "meeting": meeting, "my_invitation": my_invitation, "can_manage": False, **extra,
    })


def test_the_meeting_page_block_shows_the_invitee_their_answer_and_form(invitation_a):
    invitation_a.rsvp = Invitation.Rsvp.DELEGATED
    invitation_a.delegate_name = "Andi Wijaya"
    invitation_a.responded_at = timezone.now()
    invitation_a.save()

    html = _detail_block(invitation_a.meeting, invitation_a, form="a form of another page")

    assert f'action="{portal_url(invitation_a.meeting)}"' in html
    assert "Diwakilkan" in html and "Andi Wijaya" in html
    assert reverse("meetings:ics", args=[invitation_a.meeting.pk]) in html
    assert_no_inline_code(html)


def test_the_meeting_page_block_is_empty_for_non_invitees(meeting):
    assert _detail_block(meeting, None).strip() == ""


def test_the_meeting_page_block_says_answers_are_closed(invitation_a):
    start_meeting(invitation_a.meeting)
    meeting = Meeting.objects.get(pk=invitation_a.meeting.pk)
    html = _detail_block(meeting, invitation_a)
    assert "Jawaban sudah ditutup" in html
    assert 'name="answer"' not in html


# --- the staff table and its export ------------------------------------------------------------------


@pytest.fixture
def answered(meeting):
    """Six invitations in two kecamatan and three boards, with every kind of answer, and a walk-in."""
    rows = [
        ("Kecamatan A", "LPM Kelurahan A1", Invitation.Rsvp.ACCEPTED),
        ("Kecamatan A", "LPM Kelurahan A1", Invitation.Rsvp.DECLINED),
        ("Kecamatan A", "LPM Kelurahan A2", Invitation.Rsvp.DELEGATED),
        ("Kecamatan B", "LPM Kelurahan B1", Invitation.Rsvp.ACCEPTED),
        ("Kecamatan B", "LPM Kelurahan B1", Invitation.Rsvp.PENDING),
        ("", "", Invitation.Rsvp.PENDING),
    ]
    for kecamatan, board, rsvp in rows:
        InvitationFactory(
            meeting=meeting, kecamatan_name=kecamatan, board_name=board, rsvp=rsvp, is_guest=not board,
            delegate_name="Andi Wijaya" if rsvp == Invitation.Rsvp.DELEGATED else "",
            responded_at=None if rsvp == Invitation.Rsvp.PENDING else timezone.now(),
        )
    services.attendance_add_walk_in(meeting=meeting, name="Peserta Tanpa Undangan")
    return meeting


def test_rsvp_table_permissions(client, officer_a, officer_b, staff, invitation_a):
    meeting = invitation_a.meeting
    for url in [table_url(meeting), export_url(meeting, "csv"), export_url(meeting, "xlsx")]:
        client.logout()
        assert_login_redirect(client.get(url))
        client.force_login(officer_a)
        assert client.get(url).status_code == 403
        client.force_login(officer_b)
        assert client.get(url).status_code == 404
        client.force_login(staff)
        assert client.get(url).status_code == 200


def test_rsvp_table_counts_per_kecamatan_board_and_overall(client, staff, answered):
    client.force_login(staff)
    response = client.get(table_url(answered))

    assert response.status_code == 200
    summary = response.context["summary"]
    overall = summary.overall
    assert (overall.accepted, overall.declined, overall.delegated, overall.pending, overall.total) == (2, 1, 1, 2, 6)
    by_kecamatan = {t.name: (t.accepted, t.declined, t.delegated, t.pending) for t in summary.by_kecamatan}
    assert by_kecamatan["Kecamatan A"] == (1, 1, 1, 0)
    assert by_kecamatan["Kecamatan B"] == (1, 0, 0, 1)
    by_board = {t.name: (t.accepted, t.declined, t.delegated, t.pending, t.total) for t in summary.by_board}
    assert by_board["LPM Kelurahan A1"] == (1, 1, 0, 0, 2)
    assert by_board["LPM Kelurahan A2"] == (0, 0, 1, 0, 1)
    assert by_board["LPM Kelurahan B1"] == (1, 0, 0, 1, 2)
    body = response.content.decode()
    assert "Peserta Tanpa Undangan" not in body
    assert "Andi Wijaya" in body


def test_rsvp_table_filters_by_answer(client, staff, answered):
    client.force_login(staff)
    response = client.get(table_url(answered) + "?jawaban=pending")
    assert {i.rsvp for i in response.context["invitations"]} == {Invitation.Rsvp.PENDING}
    assert response.context["summary"].overall.total == 6
    response = client.get(table_url(answered) + "?jawaban=bogus")
    assert len(response.context["invitations"]) == 6


@pytest.mark.parametrize("invitees", [10, 300])
def test_rsvp_table_query_count_does_not_grow_with_invitees(client, staff, meeting, invitees,
                                                           django_assert_num_queries):
    """Prevents an N+1 on boards or people: the table reads only the invitation snapshots."""
    InvitationFactory.create_batch(invitees, meeting=meeting, person=None, name="Tamu", board_name="LPM X",
                                   kecamatan_name="Kecamatan A")
    client.force_login(staff)
    # session, user, staff group, user's memberships, meeting, invitations, the unread-notices count in the header
    with django_assert_num_queries(7):
        response = client.get(table_url(meeting))
    assert response.context["summary"].overall.total == invitees


@pytest.mark.parametrize("invitees", [10, 300])
def test_rsvp_export_query_count_does_not_grow_with_invitees(client, staff, meeting, invitees,
                                                            django_assert_num_queries):
    InvitationFactory.create_batch(invitees, meeting=meeting, person=None, name="Tamu")
    client.force_login(staff)
    with django_assert_num_queries(6):
        client.get(export_url(meeting, "xlsx"))


def _csv_rows(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_rsvp_export_csv_has_indonesian_headers_and_every_invitee(client, staff, answered):
    client.force_login(staff)
    response = client.get(export_url(answered, "csv"))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(response)
    assert rows[0] == ["No.", "Nama", "Lembaga", "Kecamatan", "Jabatan", "Jawaban", "Nama wakil", "E-mail wakil",
                       "Waktu menjawab (WITA)"]
    assert len(rows) == 1 + 6
    answers = sorted(row[5] for row in rows[1:])
    assert answers == sorted(["Hadir", "Hadir", "Tidak hadir", "Diwakilkan", "Belum menjawab", "Belum menjawab"])
    delegated = next(row for row in rows[1:] if row[5] == "Diwakilkan")
    assert delegated[6] == "Andi Wijaya"


DANGEROUS = ['=HYPERLINK("http://contoh.id","klik")', "+628123456", "-2+3", "@SUM(A1)"]


@pytest.fixture
def dangerous(meeting):
    for index, text in enumerate(DANGEROUS):
        InvitationFactory(meeting=meeting, person=None, name=text, board_name="LPM A", position="Ketua",
                          email=f"tamu{index}@example.org")
    return meeting


def test_rsvp_export_csv_escapes_formulae(client, staff, dangerous):
    client.force_login(staff)
    rows = _csv_rows(client.get(export_url(dangerous, "csv")))
    names = {row[1] for row in rows[1:]}
    assert names == {"'" + text for text in DANGEROUS}


def test_rsvp_export_xlsx_reads_back_with_formulae_kept_as_text(client, staff, answered, dangerous):
    client.force_login(staff)
    response = client.get(export_url(dangerous, "xlsx"))

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="jawaban-rapat-{dangerous.pk}.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]][:6] == ["No.", "Nama", "Lembaga", "Kecamatan", "Jabatan", "Jawaban"]
    assert len(rows) == 1 + 6 + len(DANGEROUS)
    by_name = {row[1].value: row for row in rows[1:]}
    for text in DANGEROUS:
        cell = by_name[text][1]
        # Stored as text, never as a formula, and marked with Excel's apostrophe.
        assert cell.data_type == "s"
        assert cell.quotePrefix
    answered_row = next(row for row in rows[1:] if row[5].value == "Hadir")
    assert isinstance(answered_row[8].value, datetime.datetime)


def test_rsvp_export_of_another_format_is_404(client, staff, meeting):
    client.force_login(staff)
    for fmt in ["pdf", "xls", "json", "CSV"]:
        assert client.get(export_url(meeting, fmt)).status_code == 404


def test_the_meeting_page_lets_the_invitee_answer_and_shows_the_answer(client, officer_a, invitation_a):
    client.force_login(officer_a)
    detail = reverse("meetings:detail", args=[invitation_a.meeting.pk])
    body = client.get(detail).content.decode()
    assert "Jawaban Anda" in body
    assert f'action="{portal_url(invitation_a.meeting)}"' in body

    response = client.post(portal_url(invitation_a.meeting), {"answer": "tidak"}, follow=True)

    assert response.redirect_chain == [(detail, 302)]
    body = response.content.decode()
    assert "Jawaban Anda tercatat: Tidak hadir" in body
    assert "Jawaban Anda saat ini:" in body


def test_the_meeting_page_has_no_answer_form_for_staff(client, staff, invitation_a):
    client.force_login(staff)
    body = client.get(reverse("meetings:detail", args=[invitation_a.meeting.pk])).content.decode()
    assert f'action="{portal_url(invitation_a.meeting)}"' not in body
