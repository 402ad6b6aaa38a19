"""Forms for tasks and logged contacts (calls, emails, meetings, messages, notes)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sopcrm.core.models import User
from sopcrm.crm.records.models import (
    ActivityKind,
    Channel,
    Direction,
    FeedbackType,
    NewInformation,
)

from .base import DateTimeInput, WebForm
from .records import owner_field

LOGGED_KINDS = [(k.value, k.label) for k in ActivityKind if k != ActivityKind.TASK]


def _blank_first(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class ActivityForm(WebForm):
    def service_data(self) -> dict[str, Any]:
        """What the person filled in, in the form the activity services take."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class LogActivityForm(ActivityForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=LOGGED_KINDS)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_blank_first(Channel.choices), required=False
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("Summary"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("What was said or agreed, so a colleague could take over."),
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=DateTimeInput(), required=False, help_text=_("Empty means now.")
    )

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        if "occurred_at" in data:
            data["occurred_at"] = data["occurred_at"].isoformat()
        return data


class AddTaskForm(ActivityForm):
    subject = forms.CharField(label=_("Task"), max_length=200)
    due_at = forms.DateTimeField(label=_("Due"), widget=DateTimeInput())

    def service_data(self) -> dict[str, Any]:
        return {
            "kind": ActivityKind.TASK.value,
            "subject": self.cleaned_data["subject"],
            "due_at": self.cleaned_data["due_at"].isoformat(),
        }


class CompleteTaskForm(ActivityForm):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_blank_first(Channel.choices), required=False
    )
    summary = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 2}))
    feedback_type = forms.ChoiceField(
        label=_("Customer feedback"), choices=_blank_first(FeedbackType.choices), required=False
    )
    new_information = forms.ChoiceField(
        label=_("New information it brought"),
        choices=_blank_first(NewInformation.choices),
        required=False,
    )
    required_css_class = "required"

    def __init__(self, *args: Any, requires: tuple[str, ...] = (), **kwargs: Any) -> None:
        """`requires`: the outcome fields the task's playbook template asks for besides the
        summary (channel and customer feedback for each chase step, S-15)."""
        super().__init__(*args, **kwargs)
        for name in requires:
            if name in self.fields:
                self.fields[name].required = True
        if "new_information" not in requires:
            del self.fields["new_information"]  # asked only of follow-ups (S-21)


class ActivityEditForm(ActivityForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_blank_first(Channel.choices), required=False
    )
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    feedback_type = forms.ChoiceField(
        label=_("Customer feedback"), choices=_blank_first(FeedbackType.choices), required=False
    )
    due_at = forms.DateTimeField(label=_("Due"), widget=DateTimeInput(), required=False)

    def __init__(self, *args: Any, user: User, is_task: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = owner_field(user, self.initial.get("owner"))
        if not is_task:
            del self.fields["due_at"]  # only tasks have a due time

    def service_data(self) -> dict[str, Any]:
        """Only what changed, so an untouched owner or due time is not re-checked."""
        data = {name: self.cleaned_data[name] for name in self.changed_data}
        if data.get("due_at") is not None:
            data["due_at"] = data["due_at"].isoformat()
        return data
