"""Who may open which admin page.

Every page the admin serves (each registered model's list, add, change, delete and history
pages, every other admin view a model admin or the site registers, and the site's own pages)
is opened by a visitor, a holder, staff without two-factor authentication, and staff in each
role of accounts/roles.py. What a role may open follows from the permissions the role names,
so a new model or role is covered as soon as it exists; a registered model or admin view this
file does not know how to open fails `test_admin_pages_are_all_known` until it is added below.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from accounts.models import User
from accounts.roles import ADMINISTRATOR, BOARD, REVIEWER, ROLES
from appeals.models import Appeal, BoardMeeting
from certifications.models import CertificationLevel
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind, EntryState
from submissions.models import Audit, Denial, Entry, EntryStateChange, Holder, ProofFile

from .factories import CertificationFactory, EntryFactory, UserFactory, activity, title
from .staff import add_totp, make_staff, sign_in

pytestmark = pytest.mark.django_db

# A model's own pages, and the actions any of whose permissions opens each.
MODEL_PAGES: dict[str, tuple[str, ...]] = {
    "changelist": ("view", "change"),
    "add": ("add",),
    "change": ("view", "change"),
    "delete": ("delete",),
    "history": ("view", "change"),
    # One past version, shown by django-simple-history.
    "simple_history": ("view", "change"),
}

# Further admin views, by URL name: the permissions any of which opens it, and its arguments
# given the object of its model. Add a row when a model admin registers a view of its own.
CUSTOM_VIEWS: dict[str, tuple[tuple[str, ...], Callable[[Model], tuple]]] = {
    "auth_user_password_change": (("accounts.change_user",), lambda user: (user.pk,)),
    "submissions_entry_import_attendance": (("submissions.import_attendance",), lambda e: ()),
    # Decisions are posted; opened, the page sends the reviewer to the entry.
    "submissions_entry_decide": (("submissions.review_entry",), lambda entry: (entry.pk,)),
    "submissions_holder_summary": (("submissions.view_holder",), lambda holder: ()),
    # The Board's decision is posted; opened, the page sends the member to the appeal.
    "appeals_appeal_decide": (("appeals.decide_appeal",), lambda appeal: (appeal.pk,)),
}
# What an allowed user gets from a custom view, where it is not the page itself.
CUSTOM_OUTCOMES: dict[str, Callable[[Model], str]] = {
    "submissions_entry_decide": lambda entry: f"→ /admin/submissions/entry/{entry.pk}/change/",
    "appeals_appeal_decide": lambda appeal: f"→ /admin/appeals/appeal/{appeal.pk}/change/",
}

# Pages no one opens, whatever their permissions: (model label, page). An audit sample is a
# record of what was done: nobody deletes it. Nor an entry, a denial, an appeal, a certification
# or a certification year; appeals are filed by holders, denials made by the review, the close
# and the Board, certification years laid by the award.
CLOSED: set[tuple[str, str]] = {
    ("submissions.audit", "delete"), ("submissions.holder", "add"),
    ("submissions.holder", "delete"), ("submissions.entry", "delete"),
    ("submissions.denial", "add"), ("submissions.denial", "delete"),
    ("appeals.appeal", "add"), ("appeals.appeal", "delete"),
    ("certifications.certification", "delete"),
    ("certifications.certificationyear", "add"), ("certifications.certificationyear", "delete"),
}
# What a user who may open a model's page gets, where it is not the page itself: a holder in the
# overview opens as their user page.
MODEL_PAGE_OUTCOMES: dict[tuple[str, str], Callable[[Model], str]] = {
    ("submissions.holder", "change"): lambda holder: f"→ /admin/accounts/user/{holder.pk}/change/",
}

# The site's own pages, for any staff member who passed two-factor authentication.
SITE_PAGES: dict[str, str] = {
    "index": "200",
    "login": "→ /admin/",  # signed in already: on to the admin
    "logout": "405",  # signing out is a POST
    "password_change": "→ /accounts/password/change/",  # the portal's, with its limits
    "password_change_done": "200",
    "jsi18n": "200",
    "autocomplete": "403",  # asked for no field to complete
    "view_on_site": "404",  # no model of the admin has a page of its own
    # An app's page: 200 with a model of the app to show, else 404 (Django's), per app below.
    "app_list": "",
}


def _denial() -> Denial:
    entry = EntryFactory()
    return Denial.objects.create(holder=entry.holder, kind=DenialKind.ENTRY_REJECTED,
                                 entry=entry, denied_on=date(2025, 6, 1))


def _certification_year() -> Model:
    certification = CertificationFactory()
    ensure_certification_years(today=date(2025, 6, 1), certifications=[certification])
    return certification.years.first()


def _periodic_task() -> PeriodicTask:
    every_day = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    return PeriodicTask.objects.create(name="a task", task="a.task", interval=every_day)


# The object whose pages are opened, for each registered model: a new model needs a row.
OBJECTS: dict[str, Callable[[], Model]] = {
    "account.emailaddress": lambda: EmailAddress.objects.create(
        user=UserFactory(), email="address@example.com", verified=True, primary=True),
    "accounts.user": lambda: UserFactory(),
    "activities.activitytype": lambda: activity("mentor"),
    "appeals.appeal": lambda: Appeal.objects.create(denial=_denial(), rationale="It counts."),
    "appeals.boardmeeting": lambda: BoardMeeting.objects.create(meets_on=date(2026, 3, 2)),
    "auth.group": lambda: Group.objects.get(name=REVIEWER),
    "certifications.certification": lambda: CertificationFactory(),
    "certifications.certificationlevel": lambda: CertificationLevel.objects.first(),
    "certifications.certificationtitle": lambda: title("ISP"),
    "certifications.certificationyear": _certification_year,
    "django_celery_beat.clockedschedule": lambda: ClockedSchedule.objects.create(
        clocked_time=timezone.now()),
    "django_celery_beat.crontabschedule": lambda: CrontabSchedule.objects.create(),
    "django_celery_beat.intervalschedule": lambda: IntervalSchedule.objects.create(
        every=2, period=IntervalSchedule.HOURS),
    "django_celery_beat.periodictask": _periodic_task,
    "django_celery_beat.solarschedule": lambda: SolarSchedule.objects.create(
        event="sunrise", latitude=52.37, longitude=4.9),
    "mfa.authenticator": lambda: add_totp(UserFactory()),
    "submissions.audit": lambda: Audit.objects.create(
        period_start=date(2025, 1, 1), period_end=date(2025, 6, 30), percent=10, seed="x",
        due_on=date(2025, 7, 1), drawn_by=UserFactory(is_staff=True), population=0,
        requests=0),
    "submissions.denial": _denial,
    "submissions.holder": lambda: Holder.objects.get(pk=CertificationFactory().holder_id),
    "submissions.entry": lambda: EntryFactory(),
}


@dataclass(frozen=True)
class AdminPage:
    url: str
    # Any of these opens the page; for a site page, `site` is what everyone gets instead.
    permissions: frozenset[str] = frozenset()
    site: str = ""
    # An app's page: opened with any permission on a model of the app the admin shows.
    app_models: frozenset[str] = frozenset()
    # What a user who may open the page gets.
    allowed: str = "200"


def _named_patterns(patterns: list) -> list[URLPattern]:
    return [p for p in patterns if isinstance(p, URLPattern) and p.name]


def _history_id(obj: Model) -> int:
    if not obj.history.exists():
        obj.save()  # rows made by data migrations have no history yet
    return obj.history.latest().history_id


def admin_pages() -> tuple[list[AdminPage], list[str]]:
    """Every page the admin serves, with what opens it; and what this file cannot open."""
    pages: list[AdminPage] = []
    unknown: list[str] = []
    app_models: dict[str, set[str]] = {}
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        app_label, model_name = model._meta.app_label, model._meta.model_name
        app_models.setdefault(app_label, set()).update(
            f"{app_label}.{action}_{model_name}" for action in ("view", "add", "change", "delete"))
        if label not in OBJECTS:
            unknown.append(f"model {label}: add a row to OBJECTS")
            continue
        obj = OBJECTS[label]()
        for pattern in _named_patterns(model_admin.get_urls()):
            page = pattern.name.removeprefix(f"{app_label}_{model_name}_")
            if pattern.name in CUSTOM_VIEWS:
                permissions, args = CUSTOM_VIEWS[pattern.name]
                allowed = CUSTOM_OUTCOMES.get(pattern.name, lambda _obj: "200")(obj)
                pages.append(AdminPage(reverse(f"admin:{pattern.name}", args=args(obj)),
                                       frozenset(permissions), allowed=allowed))
            elif page in MODEL_PAGES:
                args = (() if page in ("changelist", "add")
                        else (obj.pk, _history_id(obj)) if page == "simple_history"
                        else (obj.pk,))
                permissions = frozenset() if (label, page) in CLOSED else frozenset(
                    f"{app_label}.{action}_{model_name}" for action in MODEL_PAGES[page])
                allowed = MODEL_PAGE_OUTCOMES.get((label, page), lambda _obj: "200")(obj)
                pages.append(AdminPage(reverse(f"admin:{pattern.name}", args=args),
                                       permissions, allowed=allowed))
            else:
                unknown.append(f"view {pattern.name}: add a row to CUSTOM_VIEWS")
    for pattern in _named_patterns(admin.site.get_urls()):
        if pattern.name not in SITE_PAGES:
            unknown.append(f"site page {pattern.name}: add a row to SITE_PAGES")
        elif pattern.name == "app_list":
            pages.extend(AdminPage(reverse("admin:app_list", args=[app]),
                                   app_models=frozenset(models))
                         for app, models in sorted(app_models.items()))
        elif pattern.name == "view_on_site":
            user = UserFactory()
            pages.append(AdminPage(reverse("admin:view_on_site", args=[
                ContentType.objects.get_for_model(user).pk, user.pk]), site="404"))
        else:
            pages.append(AdminPage(reverse(f"admin:{pattern.name}"),
                                   site=SITE_PAGES[pattern.name]))
    return pages, unknown


def granted(role: str | None) -> set[str]:
    """The permissions accounts/roles.py names for `role`, with `app.*` spelled out;
    everything for a superuser (None)."""
    everything = {f"{app}.{codename}" for app, codename in Permission.objects.values_list(
        "content_type__app_label", "codename")}
    if role is None:
        return everything
    names = set()
    for name in ROLES.get(role, ()):
        app_label, codename = name.split(".", 1)
        names |= ({n for n in everything if n.startswith(f"{app_label}.")} if codename == "*"
                  else {name})
    return names


def expected(page: AdminPage, permissions: set[str]) -> str:
    if page.site:
        return page.site
    if page.app_models:
        return "200" if page.app_models & permissions else "404"
    return page.allowed if page.permissions & permissions else "403"


def outcome(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 302:
        return str(response.status_code)
    target = response["Location"].split("?")[0]
    return {reverse("account_login"): "sign in", reverse("mfa_activate_totp"): "set up 2FA",
            reverse("mfa_reauthenticate"): "enter a code"}.get(target, f"→ {target}")


def test_admin_pages_are_all_known():
    pages, unknown = admin_pages()

    assert unknown == []
    assert len(pages) > 100


# Who opens the pages, and what every page gives them whatever its permissions.
REFUSED_EVERYWHERE = {
    "visitor": "sign in",
    "holder": "403",
    "staff without TOTP": "set up 2FA",
    "staff without the second factor": "enter a code",
}


def _signed_in(client: Client, who: str) -> None:
    if who == "holder":
        client.force_login(UserFactory())
    elif who == "staff without TOTP":
        client.force_login(make_staff(ADMINISTRATOR, totp=False))
    elif who == "staff without the second factor":
        sign_in(client, make_staff(ADMINISTRATOR), second_factor=False)


@pytest.mark.parametrize("who", list(REFUSED_EVERYWHERE))
def test_admin_refuses_everyone_but_staff_with_two_factor(client, who):
    _signed_in(client, who)
    pages, _unknown = admin_pages()

    outcomes = {page.url: outcome(client, page.url) for page in pages}

    assert {url: got for url, got in outcomes.items() if got != REFUSED_EVERYWHERE[who]} == {}


# Every role, staff in none, and a superuser (None), who holds every permission.
@pytest.mark.parametrize("role", [*ROLES, "", None],
                         ids=[*ROLES, "staff without a role", "superuser"])
def test_admin_opens_what_the_role_allows(client, role):
    user = make_staff(is_superuser=True) if role is None else make_staff(*([role] if role else []))
    sign_in(client, user)
    pages, _unknown = admin_pages()
    permissions = granted(role)

    mismatches = {}
    for page in pages:
        want, got = expected(page, permissions), outcome(client, page.url)
        if got != want:
            mismatches[page.url] = f"expected {want}, got {got}"

    assert mismatches == {}


# The apps whose admin classes are ours: each of their actions names the permissions it needs.
OUR_APPS = {"common", "accounts", "activities", "certifications", "submissions", "appeals",
            "cpe_portal"}


def test_admin_actions_name_the_permissions_they_need():
    # An action that names none is offered to everyone who can open the list.
    unnamed = [
        f"{model._meta.label}: {name}"
        for model, model_admin in admin.site._registry.items()
        if type(model_admin).__module__.split(".")[0] in OUR_APPS
        for func, name, _description in map(model_admin.get_action, model_admin.actions or ())
        if not getattr(func, "allowed_permissions", ())
    ]

    assert unnamed == []


def test_admin_invitations_need_the_permission_to_change_users(client):
    staff = make_staff()
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="accounts",
                                                      codename="view_user"))
    sign_in(client, staff)
    administrator = Client()
    sign_in(administrator, make_staff(ADMINISTRATOR))
    url = reverse("admin:accounts_user_changelist")
    user_admin = admin.site._registry[User]

    viewer = user_admin.get_actions(client.get(url).wsgi_request)
    changer = user_admin.get_actions(administrator.get(url).wsgi_request)

    assert list(viewer) == []
    assert sorted(changer) == ["delete_selected", "send_invitations"]


def _reviewed_entry() -> Entry:
    entry = EntryFactory()
    EntryStateChange.objects.create(entry=entry, from_state="", to_state=EntryState.SUBMITTED,
                                    changed_by=entry.holder, reason="Logged")
    ProofFile.objects.create(entry=entry, file="proof/2025/03/0123abcd.pdf",
                             original_name="certificate.pdf", content_type="application/pdf",
                             size=2048, uploaded_by=entry.holder)
    return entry


# No role changes an entry with the generic form: reviewers decide with the decision buttons.
@pytest.mark.parametrize(("role", "may_change"), [(REVIEWER, False), (BOARD, False)])
def test_admin_entry_page_shows_its_history_and_proof_to_the_role(client, role, may_change):
    entry = _reviewed_entry()
    sign_in(client, make_staff(role))

    response = client.get(reverse("admin:submissions_entry_change", args=[entry.pk]))

    assert response.context["has_change_permission"] is may_change
    assert [formset.formset.model for formset in response.context["inline_admin_formsets"]] \
        == [EntryStateChange, ProofFile]


@pytest.mark.parametrize(("role", "model"), [(BOARD, "entry"), (REVIEWER, "appeal")])
def test_admin_change_without_the_permission_is_refused(client, role, model):
    obj = OBJECTS[f"submissions.{model}" if model == "entry" else f"appeals.{model}"]()
    sign_in(client, make_staff(role))

    response = client.post(reverse(f"admin:{obj._meta.app_label}_{model}_change",
                                   args=[obj.pk]), {"title": "Changed", "rationale": "Changed"})

    obj.refresh_from_db()
    assert response.status_code == 403
    assert "Changed" not in (getattr(obj, "title", ""), getattr(obj, "rationale", ""))
