"""What an entry earns, for every row of the catalogue and every example of PRODUCT.md.

The rules are tested as plain values (RULES, the catalogue's rules as the migration lays them,
checked against the database once), so that they run without a database, as `make mutation`
runs them."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from activities.enums import RuleKind
from activities.rules import (
    INPUT_FIELDS,
    Earning,
    Inputs,
    InvalidInput,
    Rule,
    amount_text,
    credits_text,
    describe_rule,
    earned_credits,
    plain,
)
from tests.factories import activity

D = Decimal

# The catalogue's rules, code by code.
RULES = {
    "attend-webinar": Rule(RuleKind.PER_HOUR, D("1"), min_attendance_percent=80),
    "give-webinar": Rule(RuleKind.RANGE, D("0"), range_min=D("5"), range_max=D("6")),
    "exam-questions": Rule(RuleKind.PER_UNIT, D("1")),
    "forum-moderator": Rule(RuleKind.PER_HOUR, D("1")),
    "mentor": Rule(RuleKind.PER_HOUR, D("1")),
    "seco-foundation-course": Rule(RuleKind.FIXED, D("20")),
    "seco-practitioner-course": Rule(RuleKind.FIXED, D("30")),
    "seco-expert-course": Rule(RuleKind.FIXED, D("40")),
    "other-course": Rule(RuleKind.PER_HOUR, D("1")),
    "seco-short-course": Rule(RuleKind.FIXED, D("4")),
    "give-exam-prep-course": Rule(RuleKind.PER_HOUR, D("1")),
    "attend-security-coach": Rule(RuleKind.PER_HOUR, D("1")),
    "host-security-coach": Rule(RuleKind.FIXED, D("5")),
    "read-books": Rule(RuleKind.PER_UNIT, D("1"), unit_size=D("100")),
    "listen-podcasts": Rule(RuleKind.PER_UNIT, D("1"), unit_size=D("3"), quantity_step=D("0.25")),
}


def earn(code: str, **inputs: object) -> Decimal:
    return earned_credits(RULES[code], Inputs(**inputs)).credits


@pytest.mark.django_db
def test_catalogue_rules_are_the_rules_tested_here():
    from activities.models import ActivityType

    assert {a.code: a.rule for a in ActivityType.objects.all()} == RULES


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


def test_webinar_attended_75_percent_earns_nothing_and_says_why():
    earning = earned_credits(
        RULES["attend-webinar"], Inputs(length_minutes=60, attended_minutes=45)
    )
    assert earning.credits == D("0")
    assert "75 %" in earning.reason
    assert "80 %" in earning.reason


def test_webinar_attended_exactly_80_percent_earns():
    assert earn("attend-webinar", length_minutes=60, attended_minutes=48) == D("1.00")


def test_webinar_shorter_than_a_quarter_hour_earns_nothing():
    earning = earned_credits(
        RULES["attend-webinar"], Inputs(length_minutes=14, attended_minutes=14)
    )
    assert earning.credits == D("0")
    assert earning.reason


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
        earned_credits(RULES[code], Inputs(**inputs))
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


# --- Edges, rates other than 1, and what the holder is told ------------------------------------

@pytest.mark.parametrize(("proposed", "credits"), [(D("5"), D("5.00")), (D("6"), D("6.00")),
                                                   (D("5.01"), D("5.01"))])
def test_range_proposal_of_exactly_its_bounds_is_accepted(proposed, credits):
    assert earn("give-webinar", proposed_credits=proposed) == credits


@pytest.mark.parametrize("proposed", [D("4.99"), D("6.01"), D("5.555"), D("0")])
def test_range_proposal_just_outside_says_the_bounds(proposed):
    with pytest.raises(InvalidInput) as error:
        earn("give-webinar", proposed_credits=proposed)

    assert (error.value.field, error.value.message) == (
        "proposed_credits", "Propose between 5 and 6 credits, with at most two decimals.")
    assert str(error.value) == error.value.message


def test_webinar_attended_just_under_80_percent_earns_nothing_and_says_why():
    earning = earned_credits(RULES["attend-webinar"],
                             Inputs(length_minutes=500, attended_minutes=399))

    assert earning.credits == D("0")
    assert earning.reason == ("You attended 79 % of the session; at least 80 % is needed to "
                              "earn credits.")


def test_webinar_attended_exactly_80_percent_earns_the_whole_length():
    earning = earned_credits(RULES["attend-webinar"],
                             Inputs(length_minutes=500, attended_minutes=400))

    assert earning == earned_credits(RULES["attend-webinar"],
                                     Inputs(length_minutes=500, attended_minutes=500))
    assert (earning.credits, earning.reason) == (D("8.25"), "")


def test_session_with_no_minimum_attendance_earns_even_unattended():
    rule = Rule(RuleKind.PER_HOUR, D("1"), min_attendance_percent=0)

    assert earned_credits(rule, Inputs(length_minutes=60, attended_minutes=0)).credits == D("1")


def test_webinar_shorter_than_a_quarter_hour_says_why():
    earning = earned_credits(RULES["attend-webinar"],
                             Inputs(length_minutes=14, attended_minutes=14))

    assert earning.reason == "A session shorter than a quarter of an hour earns nothing."


@pytest.mark.parametrize(("rule", "inputs", "credits"), [
    # Rounded down to the cent: 1.875 is 1.87.
    (Rule(RuleKind.PER_HOUR, D("1.5")), {"hours": D("1.25")}, D("1.87")),
    (Rule(RuleKind.PER_HOUR, D("2")), {"hours": D("0.25")}, D("0.50")),
    (Rule(RuleKind.PER_HOUR, D("1.5"), min_attendance_percent=80),
     {"length_minutes": 50, "attended_minutes": 45}, D("1.12")),
    (Rule(RuleKind.PER_UNIT, D("2"), unit_size=D("3")), {"quantity": D("2")}, D("1.33")),
    (Rule(RuleKind.PER_UNIT, D("0.5")), {"quantity": D("3")}, D("1.50")),
    (Rule(RuleKind.FIXED, D("2.5")), {}, D("2.50")),
    (Rule(RuleKind.FIXED, D("1.005")), {}, D("1.00")),
])
def test_an_activity_rate_other_than_1_multiplies_what_was_done(rule, inputs, credits):
    assert earned_credits(rule, Inputs(**inputs)) == Earning(credits)


@pytest.mark.parametrize(("rule", "inputs", "field", "message"), [
    (PER_HOUR, {}, "hours", "Enter the number of hours."),
    (PER_HOUR, {"hours": D("0")}, "hours",
     "Enter hours in quarter hours greater than zero, e.g. 1.25 or 2.5."),
    (PER_HOUR, {"hours": D("1.3")}, "hours",
     "Enter hours in quarter hours greater than zero, e.g. 1.25 or 2.5."),
    (RULES["read-books"], {}, "quantity", "Enter how many you did."),
    (RULES["read-books"], {"quantity": D("0")}, "quantity",
     "Enter a whole number greater than zero."),
    (RULES["read-books"], {"quantity": D("1.5")}, "quantity",
     "Enter a whole number greater than zero."),
    (RULES["listen-podcasts"], {"quantity": D("0.3")}, "quantity",
     "Enter a number greater than zero in steps of 0.25."),
    (RULES["listen-podcasts"], {"quantity": D("-0.25")}, "quantity",
     "Enter a number greater than zero in steps of 0.25."),
    (RULES["give-webinar"], {}, "proposed_credits", "Enter the credits you propose."),
    (WEBINAR, {"attended_minutes": 60}, "length_minutes",
     "Enter the length of the session in minutes."),
    (WEBINAR, {"length_minutes": 60}, "attended_minutes", "Enter how many minutes you attended."),
    (WEBINAR, {"length_minutes": 0, "attended_minutes": 0}, "length_minutes",
     "The length must be more than zero minutes."),
    (WEBINAR, {"length_minutes": 60, "attended_minutes": 61}, "attended_minutes",
     "Minutes attended must be between 0 and the length of the session (60)."),
    (WEBINAR, {"length_minutes": 60, "attended_minutes": -1}, "attended_minutes",
     "Minutes attended must be between 0 and the length of the session (60)."),
])
def test_refused_inputs_name_the_field_and_say_what_to_enter(rule, inputs, field, message):
    with pytest.raises(InvalidInput) as error:
        earned_credits(rule, Inputs(**inputs))

    assert (error.value.field, error.value.message, str(error.value)) == (field, message, message)


@pytest.mark.parametrize(("rule", "kwargs", "text"), [
    (WEBINAR, {}, "1 per hour of session length, if you attend at least 80 %"),
    (Rule(RuleKind.PER_HOUR, D("1.50")), {}, "1.5 per hour"),
    (Rule(RuleKind.PER_UNIT, D("2"), unit_size=D("100.00")), {"unit_label": "pages"},
     "2 per 100 pages"),
    (Rule(RuleKind.PER_UNIT, D("1")), {}, "1 per 1 "),
    (Rule(RuleKind.FIXED, D("1")), {}, "1 credit"),
    (Rule(RuleKind.FIXED, D("4.00")), {}, "4 credits"),
    (Rule(RuleKind.RANGE, D("0"), range_min=D("5.00"), range_max=D("6.50")), {},
     "5 to 6.5 credits"),
    (Rule(RuleKind.RANGE, D("0")), {}, "0 to 0 credits"),
    (PER_HOUR, {"annual_cap": D("10.00")}, "1 per hour; at most 10 a year"),
    (PER_HOUR, {"annual_cap": None}, "1 per hour"),
])
def test_describe_rule_says_what_each_kind_earns(rule, kwargs, text):
    assert describe_rule(rule, **kwargs) == text


@pytest.mark.parametrize(("value", "text"), [
    (D("100.00"), "100"), (D("2.50"), "2.5"), (D("0.25"), "0.25"), (D("0"), "0")])
def test_plain_has_no_trailing_zeros_or_exponent(value, text):
    assert plain(value) == text


@pytest.mark.parametrize(("value", "always_places", "language", "text"), [
    (D("10"), False, "en", "10"),
    (D("10.00"), False, "en", "10"),
    (D("2.5"), False, "en", "2.50"),
    (D("10"), True, "en", "10.00"),
    (D("2.5"), False, "nl", "2,50"),
    (D("40"), True, "nl", "40,00"),
    (D("40"), False, "nl", "40"),
])
def test_credits_text_whole_or_with_two_places_in_the_language(value, always_places, language,
                                                                 text):
    with translation.override(language):
        assert credits_text(value, always_places=always_places) == text


def test_credits_text_shows_whole_numbers_bare_unless_asked():
    assert (credits_text(D("10")), credits_text(D("2.5"))) == ("10", "2.50")


def test_inputs_from_data_take_only_inputs_and_a_rule_keeps_what_it_reads():
    data = {"hours": D("2"), "quantity": D("3"), "length_minutes": 60, "attended_minutes": 50,
            "proposed_credits": D("5"), "title": "Not an input"}

    inputs = Inputs.from_data(data)

    assert INPUT_FIELDS == ("hours", "length_minutes", "attended_minutes", "quantity",
                            "proposed_credits")
    assert inputs == Inputs(hours=D("2"), length_minutes=60, attended_minutes=50,
                            quantity=D("3"), proposed_credits=D("5"))
    assert Inputs.from_data({}) == Inputs()
    assert inputs.kept_for(PER_HOUR) == Inputs(hours=D("2"))
    assert inputs.kept_for(WEBINAR) == Inputs(length_minutes=60, attended_minutes=50)
    assert inputs.kept_for(RULES["read-books"]) == Inputs(quantity=D("3"))
    assert inputs.kept_for(RULES["give-webinar"]) == Inputs(proposed_credits=D("5"))
    assert inputs.kept_for(RULES["seco-short-course"]) == Inputs()


@pytest.mark.parametrize(("code", "inputs", "unit", "expected"), [
    ("read-books", {"quantity": D("250")}, "pages", "250 pages"),
    ("listen-podcasts", {"quantity": D("7.25")}, "hours of podcast", "7.25 hours of podcast"),
    ("attend-webinar", {"length_minutes": 120, "attended_minutes": 90}, "",
     "90 of 120 minutes attended"),
    ("other-course", {"hours": D("1")}, "", "1 hour"),
    ("other-course", {"hours": D("3.50")}, "", "3.5 hours"),
    ("give-webinar", {"proposed_credits": D("5.5")}, "", "5.50 credits proposed"),
    ("seco-short-course", {}, "", ""),
])
def test_amount_text_gives_what_the_holder_entered_in_its_unit(code, inputs, unit, expected):
    assert amount_text(RULES[code], Inputs(**inputs), unit_label=unit) == expected
