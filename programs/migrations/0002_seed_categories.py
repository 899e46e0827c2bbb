from django.db import migrations

# The fields (bidang) of community development the office works in; editable in admin afterwards.
CATEGORIES = [
    "Ketahanan Keluarga",
    "Perlindungan Anak",
    "Pemberdayaan Perempuan",
    "Kualitas Lingkungan",
    "Ekonomi Masyarakat",
    "Sosial Budaya",
    "Infrastruktur Lingkungan",
]


def seed(apps, schema_editor):
    Category = apps.get_model("programs", "Category")
    for order, name in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
