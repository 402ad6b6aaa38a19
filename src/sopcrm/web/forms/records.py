"""Create and edit forms for accounts, contacts, leads and deals: their core fields plus the
custom fields the user may edit under the record's playbook version."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sopcrm.core import normalise
from sopcrm.core.models import User
from sopcrm.core.visibility import assignable_owners
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import LeadSource
from sopcrm.playbook.schema import FieldDef

from .base import CUSTOM_PREFIX, DateInput, DateTimeInput, WebForm
from .custom import add_custom_fields, custom_changes

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def owner_field(user: User, current_owner: Any = None) -> forms.ModelChoiceField[User]:
    """The people `user` may hand a record to, plus its current owner, so that an untouched
    select keeps the owner instead of showing nothing."""
    choices = assignable_owners(user)
    if isinstance(current_owner, int):
        choices |= Q(pk=current_owner)
    return forms.ModelChoiceField(
        queryset=User.objects.filter(choices).order_by("username"),
        required=False,
        empty_label="—",
        label=_("Owner"),
    )


class RecordForm(WebForm):
    """Core fields (declared by each subclass) plus editable custom fields.

    `service_data` builds the `data` a record service takes: on edit only what the person
    changed (so an untouched field is never re-validated or re-logged), on create what they
    filled in.
    """

    def __init__(
        self,
        *args: Any,
        user: User,
        custom_fields: list[FieldDef],
        custom_values: dict[str, Any],
        language: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.custom_fields = custom_fields
        self.fields["owner"] = owner_field(user, self.initial.get("owner"))
        self.init_core_fields()
        add_custom_fields(self, custom_fields, custom_values, language)

    def init_core_fields(self) -> None:
        """Set querysets that depend on the user (subclasses)."""

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        fields = self.visible_fields()
        core = [f for f in fields if not f.name.startswith(CUSTOM_PREFIX)]
        custom = [f for f in fields if f.name.startswith(CUSTOM_PREFIX)]
        return [("", core), (str(_("More fields")), custom)] if custom else [("", core)]

    def service_data(self, *, only_changed: bool) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.fields:
            if name.startswith(CUSTOM_PREFIX):
                continue
            value = self.cleaned_data.get(name)
            if only_changed and name not in self.changed_data:
                continue
            if not only_changed and value in (None, ""):
                continue
            data[name] = value
        custom = custom_changes(self, self.custom_fields, only_changed=only_changed)
        if custom:
            data["custom"] = custom
        return data


def _record_choice(label: "StrOrPromise") -> forms.ModelChoiceField[Any]:
    # The queryset is set per request from a selector, so only visible records are offered.
    return forms.ModelChoiceField(queryset=None, required=False, empty_label="—", label=label)


def _set_choices(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class AccountForm(RecordForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=100, required=False, help_text=_("Code or name, e.g. DE.")
    )
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)


class ContactForm(RecordForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    account = _record_choice(_("Account"))
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=100, required=False, help_text=_("Code or name, e.g. DE.")
    )

    def init_core_fields(self) -> None:
        _set_choices(self, "account", selectors.account_list(self.user).order_by("name"))


class LeadForm(RecordForm):
    name = forms.CharField(label=_("Contact name"), max_length=200)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=100, required=False, help_text=_("Code or name, e.g. DE.")
    )
    source = forms.ChoiceField(label=_("Source"), choices=LeadSource.choices)
    message = forms.CharField(label=_("Inquiry"), widget=forms.Textarea, required=False)


class LeadCreateForm(LeadForm):
    # Only when creating: an inquiry copied from a B2B platform keeps the time it arrived.
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=DateTimeInput(),
        required=False,
        help_text=_("Empty means now; set it for an inquiry that arrived earlier."),
    )


class DealForm(RecordForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    account = _record_choice(_("Account"))
    contact = _record_choice(_("Contact"))
    amount = forms.DecimalField(label=_("Amount"), max_digits=16, decimal_places=2, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    expected_close_on = forms.DateField(
        label=_("Expected close"), widget=DateInput(), required=False
    )

    def init_core_fields(self) -> None:
        _set_choices(self, "account", selectors.account_list(self.user).order_by("name"))
        _set_choices(self, "contact", selectors.contact_list(self.user).order_by("name"))


class DealCreateForm(DealForm):
    lead = _record_choice(_("From lead"))

    def init_core_fields(self) -> None:
        super().init_core_fields()
        # Offer only the lead the deal is created from: a list of every lead would be huge.
        lead_id = str(self.data.get("lead") or self.initial.get("lead") or "")
        leads = selectors.lead_list(self.user)
        _set_choices(
            self,
            "lead",
            leads.filter(pk=pk) if (pk := normalise.record_id(lead_id)) else leads.none(),
        )
