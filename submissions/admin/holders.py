"""The holders overview and the compliance summary: read-only admin pages for staff, from the
stored standings of each certification's deciding year (`submissions.overview`)."""

from dataclasses import dataclass
from datetime import date

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activities.rules import credits_text
from certifications.enums import YearState
from certifications.models import (
    Certification,
    CertificationLevel,
    CertificationTitle,
    CertificationYear,
)
from common.admin import EstimatedCountPaginator

from ..counting import Progress
from ..models import Holder
from ..selectors.overview import (
    HELD,
    SEGMENT_KINDS,
    DecidingYear,
    Standing,
    SummaryRow,
    compliance_by_level,
    compliance_by_title,
    decertified,
    deciding_years,
    holders_standing,
    stacked_bars,
    with_deciding_years,
)

# The overview filter's words for each standing, and the held year's.
STANDING_LABELS = {**dict(Standing.CHOICES), HELD: _("held")}
# A symbol beside each standing's word and colour, so that neither the colour nor the word
# alone carries it (WCAG 1.4.1); screen readers read the word only.
SYMBOLS = {
    Progress.MET: "✔",
    Progress.ON_TRACK: "●",
    Progress.AT_RISK: "▲",
    HELD: "▲",
    "decertified": "✖",
}
# The compliance chart's series (`SEGMENT_KINDS`), as its legend names them and as a bar
# counts them.
SERIES_LABELS = {
    "met": _("met"),
    "on_track": _("on track"),
    "at_risk": _("at risk or held"),
    "decertified": _("decertified this year"),
}
SERIES_COUNTS = {
    "met": _("%(count)d met"),
    "on_track": _("%(count)d on track"),
    "at_risk": _("%(count)d at risk or held"),
    "decertified": _("%(count)d decertified this year"),
}


def standing_badge(kind: str, label: str) -> str:
    return format_html(
        '<strong class="holder-progress holder-progress-{}">'
        '<span aria-hidden="true">{}</span> {}</strong>', kind, SYMBOLS[kind], label)


@dataclass(frozen=True)
class Series:
    kind: str
    symbol: str
    label: str


def chart_series() -> list[Series]:
    return [Series(kind, SYMBOLS[kind], str(SERIES_LABELS[kind])) for kind in SEGMENT_KINDS]


def bar_counts(row: SummaryRow) -> list[Series]:
    """A bar's numbers in words beside its colours: the holders, then each series it has."""
    counts = [Series("holders", "", ngettext("%(count)d holder", "%(count)d holders",
                                             row.holders) % {"count": row.holders})]
    for kind in SEGMENT_KINDS:
        count = getattr(row, kind)
        if count:
            counts.append(Series(kind, SYMBOLS[kind], SERIES_COUNTS[kind] % {"count": count}))
    return counts


def long_date(day: date) -> str:
    return date_format(day)


def deadline_text(year: CertificationYear, *, today: date) -> str:
    """“deadline 9 December 2026, 7 days left”; a held year says since when it is held."""
    deadline, days = long_date(year.deadline), (year.deadline - today).days
    if year.state == YearState.WAITING and year.held_since is not None:
        held = (today - year.held_since).days
        return ngettext(
            "deadline %(deadline)s, held for decisions since %(since)s (%(days)d day)",
            "deadline %(deadline)s, held for decisions since %(since)s (%(days)d days)",
            held) % {"deadline": deadline, "since": long_date(year.held_since), "days": held}
    if days < 0:
        return gettext("deadline %(deadline)s, passed") % {"deadline": deadline}
    if days == 0:
        return gettext("deadline today, %(deadline)s") % {"deadline": deadline}
    return ngettext("deadline %(deadline)s, %(days)d day left",
                    "deadline %(deadline)s, %(days)d days left", days) % {
        "deadline": deadline, "days": days}


def _id_parameter(request: HttpRequest, name: str) -> int | None:
    """A filter's id from the query string; None when absent or not a number."""
    value = request.GET.get(name, "")
    # ASCII digits only: "²" is a digit to isdigit(), not to int().
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class StandingFilter(admin.SimpleListFilter):
    """How holders stand in their deciding years; with a title or level chosen, in that title's
    (or level's) certifications only."""

    title = _("CPE standing")
    parameter_name = "standing"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> tuple:
        return Standing.CHOICES

    def queryset(self, request: HttpRequest, queryset: QuerySet[Holder]) -> QuerySet[Holder]:
        if self.value() not in dict(Standing.CHOICES):
            return queryset
        return holders_standing(queryset, self.value(), today=timezone.localdate(),
                                title_id=_id_parameter(request, TitleFilter.parameter_name),
                                level_id=_id_parameter(request, LevelFilter.parameter_name))


class _CertificationFilter(admin.SimpleListFilter):
    """Holders with a certification (active or not) of one title, or one level's titles."""

    lookup: str

    def queryset(self, request: HttpRequest, queryset: QuerySet[Holder]) -> QuerySet[Holder]:
        value = _id_parameter(request, self.parameter_name)
        if value is None:
            return queryset
        return queryset.filter(Exists(Certification.objects.filter(
            holder=OuterRef("pk"), **{self.lookup: value})))


class TitleFilter(_CertificationFilter):
    title = _("certification title")
    parameter_name = "title"
    lookup = "title_id"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(str(t.pk), t.name) for t in
                CertificationTitle.objects.order_by("name").only("pk", "name")]


class LevelFilter(_CertificationFilter):
    title = _("level")
    parameter_name = "level"
    lookup = "title__level_id"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(str(level.pk), level.name) for level in
                CertificationLevel.objects.order_by("position").only("pk", "name")]


@admin.register(Holder)
class HolderOverviewAdmin(admin.ModelAdmin):
    """Every holder with, per active certification that collects CPE, the deciding year's
    counted and required credits, its deadline and the days left (or since when it is held).
    Read-only: a holder's details are changed on their user page, which the name links to."""

    # Where each certification stands next to the name: on a phone the first columns are
    # what shows.
    list_display = ("name", "deciding_years", "decertified_titles", "email")
    list_display_links = None
    list_filter = (StandingFilter, TitleFilter, LevelFilter)
    search_fields = ("full_name", "email")
    # The user table's unique index on email gives this order a page at a time.
    ordering = ("email",)
    list_per_page = 50
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # A count per filter option over every holder: not on this page.
    show_facets = admin.ShowFacets.NEVER
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Holder | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Holder | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Holder]:
        # Only the columns shown: the changelist never needs a password hash.
        return with_deciding_years(
            super().get_queryset(request).only("pk", "full_name", "email"))

    @admin.display(description=_("name"), ordering="full_name")
    def name(self, holder: Holder) -> str:
        url = reverse("admin:accounts_user_change", args=[holder.pk])
        return format_html('<a href="{}">{}</a>', url, holder.full_name or holder.email)

    @admin.display(description=_("deciding certification years"))
    def deciding_years(self, holder: Holder) -> str:
        lines = deciding_years(holder, today=timezone.localdate())
        if not lines:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((self._line(line),) for line in lines))

    @staticmethod
    def _line(line: DecidingYear) -> str:
        year, certification = line.year, line.certification
        if year is None:
            return format_html("{}: {}", certification.title.name,
                               gettext("no open year yet"))
        standing = line.standing
        return format_html(
            "{} ({}): {} — {}",
            certification.title.name,
            gettext("year %(number)d") % {"number": year.number},
            gettext("%(counted)s of %(required)s credits, %(deadline)s") % {
                "counted": credits_text(year.counted_credits, always_places=True),
                "required": credits_text(year.required_credits, always_places=True),
                "deadline": deadline_text(year, today=line.today),
            },
            standing_badge(standing, STANDING_LABELS[standing]) if standing else "",
        )

    @admin.display(description=_("decertified"))
    def decertified_titles(self, holder: Holder) -> str:
        found = decertified(holder)
        if not found:
            return "—"
        return format_html_join(mark_safe("<br>"), "{} — {} {}", (
            (c.title.name, standing_badge("decertified", gettext("decertified")),
             gettext("on %(day)s") % {"day": long_date(c.decertified_on)})
            for c in found))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        # Nothing to see here that the user page does not show: go there.
        if not self.has_view_permission(request):
            raise PermissionDenied
        holder = self.get_object(request, object_id)
        if holder is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[holder.pk]))

    def get_urls(self) -> list:
        return [
            path("summary/", self.admin_site.admin_view(self.summary_view),
                 name="submissions_holder_summary"),
            *super().get_urls(),
        ]

    def summary_view(self, request: HttpRequest) -> TemplateResponse:
        """Compliance per title and per level: one grouped query, whatever the number of
        holders."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        by_title = compliance_by_title(today=today)
        by_level = compliance_by_level(by_title)
        chart = stacked_bars(by_title)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Compliance summary"),
            "today": today,
            "by_title": by_title,
            "by_level": by_level,
            "chart": chart,
            "bars": [(bar, bar_counts(bar.row)) for bar in chart.bars],
            "series": chart_series(),
            "changelist_url": reverse("admin:submissions_holder_changelist"),
        }
        return TemplateResponse(request, "admin/submissions/holder/summary.html", context)

