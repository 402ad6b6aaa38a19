"""Custom values are stored so that the database can filter, sort and aggregate them, the same
way on SQLite and PostgreSQL."""

from decimal import Decimal

from django.db.models import DecimalField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.services.deals import deal_create


def _deal(people, title, custom):
    return deal_create(actor=people.alice, data={"title": title, "custom": custom})


def test_number_values_sort_numerically(people):
    for title, pct in [("a", 25), ("b", 5), ("c", 100)]:
        _deal(people, title, {"discount_percent": pct})
    ordered = Deal.objects.order_by("custom__discount_percent").values_list("title", flat=True)
    assert list(ordered) == ["b", "a", "c"]


def test_dates_filter_by_range(people):
    _deal(people, "early", {"quote_date": "2025-09-30"})
    _deal(people, "late", {"quote_date": "2025-10-12"})
    found = Deal.objects.filter(custom__quote_date__gte="2025-10-01").values_list(
        "title", flat=True
    )
    assert list(found) == ["late"]


def test_money_amounts_aggregate_exactly(people):
    for amount in ["10.10", "20.20", "0.05"]:
        deal_create(
            actor=people.east_manager,
            data={"title": amount, "custom": {"cost_price": {"amount": amount, "currency": "USD"}}},
        )
    total = Deal.objects.aggregate(
        total=Sum(
            Cast(KT("custom__cost_price__amount"), DecimalField(max_digits=16, decimal_places=2))
        )
    )["total"]
    assert Decimal(total).quantize(Decimal("0.01")) == Decimal("30.35")


def test_multi_choice_filters_by_contained_option(people):
    _deal(people, "price", {"lost_reasons": ["price_too_high", "stable_supplier"]})
    _deal(people, "time", {"lost_reasons": ["lead_time_too_long"]})
    found = Deal.objects.filter(custom__lost_reasons__icontains='"price_too_high"')
    assert list(found.values_list("title", flat=True)) == ["price"]
