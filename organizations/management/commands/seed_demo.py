import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from meetings.demo import demo_meetings, scale_meetings
from organizations import demo
from programs.demo import demo_proposals, scale_proposals


class Command(BaseCommand):
    help = (
        "Fill every board with demo pengurus and create the demo logins; safe to run again (adds only what is "
        "missing). --scale N adds N-1 synthetic cities of 41 boards each, with their proposals, meetings, "
        "invitations and reminders, for load tests."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1,
                            help="1 = Balikpapan only; N adds N-1 synthetic cities (about 800 people each).")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="Seed of the name generator.")

    def handle(self, *args, **options):
        if options["scale"] < 1:
            raise CommandError("--scale harus 1 atau lebih.")
        started = time.monotonic()
        result = demo.demo_seed(scale=options["scale"], seed=options["seed"])
        elapsed = time.monotonic() - started

        if result.regions_loaded:
            self.stdout.write("Wilayah Balikpapan belum lengkap: dimuat dari data bawaan (seperti load_regions).")
        self.stdout.write(
            f"Data demo: {result.regions_created} wilayah baru, {result.boards_created} lembaga baru, "
            f"{result.boards_seeded} lembaga diisi, {result.people_created} orang baru, "
            f"{result.memberships_created} keanggotaan baru, {result.users_created} akun baru ({elapsed:.1f} detik)."
        )
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        organiser = get_user_model().objects.filter(email=demo.STAFF_LOGIN_EMAIL).first()
        if organiser is not None:
            meetings = demo_meetings(organiser=organiser)
            if meetings:
                self.stdout.write(f"Rapat demo: {meetings} baru.")
        proposals = demo_proposals()
        if proposals:
            self.stdout.write(f"Usulan program demo: {proposals} baru.")
        if options["scale"] > 1:
            self._seed_scale(options["scale"], options["seed"], organiser)
        self._print_logins(result.logins)
        self.stdout.write(f"Selesai dalam {time.monotonic() - started:.1f} detik.")

    def _seed_scale(self, scale, seed, organiser):
        """Proposals, meetings, invitations and reminders of the synthetic cities that have none yet."""
        started = time.monotonic()
        proposals = scale_proposals(scale=scale, seed=seed)
        self.stdout.write(
            f"Data skala: {proposals.proposals} usulan baru ({proposals.budget_lines} rincian anggaran, "
            f"{proposals.events} riwayat, {proposals.reports} laporan kemajuan, {proposals.evaluations} evaluasi) "
            f"({time.monotonic() - started:.1f} detik)."
        )
        started = time.monotonic()
        meetings = scale_meetings(scale=scale, seed=seed, organiser=organiser)
        self.stdout.write(
            f"Data skala: {meetings.meetings} rapat baru, {meetings.invitations} undangan, "
            f"{meetings.reminders} pengingat, {meetings.follow_ups} tindak lanjut "
            f"({time.monotonic() - started:.1f} detik)."
        )

    def _print_logins(self, logins):
        header = ("Peran", "E-mail", "Kata sandi", "Lembaga")
        rows = [(row.role, row.email, row.password, row.board) for row in logins]
        widths = [max(len(str(cells[i])) for cells in [header, *rows]) for i in range(len(header))]

        def line(cells):
            return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)).rstrip()

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Akun demo (hanya untuk data demo):"))
        self.stdout.write(line(header))
        self.stdout.write(line(["-" * width for width in widths]))
        for cells in rows:
            self.stdout.write(line(cells))
        if not all(row.created for row in logins):
            self.stdout.write("Akun yang sudah ada tidak diubah: kata sandi yang sudah diganti tetap berlaku.")
