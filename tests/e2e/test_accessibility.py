"""Every main page, for each role: axe-core finds nothing serious or critical (desktop and phone layouts), a 360 px
phone needs no sideways scrolling, tap targets are at least 24x24 CSS px (WCAG 2.2), and the page's form works
with the keyboard alone.

Adding a page is one line in ``PAGES``: the role that opens it, a name, the path (``{names}`` come from
``objects()``), and for a form page the CSS selector of the form to walk with Tab.

Each role is one test: one desktop and one phone context, logged in once, visit all of that role's pages;
every problem is collected and reported together at the end.
"""

from typing import NamedTuple

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page

from meetings import services as meeting_services
from meetings.models import Invitation, Notification
from tests import factories
from tests.e2e.helpers import horizontal_overflow, login


class Main(NamedTuple):
    role: str
    name: str
    path: str
    form: str | None = None  # the form to walk with Tab, on form pages


PAGES = [
    Main("anonymous", "login", "/accounts/login/", "main form"),
    Main("anonymous", "password reset", "/accounts/password/reset/", "main form"),
    Main("officer_a", "home", "/"),
    Main("officer_a", "my board", "/lembaga/saya/"),
    Main("officer_a", "board page", "/lembaga/{board_a}/"),
    Main("officer_a", "directory", "/lembaga/"),
    Main("officer_a", "agenda", "/rapat/"),
    Main("officer_a", "month", "/rapat/kalender/"),
    Main("officer_a", "meeting detail", "/rapat/{meeting}/", "form.rsvp-quick"),
    Main("officer_a", "notifications", "/rapat/notifikasi/"),
    Main("officer_a", "proposals", "/usulan/", "form.cycle-filter"),
    Main("officer_a", "proposal detail", "/usulan/{draft}/"),
    Main("officer_a", "proposal form", "/usulan/baru/", "form.proposal-form"),
    Main("officer_a", "progress form", "/usulan/{running}/kemajuan/", "form.report-form"),
    Main("coordinator_a", "dashboard", "/dasbor/", "form.cycle-form"),
    Main("coordinator_a", "proposal detail", "/usulan/{submitted}/", "form[action$='/rekomendasi/']"),
    Main("staff", "dashboard", "/dasbor/", "form.cycle-form"),
    Main("staff", "review queue", "/usulan/antrean/", "form.filter-form"),
    Main("staff", "cycles", "/usulan/siklus/"),
    Main("staff", "meetings", "/rapat/kelola/", "form.filter-form"),
    Main("staff", "meeting form", "/rapat/baru/", "form.meeting-form"),
    Main("staff", "meeting detail", "/rapat/{meeting}/"),
    Main("staff", "invite", "/rapat/{meeting}/undang/", "form[action$='/undang/hitung/']"),
    Main("staff", "attendance", "/rapat/{meeting}/kehadiran/", "#attendance-form"),
    Main("staff", "rsvp table", "/rapat/{meeting}/jawaban/", "form.rsvp-filter"),
    Main("staff", "proposal review", "/usulan/{submitted}/", "form[action$='/setujui/']"),
    Main("staff", "exports", "/dasbor/ekspor/", "main form"),
]
ROLES = list(dict.fromkeys(page.role for page in PAGES))

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
MIN_TARGET = 24  # CSS px, WCAG 2.2 "Target Size (Minimum)"


@pytest.fixture
def objects(world, officer_a, member_a, coordinator_a, staff):
    """The data the pages show; returns the users by role and the ids the paths use."""
    board_a = world["board_a"]
    meeting = factories.MeetingFactory(organiser=staff, title="Rapat Koordinasi LPM Kecamatan A")
    meeting_services.agenda_replace(meeting=meeting, items=[{"title": "Pembukaan"}, {"title": "Evaluasi program"}])
    invite = factories.InvitationFactory
    invite(meeting=meeting, person=officer_a.person, board=board_a, board_name=board_a.name,
           kecamatan_name="Kecamatan A", rsvp=Invitation.Rsvp.ACCEPTED)
    invite(meeting=meeting, person=member_a.person, board=board_a, board_name=board_a.name, position="Anggota",
           kecamatan_name="Kecamatan A")
    invite(meeting=meeting, person=coordinator_a.person, board=world["forum_a"], board_name=world["forum_a"].name,
           kecamatan_name="Kecamatan A", rsvp=Invitation.Rsvp.DECLINED)
    Notification.objects.create(user=officer_a, text=f"Undangan: {meeting.title}", url=f"/rapat/{meeting.pk}/")

    cycle = factories.CycleFactory(name="Usulan Program 2027", year=2027)
    draft = factories.ProposalFactory(board=board_a, cycle=cycle, created_by=officer_a, title="Pelatihan kader")
    # Under review: the Forum may still recommend it, staff see the approve/revise/reject panel.
    submitted = factories.ProposalFactory(board=board_a, cycle=cycle, created_by=officer_a, status="under_review",
                                          title="Perbaikan saluran air RT 05",
                                          lines=[("Semen", 40, "sak", 65_000), ("Upah tukang", 10, "hari", 150_000)])
    running = factories.ProposalFactory(board=board_a, cycle=cycle, created_by=officer_a, status="in_progress",
                                        title="Posyandu remaja", progress_percent=40)
    running.approved_budget = running.total_requested
    running.decided_at = running.decision_published_at = timezone.now()
    running.save()
    return {
        "users": {"officer_a": officer_a, "coordinator_a": coordinator_a, "staff": staff},
        "paths": {"board_a": board_a.pk, "meeting": meeting.pk, "draft": draft.pk, "submitted": submitted.pk,
                  "running": running.pk},
    }


# --- checks in the page ----------------------------------------------------------------------------------------

# Buttons, form controls and navigation links (inline text links in paragraphs and cells are exempt). A checkbox
# or radio counts together with its labels, which take the tap too.
TAP_TARGETS_JS = """(min) => {
  const selector = 'button, input:not([type=hidden]), select, textarea, summary, a.button, nav a, header a';
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.name ? '[name=' + el.name + ']' : '') + (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' + (el.textContent || el.value || '').trim()
    .replace(/\\s+/g, ' ').slice(0, 30) + '"';
  const offenders = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    let {left, top, right, bottom} = el.getBoundingClientRect();
    if (right - left <= 1 || bottom - top <= 1) continue;  // not shown (the visually-hidden pattern)
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels) {
      for (const label of el.labels) {
        const box = label.getBoundingClientRect();
        if (!box.width || !box.height) continue;
        left = Math.min(left, box.left); top = Math.min(top, box.top);
        right = Math.max(right, box.right); bottom = Math.max(bottom, box.bottom);
      }
    }
    const width = Math.round(right - left), height = Math.round(bottom - top);
    if (width < min || height < min) offenders.push(`${describe(el)} ${width}x${height}`);
  }
  return offenders;
}"""

# Marks the form's tab stops in DOM order (one per radio group) with data-a11y-step; a form folded in a closed
# <details> (filters) marks the summary that opens it instead.
PREPARE_FORM_JS = """(selector) => {
  const form = document.querySelector(selector);
  if (!form) return {error: 'no form ' + selector};
  const folded = form.closest('details:not([open])');
  if (folded) {
    folded.querySelector(':scope > summary').dataset.a11yOpener = '';
    return {folded: true};
  }
  const shown = (el) => el.checkVisibility({visibilityProperty: true}) && el.getClientRects().length > 0;
  const groups = new Set();
  const steps = [];
  for (const el of form.elements) {
    if (el.type === 'hidden' || ['FIELDSET', 'OBJECT', 'OUTPUT'].includes(el.tagName) || el.disabled
        || el.tabIndex < 0 || !shown(el)) {
      continue;
    }
    if (el.type === 'radio') {
      if (groups.has(el.name)) continue;
      groups.add(el.name);
      const checked = form.querySelector(`input[type=radio][name="${el.name}"]:checked`);
      if (checked && shown(checked)) { steps.push(checked); continue; }
    }
    steps.push(el);
  }
  steps.forEach((el, i) => { el.dataset.a11yStep = i; });
  const submit = steps.some((el) => el.type === 'submit' || el.type === 'image');
  const positive = [...document.querySelectorAll('[tabindex]')].filter((el) => el.tabIndex > 0)
    .map((el) => el.outerHTML.slice(0, 80));
  return {steps: steps.map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.name ? '[name=' + el.name + ']' : '')), submit, positive};
}"""

# Where focus is now: a stable id per element, its form step if any, and whether it shows a focus indicator.
FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {id: null};
  window.__a11ySeen = window.__a11ySeen || 0;
  if (!el.dataset.a11ySeen) el.dataset.a11ySeen = ++window.__a11ySeen;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  // WCAG 2.2 "Focus Not Obscured": what is on top at the middle of the element's visible part (sticky bars).
  const box = el.getBoundingClientRect();
  const x = (Math.max(box.left, 0) + Math.min(box.right, innerWidth)) / 2;
  const y = (Math.max(box.top, 0) + Math.min(box.bottom, innerHeight)) / 2;
  const top = document.elementFromPoint(x, y);
  const covered = top && !el.contains(top) && ![...(el.labels || [])].some((label) => label.contains(top));
  return {id: el.dataset.a11ySeen, opener: el.dataset.a11yOpener !== undefined,
          step: el.dataset.a11yStep === undefined ? null : Number(el.dataset.a11yStep),
          covered: covered ? top.tagName.toLowerCase() + '.' + [...top.classList].join('.') : null,
          indicator: outline || style.boxShadow !== 'none',
          name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '')};
}"""


def axe_problems(axe: Axe, page: Page) -> list[str]:
    results = axe.run(page).response
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']}; at {', '.join(str(n['target']) for n in v['nodes'][:6])}"
        + (f" and {len(v['nodes']) - 6} more" if len(v["nodes"]) > 6 else "")
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def keyboard_problems(page: Page, selector: str, limit: int = 250) -> list[str]:
    """From the top of the page, Tab must reach every control of the form in order, each with a visible focus.

    A form folded in a <details> is opened with Enter on its summary when Tab gets there.
    """
    problems, steps, reached, seen, previous, repeats = [], [], [], set(), None, 0

    def prepare():
        form = page.evaluate(PREPARE_FORM_JS, selector)
        if "steps" in form:
            steps.extend(form["steps"])
            problems.extend(f"positive tabindex: {html}" for html in form["positive"])
            if not form["submit"]:
                problems.append(f"{selector}: no visible submit button")
        return form

    form = prepare()
    if "error" in form:
        return [form["error"]]
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED_JS)
        if now["id"] is None:
            if seen:
                break  # past the end of the page
            continue
        if now["id"] == previous:
            # Date and time inputs take one Tab per part (day, month, year, hour, minute).
            repeats += 1
            if repeats > 8:
                problems.append(f"focus stuck on {now['name']}")
                break
            continue
        repeats = 0
        if now["id"] in seen:
            break  # around again
        seen.add(now["id"])
        previous = now["id"]
        if now["opener"] and form.get("folded"):
            if not now["indicator"]:
                problems.append(f"no visible focus indicator on {now['name']}")
            page.keyboard.press("Enter")
            if (form := prepare()).get("folded"):
                return [*problems, f"Enter on {now['name']} does not open {selector}"]
        if now["step"] is not None and now["step"] not in reached:
            reached.append(now["step"])
            if not now["indicator"]:
                problems.append(f"no visible focus indicator on {now['name']}")
            if now["covered"]:
                problems.append(f"focused {now['name']} hidden under {now['covered']}")
            if len(reached) == len(steps):
                break
    if form.get("folded"):
        return [*problems, f"Tab never reaches the summary that opens {selector}"]
    missing = [steps[i] for i in range(len(steps)) if i not in reached]
    if missing:
        problems.append(f"Tab never reaches {missing}")
    if reached != sorted(reached):
        problems.append(f"Tab order differs from the form's: {[steps[i] for i in reached]}")
    return problems


def phone_problems(page: Page, form: str | None) -> list[str]:
    """At 360 px: no sideways scrolling, the form by keyboard, then (menu opened) no tap target under 24 px."""
    problems = []
    if overflow := horizontal_overflow(page):
        problems.append(f"scrolls sideways at 360 px by {overflow} px")
    if form:
        problems += [f"keyboard: {problem}" for problem in keyboard_problems(page, form)]
    menu = page.locator(".menu-toggle")
    if menu.is_visible():
        menu.click()
        if overflow := horizontal_overflow(page):
            problems.append(f"scrolls sideways at 360 px with the menu open by {overflow} px")
    problems += [f"tap target under {MIN_TARGET} px at 360 px: {what}"
                 for what in page.evaluate(TAP_TARGETS_JS, MIN_TARGET)]
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_are_accessible_and_work_on_a_phone(role, new_context, objects, browser_log):
    desktop = new_context(**DESKTOP).new_page()
    if role != "anonymous":
        login(desktop, objects["users"][role].email)
    phone = new_context(**PHONE, storage_state=desktop.context.storage_state()).new_page()
    axe = Axe()
    failures = {}
    for main in (page for page in PAGES if page.role == role):
        path = main.path.format(**objects["paths"])
        problems = []

        response = desktop.goto(path)
        if not response.ok:
            failures[f"{main.name} {path}"] = [f"HTTP {response.status}"]
            continue
        problems += axe_problems(axe, desktop)

        phone.goto(path)
        problems += phone_problems(phone, main.form)
        # The phone layout (stacked cards, scrolling tables, the open menu) gets its own axe run.
        problems += [f"at 360 px: {problem}" for problem in axe_problems(axe, phone) if problem not in problems]
        if problems:
            failures[f"{main.name} {path}"] = problems

    if browser_log.csp_violations:
        failures["content security policy"] = [str(v) for v in browser_log.csp_violations]
    report = "\n".join(f"{where}:\n  " + "\n  ".join(problems) for where, problems in failures.items())
    assert not failures, f"{role}: accessibility problems on {len(failures)} page(s)\n{report}"


BROKEN_PAGE = """<!DOCTYPE html><html lang="id"><head><meta name="viewport" content="width=device-width">
<title>Rusak</title><link rel="stylesheet" href="/rusak.css"></head>
<body><main><h1>Rusak</h1><p class="faint">Teks pucat</p><img src="/x.png">
<form><label for="a">A</label><input id="a"><input id="b" aria-label="B" tabindex="2">
<button class="tiny">OK</button></form><div class="wide">lebar</div><div class="cover"></div></main></body></html>"""
BROKEN_CSS = """.faint { color: #ccc; } .wide { width: 900px; } input, button { outline: none !important; }
.tiny { position: absolute; top: 600px; left: 10px; width: 16px; height: 16px; padding: 0; }
.cover { position: fixed; top: 590px; left: 0; width: 80px; height: 40px; background: #fff; }"""


def test_the_checks_catch_a_broken_page(new_context, live_server):
    """The harness itself: a page breaking each rule must be caught, or passing the test above proves nothing."""
    page = new_context(**PHONE).new_page()
    page.route(f"{live_server.url}/rusak", lambda route: route.fulfill(content_type="text/html", body=BROKEN_PAGE))
    page.route(f"{live_server.url}/rusak.css", lambda route: route.fulfill(content_type="text/css", body=BROKEN_CSS))
    page.route(f"{live_server.url}/x.png", lambda route: route.fulfill(content_type="image/png", body=b""))
    page.goto("/rusak")

    found = "\n".join(axe_problems(Axe(), page) + phone_problems(page, "form"))
    for expected in ["axe color-contrast", "axe image-alt", "scrolls sideways", "tap target under 24 px at 360 px: "
                     "button.tiny", "positive tabindex", "no visible focus indicator on input#a",
                     "Tab order differs", "focused button hidden under div.cover"]:
        assert expected in found, f"{expected!r} not reported in:\n{found}"
