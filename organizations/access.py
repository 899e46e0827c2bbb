"""What a user may do: the one place that answers it.

Roles are derived, never typed in twice: staff are members of the
"Staf DP3AKB" group (or superusers), an officer is a user whose person has an
active membership of an LPM kelurahan board, and a kecamatan coordinator is an
officer of a Forum LPM. Views ask ``access_for(request.user)`` and never look
at groups or memberships themselves.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from portal.lib import cache as user_cache

from .models import Board, Membership


@dataclass(frozen=True)
class Access:
    user_id: int | None = None
    is_admin: bool = False
    is_staff_office: bool = False
    # Boards the user serves on today, by id, with the position held.
    positions: dict = field(default_factory=dict)
    # Kecamatan (region ids) whose Forum LPM the user serves on.
    coordinated_kecamatan_ids: frozenset = frozenset()

    @property
    def is_authenticated(self):
        return self.user_id is not None

    @property
    def board_ids(self):
        return frozenset(self.positions)

    @property
    def is_officer(self):
        return bool(self.positions)

    @property
    def is_coordinator(self):
        return bool(self.coordinated_kecamatan_ids)

    @property
    def sees_everything(self):
        return self.is_admin or self.is_staff_office

    # --- boards -------------------------------------------------------------
    def visible_boards(self):
        """Boards whose page and pengurus contacts this user may see (brief §6)."""
        boards = Board.objects.all()
        if self.sees_everything:
            return boards
        if not self.is_authenticated:
            return boards.none()
        from django.db.models import Q

        return boards.filter(
            Q(pk__in=self.board_ids)
            | Q(region__parent_id__in=self.coordinated_kecamatan_ids)
            | Q(region_id__in=self.coordinated_kecamatan_ids)
        )

    def can_view_board(self, board):
        if self.sees_everything:
            return True
        return board.pk in self.positions or (
            board.kecamatan_id is not None and board.kecamatan_id in self.coordinated_kecamatan_ids
        )

    def can_view_contacts(self, board):
        return self.can_view_board(board)

    def can_manage_organizations(self):
        """Boards, people and memberships are changed only in Django admin, by admins."""
        return self.is_admin

    # --- meetings -------------------------------------------------------------
    def can_manage_meetings(self):
        """Create, edit, cancel, take attendance, write minutes: staff only."""
        return self.sees_everything

    def can_read_minutes(self, meeting, *, has_minutes, now=None):
        """Staff always; an invitee (already checked) once minutes exist and the meeting has begun."""
        if self.can_manage_meetings():
            return True
        return has_minutes and meeting.minutes_published(now)

    def visible_meetings(self):
        from meetings.models import Meeting

        return Meeting.objects.visible_to(self)

    def get_meeting_or_404(self, pk, queryset=None):
        """A meeting the user may see: staff any, others only if invited (else 404)."""
        from meetings.models import Meeting

        queryset = queryset if queryset is not None else Meeting.objects.all()
        meeting = queryset.filter(pk=pk).first()
        if meeting is None:
            raise Http404
        if not self.sees_everything and not (
            self.is_authenticated and meeting.invitations.filter(person__user_id=self.user_id).exists()
        ):
            raise Http404
        return meeting

    def get_managed_meeting_or_404(self, pk, queryset=None):
        """A meeting for a staff action: 404 if the user may not see it, 403 if they may only read it."""
        meeting = self.get_meeting_or_404(pk, queryset)
        if not self.can_manage_meetings():
            raise PermissionDenied
        return meeting

    # --- proposals (brief §6 and §7) ------------------------------------------------------
    def can_review_proposals(self):
        """Review, approve, reject, evaluate; manage cycles: staff and admins."""
        return self.sees_everything

    def proposal_boards(self):
        """Boards this user may draft proposals for: their own kelurahan LPMs (admins: any)."""
        boards = Board.objects.filter(kind=Board.Kind.LPM)
        if self.is_admin:
            return boards
        return boards.filter(pk__in=self.board_ids)

    def can_draft_for(self, board):
        return self.is_admin or (board.kind == Board.Kind.LPM and board.pk in self.positions)

    def leads_board(self, board_id):
        """Ketua or Sekretaris: may submit and withdraw the board's proposals."""
        return self.is_admin or self.positions.get(board_id) in (
            Membership.Position.KETUA, Membership.Position.SEKRETARIS,
        )

    def serves_board(self, board_id):
        """Any pengurus of the board (or an admin): drafts, reports progress, comments."""
        return self.is_admin or board_id in self.positions

    def coordinates(self, proposal):
        return proposal.board.kecamatan_id in self.coordinated_kecamatan_ids

    def visible_proposals(self):
        """Staff and admins all; pengurus their board's; a Forum its kecamatan's, drafts excepted."""
        from django.db.models import Q

        from programs.models import Proposal

        proposals = Proposal.objects.all()
        if self.sees_everything:
            return proposals
        if not self.is_authenticated:
            return proposals.none()
        kecamatan = self.coordinated_kecamatan_ids
        return proposals.filter(
            Q(board_id__in=self.board_ids)
            | (
                (Q(board__region__parent_id__in=kecamatan) | Q(board__region_id__in=kecamatan))
                & ~Q(status=Proposal.Status.DRAFT)
            )
        )

    def get_proposal_or_404(self, pk, queryset=None):
        from programs.models import Proposal

        queryset = queryset if queryset is not None else Proposal.objects.all()
        proposal = queryset.select_related("board__region", "cycle", "category").filter(pk=pk).first()
        if proposal is None or not self.can_view_proposal(proposal):
            raise Http404
        return proposal

    def can_view_proposal(self, proposal):
        if self.sees_everything or proposal.board_id in self.positions:
            return True
        return self.coordinates(proposal) and proposal.status != proposal.Status.DRAFT

    def sees_decision(self, proposal):
        """Staff see a decision at once; everyone else once it is published."""
        return self.sees_everything or proposal.decision_published_at is not None

    def can_comment(self, proposal):
        return self.sees_everything or proposal.board_id in self.positions

    def can_recommend(self, proposal):
        return self.is_admin or self.coordinates(proposal)

    def get_board_or_404(self, pk):
        board = Board.objects.select_related("region__parent").filter(pk=pk).first()
        if board is None or not self.can_view_board(board):
            raise Http404
        return board

    # --- dashboard, reports and exports ----------------------------------------------------
    def can_view_dashboard(self):
        """Staff see the city; a kecamatan coordinator sees their kecamatan. Officers have their home page."""
        return self.sees_everything or self.is_coordinator

    @property
    def dashboard_kecamatan_ids(self):
        """The kecamatan the dashboard and reports cover: None for the whole city (staff)."""
        if self.sees_everything:
            return None
        return self.coordinated_kecamatan_ids

    def can_export_directory(self):
        """The membership directory carries every pengurus' contacts: staff only."""
        return self.sees_everything

    def can_export_attendance(self):
        """Who came to which meeting: the people who keep the attendance sheets."""
        return self.can_manage_meetings()

    def can_download_export(self, job):
        """A prepared export is its owner's alone (it may hold contacts)."""
        return self.is_authenticated and job.owner_id == self.user_id


ANONYMOUS = Access()


def _access_facts(user, today) -> dict:
    """What ``access_for`` derives from the database (two queries): staff or not, and today's memberships."""
    # A superuser counts as staff without asking (the flag is part of the entry's stamp).
    is_staff_office = user.is_superuser or user.groups.filter(name=settings.STAFF_GROUP_NAME).exists()
    positions = {}
    coordinated = set()
    memberships = (
        Membership.objects.active(today)
        .filter(person__user=user)
        .select_related("board")
        .only("position", "board__kind", "board__region_id")
    )
    for membership in memberships:
        positions[membership.board_id] = membership.position
        if membership.board.kind == Board.Kind.FORUM:
            coordinated.add(membership.board.region_id)
    return {
        "is_staff_office": is_staff_office,
        "positions": positions,
        "coordinated": sorted(coordinated),
    }


def access_for(user) -> Access:
    """The user's Access, computed once per user object.

    The facts behind it (staff group, today's memberships) come from the shared cache while nothing they
    derive from has changed (``portal.lib.cache``; the signals in ``organizations.signals`` make them stale),
    on the same day (a term ending today grants nothing tomorrow) and with the same superuser flag;
    otherwise from the database, in two queries.
    """
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_portal_access", None)
    if cached is not None:
        return cached
    today = timezone.localdate()
    facts = user_cache.cached_for_user(user.pk, "access", lambda: _access_facts(user, today),
                                       scope=user_cache.ACCESS, extra=(today.isoformat(), user.is_superuser))
    access = Access(
        user_id=user.pk,
        is_admin=user.is_superuser,
        is_staff_office=facts["is_staff_office"],
        positions=dict(facts["positions"]),
        coordinated_kecamatan_ids=frozenset(facts["coordinated"]),
    )
    user._portal_access = access
    return access


def has_totp(user) -> bool:
    """Whether the user has set up TOTP (the MFA requirement for staff), kept like the access facts."""
    from allauth.mfa.models import Authenticator

    return user_cache.cached_for_user(
        user.pk, "totp", lambda: Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
        scope=user_cache.ACCESS,
    )
