from django.core.management.base import BaseCommand

from organizations import services


class Command(BaseCommand):
    help = "Load Balikpapan's kecamatan and kelurahan (Kemendagri codes) and one board per region."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Region CSV (code,name,level,parent_code); defaults to the bundled file.")
        parser.add_argument("--aliases", help="Alias CSV (code,alias); defaults to the bundled file.")

    def handle(self, *args, **options):
        rows = services.read_region_rows(options["file"]) if options["file"] else services.read_region_rows()
        aliases = services.read_alias_rows(options["aliases"]) if options["aliases"] else services.read_alias_rows()
        result = services.regions_load(rows=rows, aliases=aliases)
        self.stdout.write(
            f"Wilayah: {result.created} baru, {result.updated} diperbarui; lembaga baru: {result.boards_created}."
        )
