"""Where a holder's certification years stand, as the dashboard and the years pages write it.

Written here rather than in templates: the dashboard shows every certification with its open
years and any year that ended short, each a dozen translated sentences, and as template nodes
and includes they cost more than everything else the page does. Each function writes what its
template wrote, space for space; every value is escaped, and the sentences are the same
messages for translators.
"""

from collections.abc import Iterable, Sequence

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from activities.rules import credits_text
from certifications.models import Certification
from common.markup import Words, path
from submissions.counting import Progress, YearEnd
from submissions.selectors.holder import CapUse, ChartBar, Decertification, HeldFor, YearStanding

register = template.Library()

def _credits(value: object, *, places: bool = False) -> str:
    return escape(credits_text(value, always_places=places))


def _denial_url(denial_id: int) -> str:
    return path("appeals:denial_detail", int(denial_id))


# --- A year's end in a word or two ------------------------------------------------------------

def year_end_label_html(say: Words, year: YearStanding,
                        decisive_number: int | None = None) -> str:
    end = year.end
    if end == YearEnd.MET:
        css, words = "status-met", (
            say("Met by the Board’s decision of %(date)s", date=say.day(year.board_decided_on))
            if year.board_decided_on else say("Met"))
    elif end == YearEnd.EXEMPT:
        css, words = "status-met", say("No CPE required")
    elif end == YearEnd.IN_PROGRESS:
        css, words = "status-on-track", say("In progress")
    elif end == YearEnd.HELD:
        css, words = "status-held", (say("Missed — being closed")
                                     if year.held_for == HeldFor.CLOSE
                                     else say("Missed — held"))
    elif end == YearEnd.NOT_MET:
        css, words = "status-decertified", (
            say("Missed — decertified")
            if decisive_number and year.window.number == decisive_number else say("Missed"))
    else:
        css, words = "status-decertified", say("Not counted — decertified")
    return f'<span class="status {css}">{words}</span>\n'


@register.simple_tag
def year_end_label(year: YearStanding, decisive_number: int | None = None) -> SafeString:
    """A certification year's end in a word or two: the same on the dashboard, the years page
    and a year's page. `decisive_number` is the year that decertified the certification."""
    return mark_safe(year_end_label_html(Words(), year, decisive_number))  # noqa: S308 (escaped)


# --- What a holder reads about a year that ended short ------------------------------------------

def _decertified_html(say: Words, certification: Certification, year: YearStanding | None,
                      decertification: Decertification) -> str:
    on = say.day(decertification.decertified_on)
    if year:
        why = say("This certification was decertified on %(date)s because year %(number)s "
                   "(%(start)s to %(end)s) ended with %(counted)s of %(required)s credits.",
                   date=on, number=int(year.window.number),
                   start=say.day(year.window.starts_on), end=say.day(year.window.ends_on),
                   counted=_credits(year.counted), required=_credits(year.requirement))
    else:
        why = say("This certification was decertified on %(date)s.", date=on)
    revoked = say("You may no longer use the title %(title)s, and its badge is revoked.",
                   title=escape(certification.title.name))
    state = decertification.appeal_state
    if state:
        if state == "filed":
            appeal = say("Your appeal is filed and awaits a Board meeting date.")
        elif state == "scheduled":
            appeal = say("Your appeal is on the agenda of the Board meeting of %(meets_on)s.",
                          meets_on=say.day(decertification.appeal_meets_on))
        elif state == "dismissed":
            appeal = say("The Board dismissed your appeal: the decision stands.")
        else:
            appeal = say("The Board upheld your appeal.")
        appeal += (f' <a class="fw-semibold" href="{_denial_url(decertification.denial_id)}">'
                   f'{say("See your appeal")}</a>')
    elif decertification.can_appeal:
        appeal = say("If you disagree, you can appeal to the Board in writing within %(days)s "
                      "days of the decision, until %(until)s: explain why in at most two pages "
                      "and attach any documents that support it. ",
                      days=int(decertification.appeal_window_days),
                      until=say.day(decertification.appeal_until))
        if decertification.denial_id:
            appeal += (f' <a class="fw-semibold" href="{_denial_url(decertification.denial_id)}"'
                       f'>{say("Appeal this decision")}</a>')
    else:
        appeal = say("The time to appeal this decision ended on %(until)s.",
                      until=say.day(decertification.appeal_until))
    return (f'\n  <p class="mb-2">{why}\n  {revoked}</p>\n'
            f'  <p class="mb-0 appeal">{appeal}</p>\n')


def _held_html(say: Words, year: YearStanding) -> str:
    ended = say("Year %(number)s (%(start)s to %(end)s) ended with %(counted)s of "
                 "%(required)s credits, short of the requirement. Its reporting deadline was "
                 "%(deadline)s.", number=int(year.window.number),
                 start=say.day(year.window.starts_on), end=say.day(year.window.ends_on),
                 counted=_credits(year.counted), required=_credits(year.requirement),
                 deadline=say.day(year.window.deadline))
    held_for = year.held_for
    if held_for == HeldFor.DECISIONS:
        held = say("%(pending)s credits from that year still await a reviewer’s decision, so "
                    "the year is held until they are decided: if they make up the difference, "
                    "the year is met; if not, this certification is decertified.",
                    pending=_credits(year.undecided, places=True))
        if year.proof_owed:
            held += ' <a href="#proof-owed-heading">{}</a>'.format(
                say("Of these, %(owed)s credits wait for your proof.",
                     owed=_credits(year.proof_owed, places=True)))
    elif held_for == HeldFor.APPEAL:
        held = say("An appeal is still open, so the year is held until the Board decides it: "
                    "if the decision makes up the difference, the year is met; if not, this "
                    "certification is decertified.")
    else:
        held = say("Nothing from that year awaits a decision, so unless an open appeal can "
                    "still make up the difference, this certification will be decertified when "
                    "the year is closed: the title may then no longer be used, and its badge is "
                    "revoked.")
    return f'\n  <p class="mb-2">{ended}</p>\n  <p class="mb-0">{held}</p>\n'


@register.simple_tag
def year_end_text(certification: Certification, year: YearStanding | None,
                  decertification: Decertification | None = None) -> SafeString:
    """`year_end_html` for the years pages' templates."""
    return mark_safe(year_end_html(Words(), certification, year,  # noqa: S308 (escaped)
                                   decertification))


def year_end_html(say: Words, certification: Certification, year: YearStanding | None,
                  decertification: Decertification | None = None) -> str:
    """What a holder reads about a year that ended short of its requirement: held until the
    year-end close decides it, or the decertification it caused and how to appeal. The
    dashboard and the years page say the same. `year` is the year that ended short, or None;
    `decertification` None while the certification is active."""
    if decertification:
        text = _decertified_html(say, certification, year, decertification)
    elif year:
        text = _held_html(say, year)
    else:
        text = ""
    return f"\n{text}\n"


# --- The dashboard's open years -----------------------------------------------------------------

# One capped activity of a current year on the dashboard; the template's indentation kept.
_CAP_USE_ITEM = ('\n                    <li class="cap-use">'
                 '\n                      <label for="cap-{0}-{1}">{2}</label>'
                 '\n                      <progress class="cap-progress" id="cap-{0}-{1}"'
                 ' max="100" value="{3}"></progress>'
                 '\n                    </li>\n                  ')


def _cap_uses_html(say: Words, uses: Iterable[CapUse], certification_id: int) -> str:
    """A current year's capped activities, each labelled with what it used of its cap and a
    bar: one per capped activity, in every certification's current year."""
    return "".join(
        _CAP_USE_ITEM.format(int(certification_id), int(use.activity_type.pk), say(
            "%(activity)s: used %(used)s of %(cap)s credits",
            activity=escape(use.activity_type.name),
            used=escape(credits_text(use.used, always_places=True)),
            cap=escape(credits_text(use.cap, always_places=True))), int(use.percent))
        for use in uses)



# One open year of a certification card on the dashboard; the template's indentation kept.
_YEAR = ('\n            <div class="year-standing{mb}">\n              <h3 class="h6">'
         '\n                {heading}\n                <span class="fw-normal text-body-secondary">'
         '{starts} – {ends}</span>\n              </h3>'
         '\n              <label class="visually-hidden" for="progress-{cert}-{number}">'
         '{counted_label}</label>\n              <progress class="cpe-progress"'
         ' id="progress-{cert}-{number}" max="100" value="{percent}">{percent} %</progress>'
         '\n              <p class="mb-1"><strong class="counted">{counted}</strong> {of_required}'
         '{pending}{owed}</p>\n              <p class="mb-2">\n                {pace}'
         '\n                {deadline}\n              </p>\n              {caps}'
         '\n              <p class="mt-2 mb-0 small"><a href="{detail}">{detail_label}</a></p>'
         '\n            </div>\n          ')
_CAPS = ('\n              <details class="cap-uses">\n                <summary>{}</summary>'
         '\n                <ul class="list-unstyled mt-2 mb-0">\n                  {}'
         '\n                </ul>\n              </details>\n              ')
_PACE = {
    Progress.MET: '<span class="status status-met">{}</span> — {}\n                ',
    Progress.AT_RISK: '<span class="status status-at-risk">{}</span> — {}\n                ',
    Progress.ON_TRACK: '<span class="status status-on-track">{}</span> — {}',
}


def _pace(say: Words, year: YearStanding) -> str:
    """Where the year stands against its pace, in a word and a sentence."""
    pace = year.progress
    missing = _credits(year.missing, places=True)
    if pace == Progress.MET:
        words = say("Met"), say("you have what this year requires.")
    elif pace == Progress.AT_RISK:
        words = say("At risk"), say("%(missing)s credits still needed.", missing=missing)
    else:
        words = say("On track"), say("%(missing)s credits to go.", missing=missing)
    return _PACE[pace].format(*words)


def year_standings_html(say: Words, years: Sequence[YearStanding],
                        certification_id: int) -> str:
    """The open years of one certification card on the dashboard: counted against the
    requirement with a bar, what waits for review or for the holder's proof, the pace, the
    deadline, the capped activities of the current year and a link to the year."""
    cert = int(certification_id)
    blocks = []
    for position, year in enumerate(years, start=1):
        number = int(year.window.number)
        pending = owed = caps = ""
        if year.awaiting_review:
            pending = " · " + say("%(pending)s credits awaiting review",
                                   pending=_credits(year.awaiting_review, places=True))
        if year.proof_owed:
            owed = ' · <a href="#proof-owed-heading">{}</a>'.format(
                say("%(owed)s credits wait for your proof",
                     owed=_credits(year.proof_owed, places=True)))
        if year.is_current:
            caps = _CAPS.format(say("Capped activities this year"),
                                _cap_uses_html(say, year.cap_uses, cert))
        blocks.append(_YEAR.format(
            mb="" if position == len(years) else " mb-4",
            heading=(say("Current year (%(number)s)", number=number) if year.is_current
                     else say("Year %(number)s: reporting window", number=number)),
            starts=say.day(year.window.starts_on), ends=say.day(year.window.ends_on),
            cert=cert, number=number, counted_label=say("Credits counted"),
            percent=int(year.percent), counted=_credits(year.counted, places=True),
            of_required=say("of %(required)s credits counted",
                             required=_credits(year.requirement)),
            pending=pending, owed=owed, pace=_pace(say, year),
            deadline=say("Deadline %(deadline)s (%(days)s days left).",
                          deadline=say.day(year.window.deadline), days=int(year.days_left)),
            caps=caps, detail=path("submissions:year_detail", cert, number),
            detail_label=say("Year %(number)s in detail and transcript", number=number)))
    return "".join(blocks)


# One bar of the dashboard's chart of credits counted by activity; the template's indentation.
_CHART_ROW = ('\n          <li class="chart-row">\n            <span class="chart-label">{}</span>'
              '\n            <svg class="chart-bar-box" viewBox="0 0 150 16"'
              ' preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect x="0"'
              ' y="0" height="16" width="{}" class="chart-bar" rx="2"></rect></svg>'
              '\n            <span class="chart-value">{}</span>\n          </li>\n        ')


@register.simple_tag
def chart_rows(bars: Iterable[ChartBar]) -> SafeString:
    """The bars of the dashboard's chart: each activity's whole name, a bar 150 wide at most
    (as `widthratio` drew it), and its credits."""
    say = Words()
    return mark_safe("".join(  # noqa: S308 (every value escaped)
        _CHART_ROW.format(escape(bar.label), round(float(bar.percent) / 100 * 150),
                          say("%(credits)s credits", credits=_credits(bar.credits,
                                                                       places=True)))
        for bar in bars))


# --- The dashboard's certification cards --------------------------------------------------------

# One certification's card; the template's indentation kept.
_CARD = ('\n  \n  <div class="col-lg-6">\n    <section class="card h-100 certification-card"'
         ' aria-labelledby="cert-{pk}">\n      <div class="card-body">'
         '\n        <h2 class="h4 card-title" id="cert-{pk}">{name}</h2>'
         '\n        <p class="text-body-secondary mb-3">{level} · {awarded}</p>'
         '\n        {reinstated}\n        {body}\n      </div>'
         '\n      <div class="card-footer small d-flex flex-wrap gap-3">'
         '\n        <a href="{years}">{all_years}</a>'
         '\n        <span class="badge-links">{badge_label} <a href="{badge}">{badge_link}</a>'
         ' · <a href="{badge}#badge-download">{download}</a>{linkedin}'
         ' · <a href="{badge}#badge-qr">{qr_code}</a></span>'
         '\n      </div>\n    </section>\n  </div>\n  \n')
# LinkedIn's add-to-profile link, on the badge page, while the certification is active.
_LINKEDIN = ' · <a href="{}#badge-linkedin">{}</a>'
_REINSTATED = ('\n          <p class="reinstated"><span class="status status-met">{}</span> {} '
               '<a href="{}">{}</a></p>\n        ')
_DECERTIFIED = ('\n          <div class="year-end year-end-decertified">'
                '\n            <p class="mb-2"><span class="status status-decertified">{}</span>'
                '</p>\n            {}'
                '\n          </div>\n        ')
_NO_CPE = ('\n          <p class="status status-met"><strong>{}</strong> {}</p>\n        ')
_HELD = ('\n            <div class="year-end year-end-held mb-4">'
         '\n              <h3 class="h6">{} {}</h3>\n              {}'
         '\n              <p class="mt-2 mb-0 small"><a href="{}">{}</a></p>'
         '\n            </div>\n          ')


def _card_body(say: Words, standing: object, certification: Certification) -> str:
    if standing.decertification:
        return _DECERTIFIED.format(say("Decertified"), year_end_html(
            say, certification, standing.year_end, standing.decertification))
    if not standing.requires_cpe:
        return _NO_CPE.format(say("No CPE required."),
                              say("Foundation titles have no yearly CPE requirement."))
    held = ""
    if year := standing.year_end:
        number = int(year.window.number)
        held = _HELD.format(
            say("Year %(number)s", number=number), year_end_label_html(say, year),
            year_end_html(say, certification, year),
            path("submissions:year_detail", certification.pk, number),
            say("Year %(number)s in detail and transcript", number=number))
    return (f"\n          {held}\n          "
            f"{year_standings_html(say, standing.years, certification.pk)}\n        ")


@register.simple_tag
def certification_cards(standings: Iterable[object]) -> SafeString:
    """The dashboard's card of each certification (a `CertificationStanding`): its title,
    level and award; a reinstatement by the Board; then the decertification and how to appeal
    it, or that the title needs no CPE, or the year that ended short and the open years; and
    links to every year and to the badge page: the page, its downloads, LinkedIn (while the
    certification is active) and its QR code, all read from the certification itself."""
    say, cards = Words(), []
    for standing in standings:
        certification = standing.certification
        reinstated = ""
        if standing.reinstated_on:
            reinstated = _REINSTATED.format(
                say("Reinstated on %(date)s by the Board’s decision.",
                     date=say.day(standing.reinstated_on)),
                say("The Board upheld your appeal against the decertification: you may use "
                     "the title again, and its badge is valid."),
                _denial_url(standing.reinstated_denial_id), say("See the decision"))
        badge = path("certifications:badge", certification.badge_id)
        cards.append(_CARD.format(
            pk=int(certification.pk), name=escape(certification.title.name),
            level=escape(certification.title.level.name),
            awarded=say("awarded %(date)s", date=say.day(certification.awarded_on)),
            reinstated=reinstated, body=_card_body(say, standing, certification),
            years=path("submissions:year_list", certification.pk),
            all_years=say("All years"),
            badge=badge, badge_label=say("Badge:"), badge_link=say("public page"),
            download=say("download"), qr_code=say("QR code"),
            linkedin=_LINKEDIN.format(badge, say("LinkedIn")) if certification.is_active
            else ""))
    return mark_safe("".join(cards))  # noqa: S308 (every value escaped)
