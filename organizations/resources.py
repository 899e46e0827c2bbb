"""Import and export of people with their memberships (django-import-export).

One row is one membership. The columns, in this order (headers are matched
case-insensitively, and a space or hyphen counts as an underscore):

=============  ==============================================================
nama           the person's name (required)
jenis_kelamin  L or P ("Laki-laki"/"Perempuan" too); required for a new person
telepon        phone/WhatsApp number
email          e-mail address
lembaga        kind of board: "LPM Kelurahan", "Forum LPM Kecamatan" or
               "Asosiasi LPM Kota" ("LPM", "Forum", "Asosiasi" are enough).
               May be left empty: a row with a kelurahan is for its LPM, a
               row with only a kecamatan is for that kecamatan's Forum LPM.
kelurahan      code, name or alias of the kelurahan, e.g. 64.71.05.1010,
               Sungainangka or Sungai Nangka (empty for a Forum or Asosiasi)
kecamatan      code, name or alias of the kecamatan: the Forum LPM's
               kecamatan; optional on an LPM row, where it must be the
               kelurahan's own kecamatan (exports fill it in)
jabatan        Ketua, Wakil Ketua, Sekretaris, Bendahara,
               Koordinator/Ketua Bidang or Anggota, in any letter case; the
               stored values (wakil_ketua, koordinator, ...) are accepted too
bidang         the field of a Koordinator/Ketua Bidang
mulai          first day of the term (required)
selesai        last day of the term; empty on a new row means the end of a
               five-year term (mulai + 5 years - 1 day)
no_sk          number of the appointment decree (SK)
=============  ==============================================================

Dates are written YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY, or are real date
cells in a spreadsheet. An export has the same columns, so it can be edited
and imported again.

Who is who: a person is recognised by e-mail, else by phone, else (when the
row has neither) by name among the board's members; otherwise a person is
created (services.person_match, services.person_upsert). A row updates the
membership of that person on that board that starts on the same day, and an
unchanged row is skipped, so importing the same file twice changes nothing.

Every row goes through Membership.full_clean(), so the rules of Permendagri
18/2018 (one active Ketua, no overlap, five-year term, two terms, one LPM at a
time) come back as errors of that row, under the column they concern. Rows
are written as they are read, inside one transaction, so a row sees the rows
above it: two Ketua of one board in one file is an error on the second. A
file is all or nothing: one invalid row rolls the whole import back, and row
numbers are those the spreadsheet shows (the header is row 1).
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.results import Result, RowResult

from portal.lib.dates import add_years

from . import services
from .models import TERM_YEARS, Board, Membership, Person, Region

COLUMNS = (
    "nama", "jenis_kelamin", "telepon", "email", "lembaga", "kelurahan", "kecamatan",
    "jabatan", "bidang", "mulai", "selesai", "no_sk",
)
REQUIRED_COLUMNS = ("nama", "jabatan", "mulai")
PLACE_COLUMNS = ("lembaga", "kelurahan", "kecamatan")
PERSON_COLUMNS = ("nama", "jenis_kelamin", "telepon", "email")
# Columns written straight onto the membership.
MEMBERSHIP_ATTRIBUTES = {
    "jabatan": "position",
    "bidang": "field_name",
    "mulai": "start_date",
    "selesai": "end_date",
    "no_sk": "sk_number",
}
# Which model field a column feeds, so that a column in error is not reported
# twice (once as unreadable, once as empty) by full_clean().
FIELD_OF_COLUMN = {
    **MEMBERSHIP_ATTRIBUTES,
    **dict.fromkeys(PERSON_COLUMNS, "person"),
    **dict.fromkeys(PLACE_COLUMNS, "board"),
}
# Where the model's rule messages go, in the file's terms.
COLUMN_OF_FIELD = {**{f: c for c, f in MEMBERSHIP_ATTRIBUTES.items()}, "person": "nama", "board": "lembaga"}
COLUMN_OF_PERSON_FIELD = {"name": "nama", "gender": "jenis_kelamin", "phone": "telepon", "email": "email"}
HEADER_ALIASES = {
    "e_mail": "email",
    "hp": "telepon",
    "no_hp": "telepon",
    "nomor_hp": "telepon",
    "no_telepon": "telepon",
    "nomor_sk": "no_sk",
    "tanggal_mulai": "mulai",
    "tanggal_selesai": "selesai",
}
REGION_PREFIXES = ("kelurahan ", "kel. ", "kel ", "kecamatan ", "kec. ", "kec ")


CONTROL_CHARACTERS = {code: " " for code in (*range(0x20), 0x7F)}


def _text(value) -> str:
    """A cell as a single-spaced string; spreadsheets give whole numbers as floats."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # Control characters (a NUL from a broken export) are never data, and PostgreSQL refuses NUL.
    return " ".join(str(value).translate(CONTROL_CHARACTERS).split())


def _key(value) -> str:
    return _text(value).lower().replace("_", " ")


def _header(value) -> str:
    name = "_".join(_text(value).lower().replace("-", " ").split())
    return HEADER_ALIASES.get(name, name)


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return _text(value)


class PhoneWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, int | float) and not isinstance(value, bool):
            # A number cell has lost the leading zero of 0812...
            digits = str(int(value))
            return "0" + digits if digits.startswith("8") else digits
        return _text(value)


class EmailWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        email = _text(value)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise ValueError(_("Alamat e-mail “%(value)s” tidak valid.") % {"value": email}) from None
        return email


class ChoiceWidget(widgets.Widget):
    """A choice by stored value or label, in any letter case; exported as its Indonesian label or its value."""

    def __init__(self, choices, *, message, aliases=None, export_label=True):
        super().__init__()
        self.choices = choices
        self.message = message
        self.aliases = aliases or {}
        self.export_label = export_label

    def lookup(self):
        table = {}
        for value, label in self.choices:
            table[_key(value)] = value
            table[_key(label)] = value
            # Files are written in Indonesian whatever language the admin reads.
            with translation.override("id"):
                table[_key(label)] = value
        table.update({_key(alias): value for alias, value in self.aliases.items()})
        return table

    def clean(self, value, row=None, **kwargs):
        if not _key(value):
            return ""
        try:
            return self.lookup()[_key(value)]
        except KeyError:
            with translation.override("id"):
                options = ", ".join(str(label) for _value, label in self.choices)
            raise ValueError(self.message % {"value": _text(value), "options": options}) from None

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        if not self.export_label:
            return value
        with translation.override("id"):
            return str(dict(self.choices).get(value, value))


class DateWidget(widgets.Widget):
    FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = _text(value)
        if not text:
            return None
        for date_format in self.FORMATS:
            try:
                return datetime.datetime.strptime(text, date_format).date()
            except ValueError:
                continue
        raise ValueError(
            _("Tanggal “%(value)s” tidak dikenali; tulis TTTT-BB-HH, HH-BB-TTTT atau HH/BB/TTTT.") % {"value": text}
        )

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        # A spreadsheet gets a real date cell, a CSV file the ISO form.
        return value if kwargs.get("force_native_type") else value.isoformat()


class Column(fields.Field):
    """A column of the file. Exported through ``getter``; imported by MembershipResource as a whole row."""

    def __init__(self, name, getter, widget=None):
        super().__init__(column_name=name, widget=widget or TextWidget(), readonly=True)
        self.getter = getter

    def get_value(self, instance):
        return self.getter(instance)


def _person(membership):
    return membership.person if membership.person_id else None


def _board(membership):
    return membership.board if membership.board_id else None


def _person_attribute(name):
    return lambda membership: getattr(_person(membership), name, None)


def _kelurahan_name(membership):
    board = _board(membership)
    return board.region.name if board and board.kind == Board.Kind.LPM else None


def _kecamatan_name(membership):
    board = _board(membership)
    if board is None:
        return None
    if board.kind == Board.Kind.FORUM:
        return board.region.name
    if board.kind == Board.Kind.LPM and board.region.parent_id:
        return board.region.parent.name
    return None


@dataclass
class ParsedRow:
    """One row read and checked column by column, before anything is written."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    board: Board | None = None
    person_changed: bool = False

    def add_error(self, column, message):
        self.errors.setdefault(column, []).append(message)


class SheetResult(Result):
    """Rows numbered as the spreadsheet shows them: the header is row 1, the first person row 2."""

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(number + 1, row, validation_error)

    def append_error_row(self, number, row, errors):
        super().append_error_row(number + 1, row, errors)

    def row_errors(self):
        return [(error_row.number, error_row.errors) for error_row in self.error_rows]


class MembershipResource(resources.ModelResource):
    nama = Column("nama", _person_attribute("name"))
    jenis_kelamin = Column(
        "jenis_kelamin",
        _person_attribute("gender"),
        ChoiceWidget(
            Person.Gender.choices,
            message=gettext_lazy("Jenis kelamin “%(value)s” tidak dikenal; isi L atau P."),
            aliases={"laki laki": "L", "pria": "L", "wanita": "P"},
            export_label=False,
        ),
    )
    telepon = Column("telepon", _person_attribute("phone"), PhoneWidget())
    email = Column("email", _person_attribute("email"), EmailWidget())
    lembaga = Column(
        "lembaga",
        lambda m: getattr(_board(m), "kind", None),
        ChoiceWidget(
            Board.Kind.choices,
            message=gettext_lazy("Lembaga “%(value)s” tidak dikenal; pilih salah satu: %(options)s."),
            aliases={"forum": Board.Kind.FORUM, "forum lpm": Board.Kind.FORUM, "asosiasi lpm": Board.Kind.ASSOCIATION},
        ),
    )
    kelurahan = Column("kelurahan", _kelurahan_name)
    kecamatan = Column("kecamatan", _kecamatan_name)
    jabatan = Column(
        "jabatan",
        lambda m: m.position,
        ChoiceWidget(
            Membership.Position.choices,
            message=gettext_lazy("Jabatan “%(value)s” tidak dikenal; pilih salah satu: %(options)s."),
            aliases={
                "ketua bidang": Membership.Position.KOORDINATOR,
                "koordinator bidang": Membership.Position.KOORDINATOR,
            },
        ),
    )
    bidang = Column("bidang", lambda m: m.field_name)
    mulai = Column("mulai", lambda m: m.start_date, DateWidget())
    selesai = Column("selesai", lambda m: m.end_date, DateWidget())
    no_sk = Column("no_sk", lambda m: m.sk_number)

    class Meta:
        model = Membership
        name = gettext_lazy("Pengurus dan keanggotaan")
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._row = ParsedRow()
        self._header_error = False
        # Membership pk -> sheet row that wrote it, to catch a row repeated in one file.
        self._written = {}

    @classmethod
    def get_result_class(cls):
        return SheetResult

    def get_queryset(self):
        return Membership.objects.select_related("person", "board__region__parent")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("person", "board__region__parent")

    # --- the whole file -------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=True, **kwargs):
        # Always in a transaction: people are written before their membership
        # is checked, and one invalid row must leave nothing behind.
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )

    def before_import(self, dataset, **kwargs):
        self._written = {}
        self._header_error = False
        if dataset.headers:
            dataset.headers = [_header(name) for name in dataset.headers]
        headers = set(dataset.headers or ())
        missing = [column for column in REQUIRED_COLUMNS if column not in headers]
        if not headers & set(PLACE_COLUMNS):
            missing.append("kelurahan")
        if missing:
            self._header_error = True
            raise ValidationError(
                _("Kolom wajib tidak ada di baris judul: %(columns)s. Kolom yang dikenal: %(known)s.")
                % {"columns": ", ".join(missing), "known": ", ".join(COLUMNS)}
            )

    # --- one row ------------------------------------------------------------------------

    def import_row(self, row, instance_loader, **kwargs):
        if self._header_error or not any(_text(value) for value in row.values()):
            row_result = self.get_row_result_class()()
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
            return row_result
        self._row = self.parse_row(row)
        using = self.get_db_connection_name()
        # A row that fails must not leave behind the person it created, which
        # the rows below would otherwise find.
        savepoint = transaction.savepoint(using=using)
        row_result = super().import_row(row, instance_loader, **kwargs)
        if row_result.is_valid():
            transaction.savepoint_commit(savepoint, using=using)
            if row_result.object_id:
                self._written.setdefault(row_result.object_id, kwargs["row_number"] + 1)
        else:
            transaction.savepoint_rollback(savepoint, using=using)
        return row_result

    def parse_row(self, row) -> ParsedRow:
        parsed = ParsedRow()
        for column in COLUMNS:
            if column not in row:
                continue
            try:
                parsed.values[column] = self.fields[column].widget.clean(row[column], row=row)
            except ValueError as error:
                parsed.add_error(column, str(error))
        for column in REQUIRED_COLUMNS:
            if column not in parsed.errors and parsed.values.get(column) in (None, ""):
                parsed.add_error(column, _("Kolom %(column)s wajib diisi.") % {"column": column})
        if not parsed.errors.keys() & set(PLACE_COLUMNS):
            parsed.board = self.parse_board(parsed)
        return parsed

    def parse_board(self, parsed) -> Board | None:
        kind = parsed.values.get("lembaga") or ""
        kelurahan_text = parsed.values.get("kelurahan") or ""
        kecamatan_text = parsed.values.get("kecamatan") or ""
        if not kind:
            kind = Board.Kind.LPM if kelurahan_text else Board.Kind.FORUM if kecamatan_text else ""
        if kind == Board.Kind.LPM:
            if not kelurahan_text:
                parsed.add_error("kelurahan", _("Kolom kelurahan wajib diisi untuk LPM Kelurahan."))
                return None
            region = _region_match(services.kelurahan_match, kelurahan_text)
            if region is None:
                parsed.add_error(
                    "kelurahan",
                    _("Kelurahan “%(value)s” tidak dikenal; isi kode, nama atau nama lain kelurahan.")
                    % {"value": kelurahan_text},
                )
                return None
            if kecamatan_text:
                kecamatan = self.parse_kecamatan(parsed, kecamatan_text)
                if kecamatan is None:
                    return None
                if region.parent_id != kecamatan.pk:
                    parsed.add_error(
                        "kecamatan",
                        _("Kelurahan %(kelurahan)s tidak berada di Kecamatan %(kecamatan)s.")
                        % {"kelurahan": region.name, "kecamatan": kecamatan.name},
                    )
                    return None
        elif kind == Board.Kind.FORUM:
            if kelurahan_text:
                parsed.add_error("kelurahan", _("Untuk Forum LPM Kecamatan, kosongkan kelurahan dan isi kecamatan."))
                return None
            if not kecamatan_text:
                parsed.add_error("kecamatan", _("Kolom kecamatan wajib diisi untuk Forum LPM Kecamatan."))
                return None
            region = self.parse_kecamatan(parsed, kecamatan_text)
            if region is None:
                return None
        elif kind == Board.Kind.ASSOCIATION:
            if kelurahan_text or kecamatan_text:
                parsed.add_error("lembaga", _("Untuk Asosiasi LPM Kota, kosongkan kelurahan dan kecamatan."))
                return None
            region = Region.objects.filter(level=Region.Level.KOTA).order_by("code").first()
        else:
            parsed.add_error("kelurahan", _("Isi kelurahan, atau kecamatan untuk Forum LPM Kecamatan."))
            return None
        board = Board.objects.select_related("region__parent").filter(kind=kind, region=region).first()
        if board is None:
            with translation.override("id"):
                kind_label = str(Board.Kind(kind).label)
            parsed.add_error(
                "lembaga",
                _("Belum ada %(kind)s untuk %(region)s; tambahkan lembaganya dulu di admin.")
                % {"kind": kind_label, "region": region or "-"},
            )
        return board

    def parse_kecamatan(self, parsed, text):
        region = _region_match(services.kecamatan_match, text)
        if region is None:
            parsed.add_error(
                "kecamatan",
                _("Kecamatan “%(value)s” tidak dikenal; isi kode, nama atau nama lain kecamatan.") % {"value": text},
            )
        return region

    def get_instance(self, instance_loader, row):
        parsed, values = self._row, self._row.values
        if parsed.board is None or not values.get("mulai") or parsed.errors.keys() & set(PERSON_COLUMNS):
            return None
        person = services.person_match(
            email=values.get("email", ""), phone=values.get("telepon", ""), name=values.get("nama", ""),
            board=parsed.board,
        )
        if person is None:
            return None
        membership = self.get_queryset().filter(person=person, board=parsed.board, start_date=values["mulai"]).first()
        if membership is not None and membership.pk in self._written:
            message = _("Keanggotaan ini sudah ada di baris %(row)s berkas ini.")
            raise ValidationError({"nama": message % {"row": self._written[membership.pk]}})
        return membership

    def import_instance(self, instance, row, **kwargs):
        parsed, values = self._row, self._row.values
        errors = {column: list(messages) for column, messages in parsed.errors.items()}
        if parsed.board is not None:
            instance.board = parsed.board
        for column, attribute in MEMBERSHIP_ATTRIBUTES.items():
            if column in values and column not in errors and values[column] is not None:
                setattr(instance, attribute, values[column])
        if instance.pk is None and instance.start_date and not values.get("selesai") and "selesai" not in errors:
            instance.end_date = add_years(instance.start_date, TERM_YEARS) - datetime.timedelta(days=1)
        if not errors.keys() & set(PERSON_COLUMNS):
            try:
                instance.person, parsed.person_changed = services.person_upsert(
                    name=values.get("nama", ""),
                    gender=values.get("jenis_kelamin", ""),
                    phone=values.get("telepon", ""),
                    email=values.get("email", ""),
                    board=parsed.board,
                )
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    if name == "gender" and not values.get("jenis_kelamin"):
                        messages = [_("Isi jenis kelamin (L atau P) untuk orang yang baru dicatat.")]
                    errors.setdefault(COLUMN_OF_PERSON_FIELD.get(name, "nama"), []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None or original is None or self._row.person_changed:
            return False
        compared = ("person_id", "board_id", "position", "field_name", "start_date", "end_date", "sk_number")
        return all(getattr(instance, name) == getattr(original, name) for name in compared)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {column: list(messages) for column, messages in (import_validation_errors or {}).items()}
        exclude = {FIELD_OF_COLUMN[column] for column in errors if column in FIELD_OF_COLUMN}
        if not instance.person_id:
            exclude.add("person")
        if not instance.board_id:
            exclude.add("board")
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            for column, messages in _in_columns(error).items():
                errors.setdefault(column, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        try:
            services.membership_save(membership=instance)
        except ValidationError as error:
            # Another change won the board's lock between the check and the save.
            raise ValidationError(_in_columns(error)) from error


def _region_match(match, text):
    region = match(text)
    lowered = text.lower()
    for prefix in REGION_PREFIXES:
        if region is None and lowered.startswith(prefix):
            region = match(text[len(prefix):])
    return region


def _in_columns(error):
    columns = {}
    for name, messages in error.message_dict.items():
        columns.setdefault(COLUMN_OF_FIELD.get(name, NON_FIELD_ERRORS), []).extend(messages)
    return columns
