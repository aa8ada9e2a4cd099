"""The activity catalogue of the Quick CPE Guide, as PRODUCT.md's table gives it."""

from decimal import Decimal as D

from django.db import migrations

NET_HOURS = (
    "Count hours net of lunch, dinner, drinks and travel, in quarter hours (0.25, 0.5, …)."
)

# code, name, rule kind, rate, unit size, unit, step, range, attendance, cap, approval, help
CATALOGUE = [
    ("attend-webinar", "Attend a webinar (SECO webinars included)", "per_hour", D("1"), D("1"),
     "", D("1"), None, 80, D("10"), False,
     "1 credit per hour of webinar length, in whole quarter hours (50 minutes earn 0.75). "
     "You must attend at least 80 % of the webinar."),
    ("give-webinar", "Organise and give a webinar", "range", D("0"), D("1"), "", D("1"),
     (D("5"), D("6")), None, None, False,
     "Propose 5 to 6 credits, depending on the length of the webinar and the preparation it "
     "needed. A reviewer may adjust the value within that range."),
    ("exam-questions", "Create exam questions or exercises", "per_unit", D("1"), D("1"),
     "questions or exercises", D("1"), None, None, D("5"), True,
     "1 credit per exam question or exercise, upon approval."),
    ("forum-moderator", "Forum moderator activities", "per_hour", D("1"), D("1"), "", D("1"),
     None, None, D("5"), False, "1 credit per hour. " + NET_HOURS),
    ("mentor", "Exam or career mentor activities", "per_hour", D("1"), D("1"), "", D("1"),
     None, None, D("10"), False, "1 credit per hour. " + NET_HOURS),
    ("seco-foundation-course", "SECO Foundation course", "fixed", D("20"), D("1"), "", D("1"),
     None, None, None, False, "20 credits, based on the course's study load."),
    ("seco-practitioner-course", "SECO Practitioner course", "fixed", D("30"), D("1"), "",
     D("1"), None, None, None, False, "30 credits, based on the course's study load."),
    ("seco-expert-course", "SECO Expert course", "fixed", D("40"), D("1"), "", D("1"), None,
     None, None, False, "40 credits, based on the course's study load."),
    ("other-course", "Other course relevant to the field", "per_hour", D("1"), D("1"), "",
     D("1"), None, None, None, False,
     "1 credit per hour of training or self-study. " + NET_HOURS),
    ("seco-short-course", "SECO short course", "fixed", D("4"), D("1"), "", D("1"), None, None,
     None, False, "4 credits."),
    ("give-exam-prep-course", "Give an exam preparation course", "per_hour", D("1"), D("1"), "",
     D("1"), None, None, None, False, "1 credit per hour. " + NET_HOURS),
    ("attend-security-coach", "Participate in an Ask the Security Coach session", "per_hour",
     D("1"), D("1"), "", D("1"), None, None, None, False, "1 credit per hour. " + NET_HOURS),
    ("host-security-coach", "Host an Ask the Security Coach session", "fixed", D("5"), D("1"),
     "", D("1"), None, None, None, False, "5 credits."),
    ("read-books", "Read books", "per_unit", D("1"), D("100"), "pages", D("1"), None, None,
     D("5"), True, "1 credit per 100 pages (250 pages earn 2.50), upon approval."),
    ("listen-podcasts", "Listen to podcasts", "per_unit", D("1"), D("3"), "hours of podcast",
     D("0.25"), None, None, D("5"), False,
     "1 credit per 3 hours of podcast (7 hours earn 2.33), in quarter hours."),
]


def load(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for position, row in enumerate(CATALOGUE, start=1):
        (code, name, kind, rate, unit_size, unit, step, bounds, attendance, cap, approval,
         help_text) = row
        ActivityType.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "rule_kind": kind, "rate": rate, "unit_size": unit_size,
                "unit_label": unit, "quantity_step": step,
                "range_min": bounds[0] if bounds else None,
                "range_max": bounds[1] if bounds else None,
                "min_attendance_percent": attendance, "annual_cap": cap,
                "needs_approval": approval, "help_text": help_text, "active": True,
                "position": position,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("activities", "ActivityType").objects.filter(
        code__in=[row[0] for row in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
