from django.db import migrations, models


class Migration(migrations.Migration):
    """A partial index for the review queue's default page: what waits for staff, longest waiting first.

    The queue reads ``status IN ('submitted', 'under_review') ORDER BY status_changed_at, id LIMIT 25``;
    with this index PostgreSQL walks the awaiting proposals in order and stops after the page instead of
    joining and sorting all of them. The amounts are included so that the queue's count and sums of the
    same proposals are an index-only scan.
    """

    dependencies = [
        ("programs", "0002_seed_categories"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="proposal",
            index=models.Index(
                condition=models.Q(("status__in", ["submitted", "under_review"])),
                fields=["status_changed_at", "id"],
                include=["total_requested", "approved_budget"],
                name="proposal_awaiting_age",
            ),
        ),
    ]
