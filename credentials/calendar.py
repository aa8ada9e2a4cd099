"""The holder's calendar as an iCalendar file (RFC 5545), written by the icalendar library."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .selectors import CalendarDate

# How often a subscribed calendar should fetch the feed again (clients may ask less often).
REFRESH = timedelta(hours=12)


def uid_domain() -> str:
    """The domain the events' UIDs end in: the portal's own (CPE_SITE_URL)."""
    return urlsplit(settings.CPE_SITE_URL).hostname or "localhost"


def calendar_file(dates: Iterable[CalendarDate], *, now: datetime) -> bytes:
    """The dates as all-day events (DATE values) with stable UIDs, each linking to its page in
    the portal."""
    calendar = Calendar()
    calendar.add("prodid", "-//CPE Portal//CPE dates//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("CPE dates"))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    domain = uid_domain()
    for date in dates:
        event = Event()
        event.add("uid", f"{date.uid}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", date.day)
        event.add("dtend", date.day + timedelta(days=1))
        event.add("summary", date.summary)
        event.add("description", f"{date.description}\n\n{date.url}")
        event.add("url", date.url)
        # A date to know, not time taken: it does not show the holder as busy.
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
