"""Custom field values are checked strictly and stored in one form per type."""

import pytest

from sopcrm.core.fieldtypes import FieldValueError, clean_value


def test_number_refuses_numeric_string():
    with pytest.raises(FieldValueError) as error:
        clean_value("number", "12")
    assert error.value.code == "type"


def test_number_refuses_bool():
    with pytest.raises(FieldValueError):
        clean_value("number", True)


def test_money_is_stored_with_two_decimals_and_upper_currency():
    assert clean_value("money", {"amount": 12.5, "currency": "usd"}) == {
        "amount": "12.50",
        "currency": "USD",
    }


def test_money_refuses_unknown_currency():
    with pytest.raises(FieldValueError):
        clean_value("money", {"amount": "1", "currency": "XXY"})


def test_datetime_is_stored_in_utc():
    assert clean_value("datetime", "2025-10-01T08:30:00+08:00") == "2025-10-01T00:30:00+00:00"


def test_datetime_without_time_zone_is_refused():
    with pytest.raises(FieldValueError) as error:
        clean_value("datetime", "2025-10-01T08:30:00")
    assert error.value.code == "timezone"


def test_date_must_be_iso():
    with pytest.raises(FieldValueError):
        clean_value("date", "01/10/2025")


def test_choice_must_be_an_option():
    with pytest.raises(FieldValueError) as error:
        clean_value("choice", "x", ["a", "b"])
    assert error.value.code == "choice"


def test_multi_choice_is_deduplicated_in_option_order():
    assert clean_value("multi_choice", ["b", "a", "b"], ["a", "b", "c"]) == ["a", "b"]


def test_country_name_becomes_code():
    assert clean_value("country", "Germany") == "DE"


def test_empty_value_clears_field():
    assert clean_value("text", "") is None
    assert clean_value("multi_choice", [], ["a"]) is None
