"""A person's proposal trail in their data export, and gone from it when they are anonymised."""

import pytest

from organizations.privacy import person_anonymise, person_export
from programs import lifecycle
from programs.models import Notice, ProposalEvent


@pytest.fixture
def trail(draft_a, officer_a, staff):
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    lifecycle.proposal_start_review(proposal=draft_a, by=staff)  # notices officer_a by e-mail
    lifecycle.comment_add(proposal=draft_a, by=officer_a, text="Foto lokasi menyusul.")
    return draft_a


def test_export_holds_what_they_did_and_received(trail, officer_a):
    section = person_export(officer_a.person)["usulan_program"]
    assert [(e["kind"], e["to_status"], e["note"]) for e in section["events"]] == [
        ("transition", "submitted", ""), ("comment", "", "Foto lokasi menyusul.")]
    assert [n["email"] for n in section["notices"]] == [officer_a.email]


def test_anonymising_removes_their_name_and_address_but_keeps_the_timeline(trail, officer_a, admin_user):
    name, email = officer_a.person.name, officer_a.email
    assert ProposalEvent.objects.filter(actor_name=name).count() == 2
    person_anonymise(person=officer_a.person, by=admin_user)
    assert not ProposalEvent.objects.filter(actor_name=name).exists()
    assert not Notice.objects.filter(email__iexact=email).exists()
    # The proposal's history still counts every step.
    assert trail.events.count() == 3  # submitted, under review, the comment
    assert trail.events.filter(actor_name=f"Anonim #{officer_a.person.pk}").count() == 2
