from django.db import migrations

# PostgreSQL can enforce the overlap rules itself, which closes the race
# between two admins saving at once. Other databases rely on Membership.clean()
# run under a row lock on the board (organizations.services.membership_save).
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE organizations_membership ADD CONSTRAINT membership_one_active_ketua
       EXCLUDE USING gist (board_id WITH =, daterange(start_date, end_date, '[]') WITH &&)
       WHERE (position = 'ketua')""",
    """ALTER TABLE organizations_membership ADD CONSTRAINT membership_no_overlapping_duplicate
       EXCLUDE USING gist (board_id WITH =, person_id WITH =, daterange(start_date, end_date, '[]') WITH &&)""",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE organizations_membership DROP CONSTRAINT IF EXISTS membership_no_overlapping_duplicate",
    "ALTER TABLE organizations_membership DROP CONSTRAINT IF EXISTS membership_one_active_ketua",
]

STAFF_GROUP = "Staf DP3AKB"
# Staff read boards, people and memberships in admin; admins (superusers) change them.
STAFF_VIEW_MODELS = ["region", "regionalias", "board", "person", "membership"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


def create_staff_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    app_config = apps.get_app_config("organizations")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="organizations",
            codename__in=[f"view_{model}" for model in STAFF_VIEW_MODELS] + ["view_historicalmembership"],
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
        migrations.RunPython(create_staff_group, migrations.RunPython.noop),
    ]
