"""Forms for tasks and logged contacts (calls, emails, meetings, messages, notes)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LOGGED_KINDS = [(k.value, k.label) for k in ActivityKind if k != ActivityKind.TASK]


def _blank_first(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class ActivityForm(WebForm):
    def service_data(self) -> dict[str, Any]:
        """What the person filled in, in the form the activity services take."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


@dataclass(frozen=True)
class LogPreset:
    """What one "log" button on a record page fills in (S-03: a contact logged in two clicks)."""

    key: str
    label: "StrOrPromise"
    kind: str
    channel: str
    direction: str


# The buttons in the order the record page shows them; `?kind=<key>` picks one.
LOG_PRESETS = {
    preset.key: preset
    for preset in (
        LogPreset("call", _("Call"), ActivityKind.CALL, Channel.PHONE, Direction.OUTBOUND),
        LogPreset("email", _("Email"), ActivityKind.EMAIL, Channel.EMAIL, Direction.OUTBOUND),
        LogPreset(
            "whatsapp", _("WhatsApp"), ActivityKind.MESSAGE, Channel.WHATSAPP, Direction.OUTBOUND
        ),
        # A meeting may be in person or by video: the channel is left for the full form.
        LogPreset("meeting", _("Meeting"), ActivityKind.MEETING, "", Direction.OUTBOUND),
        LogPreset("note", _("Note"), ActivityKind.NOTE, "", Direction.INTERNAL),
    )
}
QUICK_LOG_KEYS = ("call", "email", "whatsapp", "meeting", "note")


def log_preset(key: str) -> LogPreset | None:
    """The preset a `?kind=` names: a button's key, or any kind one may log (e.g. `message`)."""
    if key in LOG_PRESETS:
        return LOG_PRESETS[key]
    if key in dict(LOGGED_KINDS):
        kind = ActivityKind(key)
        return LogPreset(key, kind.label, kind, "", Direction.OUTBOUND)
    return None


def _summary_widget(rows: int) -> forms.Textarea:
    # `required` lets the browser ask before sending; the service's own message (S-03) is what
    # the person sees when the form is sent empty anyway.
    return forms.Textarea(attrs={"rows": rows, "required": True})


class LogActivityForm(ActivityForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=LOGGED_KINDS)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_blank_first(Channel.choices), required=False
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("Summary"),
        widget=_summary_widget(3),
        required=False,
        help_text=_("What was said or agreed, so a colleague could take over."),
    )
    feedback_type = forms.ChoiceField(
        label=_("Customer feedback"), choices=_blank_first(FeedbackType.choices), required=False
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=DateTimeInput(), required=False, help_text=_("Empty means now.")
    )

    def __init__(self, *args: Any, preset: LogPreset | None = None, **kwargs: Any) -> None:
        """`preset`: the kind, channel and direction a log button chose (`?kind=call`)."""
        super().__init__(*args, **kwargs)
        if preset is not None:
            self.initial.update(
                kind=preset.kind, channel=preset.channel, direction=preset.direction
            )
            self.fields["summary"].widget.attrs["autofocus"] = True

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        if "occurred_at" in data:
            data["occurred_at"] = data["occurred_at"].isoformat()
        return data


class QuickLogForm(ActivityForm):
    """The short form a log button opens on a record page: the kind and channel come from the
    button, the person writes the summary and may say the customer reached out or how they
    reacted. A note is internal, so it asks for neither."""

    kind = forms.ChoiceField(choices=LOGGED_KINDS, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        choices=_blank_first(Channel.choices), required=False, widget=forms.HiddenInput
    )
    summary = forms.CharField(
        label=_("Summary"),
        widget=_summary_widget(3),
        required=False,
        help_text=_("What was said or agreed, so a colleague could take over."),
    )
    from_customer = forms.BooleanField(
        label=_("From the customer (they called, wrote or came to us)"), required=False
    )
    feedback_type = forms.ChoiceField(
        label=_("Customer feedback"), choices=_blank_first(FeedbackType.choices), required=False
    )

    def __init__(self, *args: Any, preset: LogPreset, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_quick_%s")
        super().__init__(*args, **kwargs)
        self.preset = preset
        self.initial.update(kind=preset.kind, channel=preset.channel)
        self.fields["summary"].widget.attrs["autofocus"] = True  # htmx focuses it once shown
        if preset.direction == Direction.INTERNAL:
            del self.fields["from_customer"]
            del self.fields["feedback_type"]

    def service_data(self) -> dict[str, Any]:
        data = {
            "kind": self.cleaned_data["kind"],
            "channel": self.cleaned_data.get("channel") or "",
            "summary": self.cleaned_data.get("summary") or "",
        }
        if "from_customer" not in self.fields:
            data["direction"] = Direction.INTERNAL.value
        elif self.cleaned_data.get("from_customer"):
            data["direction"] = Direction.INBOUND.value
        else:
            data["direction"] = Direction.OUTBOUND.value
        if self.cleaned_data.get("feedback_type"):
            data["feedback_type"] = self.cleaned_data["feedback_type"]
        return {name: value for name, value in data.items() if value != ""}


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
