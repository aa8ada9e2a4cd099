"""What an entry earns, for every row of the catalogue and every example of PRODUCT.md."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.enums import RuleKind
from activities.rules import Inputs, InvalidInput, Rule, describe_rule, earned_credits
from tests.factories import activity

D = Decimal


def earn(code: str, **inputs: object) -> Decimal:
    return earned_credits(activity(code).rule, Inputs(**inputs)).credits


# Every catalogue row: (code, inputs, expected credits).
CATALOGUE_CASES = [
    ("attend-webinar", {"length_minutes": 90, "attended_minutes": 90}, D("1.50")),
    ("attend-webinar", {"length_minutes": 50, "attended_minutes": 50}, D("0.75")),
    ("give-webinar", {"proposed_credits": D("5.50")}, D("5.50")),
    ("exam-questions", {"quantity": D("3")}, D("3.00")),
    ("forum-moderator", {"hours": D("2.25")}, D("2.25")),
    ("mentor", {"hours": D("4")}, D("4.00")),
    ("seco-foundation-course", {}, D("20.00")),
    ("seco-practitioner-course", {}, D("30.00")),
    ("seco-expert-course", {}, D("40.00")),
    ("other-course", {"hours": D("10")}, D("10.00")),
    ("seco-short-course", {}, D("4.00")),
    ("give-exam-prep-course", {"hours": D("6.5")}, D("6.50")),
    ("attend-security-coach", {"hours": D("1")}, D("1.00")),
    ("host-security-coach", {}, D("5.00")),
    ("read-books", {"quantity": D("250")}, D("2.50")),
    ("listen-podcasts", {"quantity": D("7")}, D("2.33")),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "inputs", "expected"), CATALOGUE_CASES)
def test_earned_credits_every_catalogue_row(code, inputs, expected):
    assert earn(code, **inputs) == expected


@pytest.mark.django_db
def test_catalogue_rows_each_have_a_case():
    from activities.models import ActivityType

    codes = set(ActivityType.objects.values_list("code", flat=True))
    assert {case[0] for case in CATALOGUE_CASES} == codes


@pytest.mark.django_db
def test_catalogue_matches_product_table():
    from activities.models import ActivityType

    table = {
        a.code: (a.rule_kind, a.rate, a.annual_cap, a.needs_approval)
        for a in ActivityType.objects.all()
    }
    assert table == {
        "attend-webinar": ("per_hour", D("1"), D("10"), False),
        "give-webinar": ("range", D("0"), None, False),
        "exam-questions": ("per_unit", D("1"), D("5"), True),
        "forum-moderator": ("per_hour", D("1"), D("5"), False),
        "mentor": ("per_hour", D("1"), D("10"), False),
        "seco-foundation-course": ("fixed", D("20"), None, False),
        "seco-practitioner-course": ("fixed", D("30"), None, False),
        "seco-expert-course": ("fixed", D("40"), None, False),
        "other-course": ("per_hour", D("1"), None, False),
        "seco-short-course": ("fixed", D("4"), None, False),
        "give-exam-prep-course": ("per_hour", D("1"), None, False),
        "attend-security-coach": ("per_hour", D("1"), None, False),
        "host-security-coach": ("fixed", D("5"), None, False),
        "read-books": ("per_unit", D("1"), D("5"), True),
        "listen-podcasts": ("per_unit", D("1"), D("5"), False),
    }
    webinar = ActivityType.objects.get(code="attend-webinar")
    assert webinar.min_attendance_percent == 80
    give = ActivityType.objects.get(code="give-webinar")
    assert (give.range_min, give.range_max) == (D("5"), D("6"))


@pytest.mark.django_db
def test_webinar_attended_75_percent_earns_nothing_and_says_why():
    earning = earned_credits(
        activity("attend-webinar").rule, Inputs(length_minutes=60, attended_minutes=45)
    )
    assert earning.credits == D("0")
    assert "75 %" in earning.reason
    assert "80 %" in earning.reason


@pytest.mark.django_db
def test_webinar_attended_exactly_80_percent_earns():
    assert earn("attend-webinar", length_minutes=60, attended_minutes=48) == D("1.00")


@pytest.mark.django_db
def test_webinar_shorter_than_a_quarter_hour_earns_nothing():
    earning = earned_credits(
        activity("attend-webinar").rule, Inputs(length_minutes=14, attended_minutes=14)
    )
    assert earning.credits == D("0")
    assert earning.reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "inputs", "field"),
    [
        ("other-course", {"hours": D("1.3")}, "hours"),
        ("other-course", {"hours": D("0")}, "hours"),
        ("other-course", {"hours": D("-1")}, "hours"),
        ("other-course", {}, "hours"),
        ("attend-webinar", {"length_minutes": 0, "attended_minutes": 0}, "length_minutes"),
        ("attend-webinar", {"length_minutes": 60, "attended_minutes": 61}, "attended_minutes"),
        ("attend-webinar", {"length_minutes": 60, "attended_minutes": -1}, "attended_minutes"),
        ("attend-webinar", {"length_minutes": 60}, "attended_minutes"),
        ("read-books", {"quantity": D("12.5")}, "quantity"),
        ("read-books", {"quantity": D("0")}, "quantity"),
        ("listen-podcasts", {"quantity": D("1.1")}, "quantity"),
        ("give-webinar", {"proposed_credits": D("4.99")}, "proposed_credits"),
        ("give-webinar", {"proposed_credits": D("6.01")}, "proposed_credits"),
        ("give-webinar", {"proposed_credits": D("5.555")}, "proposed_credits"),
        ("give-webinar", {}, "proposed_credits"),
    ],
)
def test_earned_credits_rejects_nonsense_with_the_field(code, inputs, field):
    with pytest.raises(InvalidInput) as error:
        earned_credits(activity(code).rule, Inputs(**inputs))
    assert error.value.field == field
    assert error.value.message


@pytest.mark.django_db
def test_rule_summary_names_rate_and_cap():
    assert activity("read-books").rule_summary == "1 per 100 pages; at most 5 a year"
    assert activity("seco-short-course").rule_summary == "4 credits"


def test_describe_rule_range():
    rule = Rule(RuleKind.RANGE, D("0"), range_min=D("5"), range_max=D("6"))
    assert describe_rule(rule) == "5 to 6 credits"


PER_UNIT = Rule(RuleKind.PER_UNIT, D("1"), unit_size=D("3"), quantity_step=D("0.25"))
PER_HOUR = Rule(RuleKind.PER_HOUR, D("1"))
WEBINAR = Rule(RuleKind.PER_HOUR, D("1"), min_attendance_percent=80)


@given(quarters=st.integers(min_value=1, max_value=4000))
def test_per_unit_never_credits_more_than_the_exact_rate(quarters):
    quantity = D(quarters) / 4
    credits = earned_credits(PER_UNIT, Inputs(quantity=quantity)).credits
    exact = quantity / 3
    assert credits <= exact < credits + D("0.01")


@given(quarters=st.integers(min_value=1, max_value=4000))
def test_per_hour_credits_equal_hours(quarters):
    hours = D(quarters) / 4
    assert earned_credits(PER_HOUR, Inputs(hours=hours)).credits == hours


@given(length=st.integers(min_value=1, max_value=600), data=st.data())
def test_webinar_earns_whole_quarter_hours_of_length_or_nothing(length, data):
    attended = data.draw(st.integers(min_value=0, max_value=length))
    credits = earned_credits(WEBINAR, Inputs(length_minutes=length, attended_minutes=attended))
    if attended * 100 < 80 * length:
        assert credits.credits == 0
    else:
        assert credits.credits == D(length // 15) / 4
