import io

import pytest
from django.core.management import call_command

from programs.models import Cycle, Proposal

pytestmark = pytest.mark.django_db


def seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_seed_demo_gives_a_newcomer_proposals_at_every_stage_once():
    call_command("load_regions", stdout=io.StringIO())
    assert "Usulan program demo: 4 baru." in seed()
    statuses = sorted(Proposal.objects.values_list("status", flat=True))
    assert statuses == ["draft", "evaluated", "submitted", "under_review"]
    open_cycle = Cycle.objects.get(proposals__status="draft")
    assert open_cycle.is_open()
    evaluated = Proposal.objects.get(status="evaluated")
    assert evaluated.approved_budget < evaluated.total_requested
    assert evaluated.progress_reports.count() == 2 and evaluated.evaluation.score == 4
    # Every total is the sum of its lines, as the lifecycle keeps it.
    for proposal in Proposal.objects.prefetch_related("budget_lines"):
        assert proposal.total_requested == sum(line.subtotal for line in proposal.budget_lines.all())

    assert "Usulan program demo" not in seed()
    assert Proposal.objects.count() == 4
