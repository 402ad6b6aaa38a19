"""Playbook conditions: parsing with positioned errors, static checks against field types, and
evaluation against stored field values."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sopcrm.core.fieldtypes import FieldType
from sopcrm.playbook.conditions import (
    MAX_DEPTH,
    MAX_LENGTH,
    Condition,
    ConditionError,
    parse_condition,
)

TODAY = date(2024, 6, 15)

FIELD_TYPES: dict[str, FieldType | str] = {
    "discount_percent": FieldType.NUMBER,
    "region": FieldType.CHOICE,
    "competitor": FieldType.TEXT,
    "quote_date": FieldType.DATE,
    "quote_valid_until": FieldType.DATE,
    "amount": FieldType.MONEY,
    "customer_tier": FieldType.CHOICE,
    "lost_reasons": FieldType.MULTI_CHOICE,
    "requirements_clear": FieldType.BOOL,
    "closed_at": FieldType.DATETIME,
    "owner": FieldType.USER,
    "country": FieldType.COUNTRY,
}


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def holds(source: str, today: date = TODAY, **values: object) -> bool:
    return parse_condition(source).evaluate(values, today=today)


def syntax_error(source: str) -> ConditionError:
    with pytest.raises(ConditionError) as error:
        parse_condition(source)
    return error.value


def check(source: str) -> list[str]:
    return [error.message for error in parse_condition(source).check(FIELD_TYPES)]


# --- The examples playbook authors write -----------------------------------------------------

EXAMPLES = [
    "discount_percent > 20",
    'region in ["eu_us", "sea"] and not empty(competitor)',
    "quote_valid_until >= quote_date + 7",
    "today() - quote_date > 14",
    'amount * 0.8 >= 1000 or customer_tier == "a"',
    "count(lost_reasons) >= 2",
    '"price_too_high" in lost_reasons',
    "requirements_clear == true",
    "competitor != null",
]


@pytest.mark.parametrize("source", EXAMPLES)
def test_documented_examples_pass_the_static_check(source):
    assert parse_condition(source).check(FIELD_TYPES) == []


def test_documented_examples_hold_for_a_matching_deal():
    values = {
        "discount_percent": 25,
        "region": "sea",
        "competitor": "Acme",
        "quote_date": "2024-05-01",
        "quote_valid_until": "2024-05-20",
        "amount": usd("1500.00"),
        "customer_tier": "b",
        "lost_reasons": ["price_too_high", "timing"],
        "requirements_clear": True,
    }
    assert all(parse_condition(s).evaluate(values, today=TODAY) for s in EXAMPLES)


# --- Operators --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x == 5", True),
        ("x != 5", False),
        ("x < 6", True),
        ("x < 5", False),
        ("x <= 5", True),
        ("x > 4", True),
        ("x > 5", False),
        ("x >= 5", True),
        ("x >= 6", False),
    ],
)
def test_each_comparison_operator_on_numbers(source, expected):
    assert holds(source, x=5) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [("7 + 3 == 10", True), ("7 - 3 == 4", True), ("7 * 3 == 21", True), ("7 / 2 == 3.5", True)],
)
def test_each_arithmetic_operator(source, expected):
    assert holds(source) is expected


def test_unary_minus_negates_a_field():
    assert holds("-x == -3", x=3)


def test_int_field_equals_decimal_literal():
    assert holds("x == 5.0", x=5)


def test_numbers_compare_as_decimals_without_float_surprises():
    assert holds("x + 0.2 == 0.3", x=0.1)


def test_text_equality_and_ordering():
    assert holds('tier == "a" and tier < "b"', tier="a")


def test_in_list_literal():
    assert holds('region in ["eu_us", "sea"]', region="sea")


def test_not_in_list_literal():
    assert holds('region not in ["eu_us", "sea"]', region="latam")


@pytest.mark.parametrize(
    ("a", "b", "both", "either"),
    [(True, True, True, True), (True, False, False, True), (False, False, False, False)],
)
def test_and_or_truth_table(a, b, both, either):
    assert holds("a and b", a=a, b=b) is both
    assert holds("a or b", a=a, b=b) is either


def test_not_inverts():
    assert holds("not a", a=False)


def test_and_or_chains_of_any_length():
    source = " or ".join(["x==1"] * 200) + " or x==2"
    assert holds(source, x=2)


def test_user_field_compares_with_an_id():
    assert holds("owner == 3", owner=3)


def test_bool_field_compares_with_true():
    assert holds("requirements_clear == true", requirements_clear=True)


def test_division_by_zero_is_null():
    assert holds("x / 0 == null", x=1)


# --- Precedence -------------------------------------------------------------------------------


def test_multiplication_binds_tighter_than_addition():
    assert holds("1 + 2 * 3 == 7")


def test_parentheses_override_precedence():
    assert holds("(1 + 2) * 3 == 9")


def test_subtraction_and_division_are_left_associative():
    assert holds("10 - 4 - 3 == 3 and 12 / 2 / 3 == 2")


def test_unary_minus_binds_tighter_than_multiplication():
    assert holds("-2 * 3 == -6 and 2 - -1 == 3")


def test_and_binds_tighter_than_or():
    assert holds("true or false and false")


def test_not_binds_looser_than_comparison():
    assert holds("not 1 == 2")


def test_not_binds_tighter_than_and():
    assert not holds("not true and false")


def test_arithmetic_binds_tighter_than_comparison():
    assert holds("x + 1 > 2 * 2", x=4)


# --- Null -------------------------------------------------------------------------------------


def test_missing_field_equals_null():
    assert holds("competitor == null")


def test_none_equals_null():
    assert holds("competitor == null", competitor=None)


def test_value_is_not_null():
    assert holds("competitor != null", competitor="Acme")


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_ordering_with_null_is_false(op):
    assert not holds(f"x {op} 1")
    assert not holds(f"1 {op} x")


def test_arithmetic_with_null_is_null():
    assert holds("x + 1 == null")


def test_not_treats_null_as_false():
    assert holds("not flag")


def test_and_treats_null_as_false():
    assert not holds("flag and true")


def test_or_treats_null_as_false():
    assert holds("flag or true")
    assert not holds("flag or false")


def test_null_is_in_nothing():
    assert not holds('region in ["eu"]')
    assert not holds('region not in ["eu"]')


def test_wrong_typed_value_acts_as_null_in_arithmetic():
    assert holds("discount_percent + 1 == null", discount_percent="lots")


def test_wrong_typed_value_is_not_ordered():
    assert not holds("discount_percent > 1", discount_percent=object())


def test_condition_that_is_not_a_bool_evaluates_false():
    assert parse_condition("1 + 1").evaluate({}, today=TODAY) is False


# --- Dates ------------------------------------------------------------------------------------


def test_date_plus_number_is_that_many_days_later():
    assert holds('quote_date + 7 == "2024-06-08"', quote_date="2024-06-01")


def test_number_plus_date_is_a_date():
    assert holds('7 + quote_date == "2024-06-08"', quote_date="2024-06-01")


def test_date_minus_number_is_that_many_days_earlier():
    assert holds('quote_date - 1 == "2024-05-31"', quote_date="2024-06-01")


def test_date_minus_date_is_days():
    assert holds("b - a == 30", a="2024-05-01", b="2024-05-31")


def test_date_plus_fractional_days_drops_the_fraction():
    assert holds('d + 1.9 == "2024-06-02" and d - 1.9 == "2024-05-31"', d="2024-06-01")


def test_today_is_supplied_by_the_caller():
    assert holds('today() == "2024-06-15"')
    assert holds("today() - quote_date > 14", quote_date="2024-05-01")
    assert not holds("today() - quote_date > 14", today=date(2024, 5, 10), quote_date="2024-05-01")


def test_days_is_sugar_for_a_number_of_days():
    assert holds("quote_valid_until >= quote_date + days(7)", **_quote(7))


def _quote(valid_days: int) -> dict[str, object]:
    start = date(2024, 6, 1)
    return {"quote_date": start, "quote_valid_until": start + timedelta(days=valid_days)}


def test_date_objects_and_iso_strings_compare_alike():
    assert holds("a == b", a=date(2024, 6, 1), b="2024-06-01")


def test_date_compares_with_a_date_literal():
    assert holds('quote_date > "2024-05-31"', quote_date="2024-06-01")


def test_date_plus_number_overflowing_the_calendar_is_null():
    assert holds("d + 1 == null", d=date.max)


def test_datetime_minus_datetime_is_fractional_days():
    assert holds("b - a == 1.5", a="2024-06-01T00:00:00+00:00", b="2024-06-02T12:00:00+00:00")


def test_datetime_plus_fractional_days_keeps_the_time():
    assert holds('a + 0.5 == "2024-06-01T12:00:00+00:00"', a="2024-06-01T00:00:00+00:00")


def test_datetime_compares_with_a_date_by_its_utc_date():
    evening_in_utc = datetime(2024, 6, 15, 23, 30, tzinfo=UTC)
    assert holds("closed_at == today()", closed_at=evening_in_utc)


def test_today_minus_datetime_is_whole_days():
    assert holds("today() - closed_at == 1", closed_at="2024-06-14T23:59:00+00:00")


def test_naive_datetime_is_taken_as_utc():
    assert holds("a == b", a=datetime(2024, 6, 1, 9), b="2024-06-01T09:00:00+00:00")


def test_datetime_passed_as_today_counts_as_its_date():
    assert parse_condition('today() == "2024-06-15"').evaluate(
        {}, today=datetime(2024, 6, 15, 18, tzinfo=UTC)
    )


# --- Money ------------------------------------------------------------------------------------


def test_money_compares_with_a_number_by_its_amount():
    assert holds("amount >= 1000", amount=usd("1000.00"))


def test_money_times_number_is_money():
    assert holds("amount * 0.8 == 800", amount=usd("1000.00"))


def test_money_of_the_same_currency_compares():
    assert holds("a < b", a=usd("10.00"), b=usd("12.50"))


def test_money_of_the_same_currency_adds_up():
    assert holds("a + b == 22.50", a=usd("10.00"), b=usd("12.50"))


def test_money_divided_by_money_is_a_ratio():
    assert holds("a / b == 0.25", a=usd("25.00"), b=usd("100.00"))


def test_money_minus_number_is_money():
    assert holds("a - 5 == 5", a=usd("10.00"))


def test_money_in_another_currency_is_never_equal():
    a, b = usd("10.00"), {"amount": "10.00", "currency": "EUR"}
    assert not holds("a == b", a=a, b=b)
    assert holds("a != b", a=a, b=b)


def test_money_in_another_currency_is_not_ordered():
    a, b = usd("10.00"), {"amount": "20.00", "currency": "EUR"}
    assert not holds("a < b", a=a, b=b)
    assert not holds("a >= b", a=a, b=b)


def test_money_in_another_currency_does_not_add_up():
    assert holds("a + b == null", a=usd("1"), b={"amount": "1", "currency": "EUR"})


def test_malformed_money_is_null():
    assert holds("amount == null", amount={"amount": "lots", "currency": "USD"})


# --- Lists (multi_choice) ---------------------------------------------------------------------


def test_value_in_multi_choice():
    assert holds('"price_too_high" in lost_reasons', lost_reasons=["price_too_high", "timing"])


def test_value_not_in_multi_choice():
    assert holds('"timing" not in lost_reasons', lost_reasons=["price_too_high"])


def test_not_in_empty_multi_choice_stored_as_null():
    assert holds('"timing" not in lost_reasons')


def test_count_of_multi_choice():
    assert holds("count(lost_reasons) == 2", lost_reasons=["a", "b"])


def test_count_of_null_is_zero():
    assert holds("count(lost_reasons) == 0")


def test_lists_compare_as_sets():
    assert holds('lost_reasons == ["b", "a"]', lost_reasons=["a", "b"])


# --- empty() ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", []])
def test_empty_is_true_for_none_blank_and_empty_list(value):
    assert holds("empty(x)", x=value)


def test_empty_is_true_for_a_missing_field():
    assert holds("empty(x)")


@pytest.mark.parametrize("value", ["a", ["a"], 0, False])
def test_empty_is_false_for_a_value(value):
    assert not holds("empty(x)", x=value)


# --- Strings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "text"),
    [
        (r'"say \"hi\""', 'say "hi"'),
        (r"'it\'s'", "it's"),
        (r'"back\\slash"', "back\\slash"),
        (r'"a\nb\tc"', "a\nb\tc"),
        ("'single \"double\" inside'", 'single "double" inside'),
    ],
)
def test_string_escapes(literal, text):
    assert holds(f"x == {literal}", x=text)


def test_string_may_hold_keywords_and_brackets():
    assert holds('x == "a and (b"', x="a and (b")


# --- Syntax errors ----------------------------------------------------------------------------


def test_missing_operand_after_and_names_it_and_the_column():
    error = syntax_error('region == "eu" and')
    assert error.position == 18
    assert error.message == "expected an operand after 'and' at column 19"


def test_missing_operand_names_what_was_found():
    error = syntax_error("1 +* 2")
    assert error.position == 3
    assert "expected an operand after '+'" in error.message
    assert "found '*'" in error.message


def test_keyword_where_an_operand_belongs():
    assert syntax_error("and x").position == 0


def test_not_cannot_be_a_comparison_operand():
    assert syntax_error("x == not y").position == 5


def test_empty_condition():
    error = syntax_error("   ")
    assert (error.position, error.message) == (0, "the condition is empty at column 1")


def test_unexpected_character():
    error = syntax_error("x == 1 # note")
    assert error.position == 7
    assert "unexpected character '#'" in error.message


def test_single_equals_suggests_double():
    error = syntax_error("x = 1")
    assert error.position == 2
    assert "use '=='" in error.message


@pytest.mark.parametrize(("source", "hint"), [("a && b", "'and'"), ("a || b", "'or'")])
def test_c_style_logic_suggests_keywords(source, hint):
    error = syntax_error(source)
    assert error.position == 2
    assert f"use {hint}" in error.message


def test_uppercase_is_refused_with_a_hint():
    error = syntax_error("x == True")
    assert error.position == 5
    assert "lowercase" in error.message


def test_unterminated_string_points_at_its_opening_quote():
    error = syntax_error('x == "abc')
    assert error.position == 5
    assert "unterminated string" in error.message


def test_string_ending_in_a_backslash_is_unterminated():
    assert "unterminated" in syntax_error('x == "abc\\').message


def test_unknown_escape_points_at_the_backslash():
    error = syntax_error(r'x == "a\qb"')
    assert error.position == 7
    assert r"unknown escape '\q'" in error.message


def test_unclosed_parenthesis():
    error = syntax_error("(x + 1 > 2")
    assert error.position == 10
    assert "expected ')' to close the '(' at column 1" in error.message


def test_unclosed_list():
    error = syntax_error('x in ["a", "b"')
    assert error.position == 14
    assert "expected ',' or ']' to close the '[' at column 6" in error.message


def test_missing_comma_in_list():
    assert syntax_error('x in ["a" "b"]').position == 10


def test_unmatched_closing_parenthesis():
    error = syntax_error("x > 1)")
    assert error.position == 5
    assert "unexpected ')'" in error.message


def test_trailing_operand():
    error = syntax_error("x == 1 y")
    assert error.position == 7
    assert "unexpected 'y'" in error.message


def test_number_glued_to_a_name():
    assert syntax_error("quote_date + 7d").position == 14


def test_chained_comparison_is_refused():
    error = syntax_error("1 < x < 3")
    assert error.position == 6
    assert "cannot be chained" in error.message


def test_unknown_function_suggests_the_closest():
    error = syntax_error("cout(lost_reasons) > 1")
    assert error.position == 0
    assert "unknown function 'cout'" in error.message
    assert "did you mean 'count'?" in error.message


def test_wrong_number_of_arguments():
    error = syntax_error("x + today(1) > 2")
    assert error.position == 4
    assert "wrong number of arguments to today()" in error.message


def test_empty_parentheses():
    assert syntax_error("()").position == 1


def test_not_before_in_needs_an_operand_first():
    assert syntax_error('not in ["a"]').position == 4


# --- Limits -----------------------------------------------------------------------------------


def test_longest_condition_is_accepted():
    source = "x == 1" + " " * (MAX_LENGTH - 6)
    assert parse_condition(source).source == source


def test_too_long_condition_is_refused():
    error = syntax_error("x == 1" + " " * (MAX_LENGTH - 5))
    assert error.position == MAX_LENGTH
    assert f"longer than {MAX_LENGTH} characters" in error.message


def test_deepest_nesting_is_accepted():
    assert holds("(" * MAX_DEPTH + "true" + ")" * MAX_DEPTH)


@pytest.mark.parametrize(
    "source",
    [
        "(" * 1000 + "1" + ")" * 1000,
        "[" * 1000,
        "not " * 400 + "true",
        "-" * 1500 + "1",
        "count(" * 300,
        "1 + " * 450 + "1 == 1",
    ],
)
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(source):
    error = syntax_error(source[:MAX_LENGTH])
    assert f"nested more than {MAX_DEPTH} levels deep" in error.message


def test_nesting_one_past_the_limit_is_refused():
    error = syntax_error("(" * (MAX_DEPTH + 1) + "true" + ")" * (MAX_DEPTH + 1))
    assert error.position == MAX_DEPTH


# --- Static checks ----------------------------------------------------------------------------


def test_unknown_field_suggests_the_closest():
    assert check("discout_percent > 20") == [
        "unknown field 'discout_percent' at column 1 (did you mean 'discount_percent'?)"
    ]


def test_unknown_field_without_a_close_match():
    assert check("zebra == 1") == ["unknown field 'zebra' at column 1"]


def test_unknown_field_does_not_cascade_into_type_errors():
    assert check("-zebra + 1 > count(zebra)") == [
        "unknown field 'zebra' at column 2",
        "unknown field 'zebra' at column 20",
    ]


def test_comparing_text_with_a_number():
    [message] = check("region == 5")
    assert message == "'==' cannot compare text with a number at column 8"


def test_arithmetic_on_text():
    [message] = check("competitor + 1 > 2")
    assert "'+' cannot combine text and a number at column 12" in message


def test_adding_two_dates():
    assert check("quote_date + quote_valid_until > today()") == [
        "'+' cannot combine a date and a date at column 12"
    ]


def test_in_with_a_text_field_on_the_right():
    [message] = check('"x" in competitor')
    assert "'in' needs a list on its right, not text" in message


def test_in_with_a_multi_choice_field_on_the_right_is_fine():
    assert check('"x" not in lost_reasons') == []


def test_in_list_literal_with_an_item_of_another_type():
    [message] = check('region in ["eu", 1]')
    assert message == "'in' cannot compare text with a number at column 18"


def test_looking_for_a_list_in_a_list():
    assert "not for a list" in check("lost_reasons in lost_reasons")[0]


def test_count_of_a_non_list():
    assert check("count(region) > 1") == ["count() needs a list, not text at column 7"]


def test_days_of_a_non_number():
    assert check("days(region) > 1") == ["days() needs a number, not text at column 6"]


def test_negating_text():
    assert check("-region == 1") == ["'-' cannot negate text at column 1"]


def test_date_compared_with_text_that_is_not_a_date():
    [message] = check('quote_date > "soon"')
    assert "cannot compare a date with text" in message
    assert 'write a date as "YYYY-MM-DD"' in message


def test_date_compared_with_an_iso_date_literal_is_fine():
    assert check('quote_date > "2024-06-01" and closed_at < "2024-06-01"') == []


def test_ordering_with_null_is_reported_as_always_false():
    assert check("amount > null") == [
        "'>' with null is always false at column 8 (use '== null' or '!= null')"
    ]


def test_ordering_true_false_values():
    assert "cannot order true/false" in check("requirements_clear < true")[0]


def test_and_with_a_non_bool_operand():
    assert check("region and true") == ["'and' needs true/false, not text at column 1"]


def test_not_with_a_non_bool_operand():
    assert check("not amount") == ["'not' needs true/false, not money at column 5"]


def test_condition_must_give_true_or_false():
    assert check("amount * 2") == [
        "a condition must be true or false, but this one gives money at column 1"
    ]


def test_money_and_date_arithmetic_pass():
    assert check("amount - 100 > amount / 2 and today() - closed_at < 3") == []


def test_user_compares_with_a_number():
    assert check("owner == 3 and owner in [1, 2]") == []


def test_errors_come_in_order_of_position():
    errors = parse_condition("zebra == 1 and region == 5").check(FIELD_TYPES)
    assert [e.position for e in errors] == [0, 22]


def test_field_types_may_be_given_as_strings():
    condition = parse_condition("discount_percent > 20")
    assert condition.check({"discount_percent": "number"}) == []
    assert condition.check({"discount_percent": "text"}) != []


def test_fields_lists_the_keys_read():
    condition = parse_condition('a > 1 and count(b) == 2 or "x" in c or today() > d')
    assert condition.fields() == frozenset({"a", "b", "c", "d"})


def test_function_names_and_keywords_are_not_fields():
    assert parse_condition("empty(x) and true").fields() == frozenset({"x"})


def test_parsed_condition_keeps_its_source():
    condition = parse_condition("x > 1")
    assert isinstance(condition, Condition)
    assert condition.source == "x > 1"


# --- Properties -------------------------------------------------------------------------------

FIELD_VALUES = {
    "discount_percent": st.integers() | st.floats(),
    "region": st.sampled_from(["eu_us", "sea", "latam"]),
    "competitor": st.text(max_size=12),
    "quote_date": st.dates() | st.dates().map(date.isoformat),
    "quote_valid_until": st.dates().map(date.isoformat),
    "amount": st.builds(
        lambda amount, currency: {"amount": str(amount), "currency": currency},
        st.decimals(places=2, allow_nan=False, allow_infinity=False),
        st.sampled_from(["USD", "EUR"]),
    ),
    "customer_tier": st.sampled_from(["a", "b"]),
    "lost_reasons": st.lists(st.sampled_from(["price_too_high", "timing", "x"]), unique=True),
    "requirements_clear": st.booleans(),
    "closed_at": st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)
    | st.datetimes(timezones=st.just(UTC)),
    "owner": st.integers(min_value=1),
    "country": st.sampled_from(["CN", "US", "DE"]),
}
RECORDS = st.fixed_dictionaries({}, optional={k: v | st.none() for k, v in FIELD_VALUES.items()})

TOKENS = [
    *FIELD_TYPES,
    "zebra",
    *["0", "1", "7", "2.5", "1000", '"a"', "'eu_us'", '"2024-06-01"', '"price_too_high"'],
    *["true", "false", "null", "and", "or", "not", "in"],
    *["==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "(", ")", "[", "]", ","],
    *["today()", "count(", "empty(", "days("],
]


@given(st.text(max_size=300))
def test_any_text_parses_or_raises_condition_error(source):
    try:
        parse_condition(source)
    except ConditionError as error:
        assert error.message
        assert 0 <= error.position <= len(source)


@settings(max_examples=300)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join), RECORDS, st.dates())
def test_token_soup_parses_or_errors_and_then_checks_and_evaluates_without_raising(
    source, record, today
):
    try:
        condition = parse_condition(source)
    except ConditionError:
        return
    assert isinstance(condition.check(FIELD_TYPES), list)
    assert isinstance(condition.evaluate(record, today=today), bool)


@settings(max_examples=300)
@given(st.sampled_from(EXAMPLES), RECORDS, st.dates())
def test_examples_evaluate_to_a_bool_for_any_values_of_the_right_types(source, record, today):
    assert isinstance(parse_condition(source).evaluate(record, today=today), bool)


EXTREMES = [
    "quote_date + discount_percent > today()",
    "closed_at - discount_percent < today() + discount_percent",
    "today() - closed_at > discount_percent / 0.001",
    "amount * discount_percent * discount_percent > amount / discount_percent",
    "-amount < 0 and -discount_percent < 0",
]


@given(st.sampled_from(EXTREMES), RECORDS, st.dates())
def test_extreme_values_give_null_not_an_exception(source, record, today):
    assert isinstance(parse_condition(source).evaluate(record, today=today), bool)


@given(
    st.sampled_from(EXAMPLES + EXTREMES),
    st.dictionaries(
        st.sampled_from(list(FIELD_TYPES)),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=6,
        ),
    ),
)
def test_wrongly_typed_values_never_raise(source, record):
    assert isinstance(parse_condition(source).evaluate(record, today=TODAY), bool)


def test_decimal_values_are_accepted():
    assert holds("x == 1.5", x=Decimal("1.5"))
