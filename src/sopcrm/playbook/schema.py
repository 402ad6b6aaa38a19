"""The structure of a playbook file, as strict pydantic models.

Unknown keys are errors (a misspelt `requried` must not be silently ignored), values are not
coerced, and every model is frozen: a compiled playbook is shared between requests and never
changes after it is loaded.
"""

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sopcrm.core.fieldtypes import FieldType

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Label(Strict):
    """A text in each shipped language. `en` is required; `zh` falls back to `en`."""

    en: str = Field(min_length=1)
    zh: str | None = None

    def for_language(self, language: str | None) -> str:
        if language and language.lower().startswith("zh") and self.zh:
            return self.zh
        return self.en


class ObjectType(StrEnum):
    LEAD = "lead"
    DEAL = "deal"
    ACCOUNT = "account"
    CONTACT = "contact"


class RoleName(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


ALL_ROLES = (RoleName.REP, RoleName.MANAGER, RoleName.ADMIN)


class Option(Strict):
    key: Key
    label: Label


class FieldDef(Strict):
    key: Key
    label: Label
    type: FieldType
    help: Label | None = None
    options: tuple[Option, ...] = ()
    visible_to: tuple[RoleName, ...] = ALL_ROLES
    editable_by: tuple[RoleName, ...] = ALL_ROLES

    @property
    def option_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options)

    def option_label(self, key: str, language: str | None) -> str:
        for option in self.options:
            if option.key == key:
                return option.label.for_language(language)
        return key


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


# -- time ---------------------------------------------------------------------------------------

Duration = Annotated[
    str,
    StringConstraints(pattern=r"^\s*(\d+\s*(d|day|days|h|hour|hours|m|min|minute|minutes)\s*)+$"),
]
_DURATION_PART = re.compile(r"(\d+)\s*(d|day|days|h|hour|hours|m|min|minute|minutes)")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}


def parse_duration(text: str) -> timedelta:
    """'3 days', '24h', '1 day 4 hours', '90 min' -> timedelta. On the working_days clock a day is
    24 hours of running clock; on working_hours, hours inside working hours."""
    seconds = sum(int(n) * _UNIT_SECONDS[unit[0]] for n, unit in _DURATION_PART.findall(text))
    return timedelta(seconds=seconds)


class ClockName(StrEnum):
    CALENDAR = "calendar"
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
HourRange = Annotated[
    str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
]


class CalendarDef(Strict):
    """The team's business calendar (S-24)."""

    time_zone: str = "Asia/Shanghai"
    country: str | None = "CN"
    working_weekdays: tuple[Weekday, ...] = (
        Weekday.MON,
        Weekday.TUE,
        Weekday.WED,
        Weekday.THU,
        Weekday.FRI,
    )
    working_hours: tuple[HourRange, ...] = ("09:00-12:00", "13:00-18:00")
    holidays: tuple[IsoDate, ...] = ()
    working_days: tuple[IsoDate, ...] = ()


# -- tasks --------------------------------------------------------------------------------------


class Assignee(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"  # a manager of the owner's team
    ADMIN = "admin"  # an administrator (e.g. for a back-office step)


class DueDef(Strict):
    """When a task is due: `after` this much time on `clock`, counted `from` an anchor.

    Anchors: `created` (the record was created), `received` (a lead's received time),
    `stage_entered`, `field.<key>` (a date or datetime field; a date counts from the end of that
    day), `task.<template key>.completed` (the completion of an earlier task, which is also when
    this task is created), `task_created` (when the task itself is created, e.g. by a rule).
    """

    after: Duration
    from_: str = Field(
        alias="from",
        pattern=r"^(created|received|stage_entered|task_created|field\.[a-z][a-z0-9_]*|task\.[a-z][a-z0-9_]*\.completed)$",
    )
    clock: ClockName = ClockName.CALENDAR

    @property
    def anchor_field(self) -> str | None:
        return self.from_.split(".", 1)[1] if self.from_.startswith("field.") else None

    @property
    def anchor_task(self) -> str | None:
        return self.from_.split(".")[1] if self.from_.startswith("task.") else None


class CompletionField(StrEnum):
    CHANNEL = "channel"
    FEEDBACK_TYPE = "feedback_type"
    NEW_INFORMATION = "new_information"  # what new the follow-up brought (S-21)


class OnComplete(Strict):
    """What completing a task does besides creating the tasks anchored on its completion."""

    substate: Key | None = None


class TaskTemplate(Strict):
    """A task the process creates. It stays open while the record is in one of `active_in`
    (default: the stage it was created in) and is cancelled when the record moves elsewhere,
    unless `keep_after_stage`. With `stop_on_reply`, a reply from the customer cancels it (the
    chase stops once the customer answers, S-21)."""

    key: Key
    title: Label
    description: Label | None = None
    channel: str | None = None
    assignee: Assignee = Assignee.OWNER
    due: DueDef
    active_in: tuple[Key, ...] = ()
    keep_after_stage: bool = False
    completion_requires: tuple[CompletionField, ...] = ()
    on_complete: OnComplete = Field(default_factory=OnComplete)
    stop_on_reply: bool = False
    # A rhythm: on completion the same task comes back, due this long after the completion
    # (the dormant and re-touch rhythms of S-21 and S-40).
    repeat_every: Duration | None = None


# -- conditions, transitions --------------------------------------------------------------------

ConditionText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class Rule(Strict):
    """A condition that must hold for a transition, with the message shown when it does not."""

    when: ConditionText
    message: Label


class ApprovalDef(Strict):
    """The transition needs a manager's approval when `when` holds (S-33)."""

    when: ConditionText
    approver: Assignee = Assignee.MANAGER
    reason: Label


class ActorName(StrEnum):
    OWNER = "owner"
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class Transition(Strict):
    """A move the record may make. Its form asks for `requires` (must have a value afterwards)
    and `optional` fields; nothing else may be submitted with it. With `my_day`, the owner's
    records waiting in its `from` stages are a section of their *My day* page under that
    heading (e.g. "Quotes to send", S-45), each with a button opening the transition's form."""

    key: Key
    label: Label
    from_: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    allowed: tuple[ActorName, ...] = (ActorName.OWNER, ActorName.MANAGER, ActorName.ADMIN)
    requires: tuple[Key, ...] = ()
    optional: tuple[Key, ...] = ()
    rules: tuple[Rule, ...] = ()
    approval: ApprovalDef | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    completes_tasks: tuple[Key, ...] = ()
    my_day: Label | None = None


class OnEnter(Strict):
    tasks: tuple[Key, ...] = ()
    set: dict[str, Any] = Field(default_factory=dict)


class Substate(Strict):
    key: Key
    label: Label


class Stage(Strict):
    key: Key
    label: Label
    kind: StageKind = StageKind.OPEN
    probability: int = Field(ge=0, le=100)
    expected_days: int | None = Field(default=None, ge=0)
    idle_days: int | None = Field(default=None, ge=1)
    substates: tuple[Substate, ...] = ()
    on_enter: OnEnter = Field(default_factory=OnEnter)

    def substate(self, key: str) -> Substate | None:
        return next((s for s in self.substates if s.key == key), None)


class Pipeline(Strict):
    key: Key
    label: Label
    when: ConditionText | None = None
    stages: tuple[Stage, ...] = Field(min_length=1)
    transitions: tuple[Transition, ...] = ()

    def stage(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    @property
    def initial_stage(self) -> Stage:
        return self.stages[0]

    def transition(self, key: str) -> "Transition | None":
        return next((t for t in self.transitions if t.key == key), None)


# -- automation: SLAs, cadences, rules (S-17, S-21..S-23, S-40) ---------------------------------


class SlaTarget(Strict):
    """A faster target for records the condition holds for (high priority: 12 hours)."""

    when: ConditionText
    within: Duration


class SlaEscalation(Strict):
    """A further point, this long after the breach (e.g. reassign the lead)."""

    key: Key
    after: Duration


class SlaStart(StrEnum):
    RECEIVED = "received"  # a lead's received time (may lie in the past for an import)
    CREATED = "created"


class SlaDef(Strict):
    """A response-time promise (S-17): the clock starts at `starts` and stops at the record's
    first completed outbound contact (a logged call, email, message or meeting, or a task done
    with a channel). `within` on `clock`, or the first `targets` entry whose condition holds.
    Rules react to its points: `sla_at_risk` (`at_risk_before` the target), `sla_breached`
    and `sla_escalated` (each escalation's `after`, counted from the breach)."""

    key: Key
    label: Label
    starts: SlaStart = SlaStart.RECEIVED
    within: Duration
    clock: ClockName = ClockName.WORKING_DAYS
    targets: tuple[SlaTarget, ...] = ()
    at_risk_before: Duration | None = None
    escalations: tuple[SlaEscalation, ...] = ()


class Cadence(Strict):
    """A named rhythm of task templates. Starting it creates its first steps (the templates not
    anchored on another task's completion; later steps follow their anchors); stopping it
    cancels its open tasks, so no later step is created."""

    key: Key
    label: Label
    tasks: tuple[Key, ...] = Field(min_length=1)


class TriggerKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    FIELD_CHANGED = "field_changed"
    STAGE_ENTERED = "stage_entered"
    STAGE_LEFT = "stage_left"
    ACTIVITY_COMPLETED = "activity_completed"
    TASK_OVERDUE = "task_overdue"
    SLA_AT_RISK = "sla_at_risk"
    SLA_BREACHED = "sla_breached"
    SLA_ESCALATED = "sla_escalated"
    IDLE_IN_STAGE = "idle_in_stage"
    DATE_REACHED = "date_reached"


# Triggers that follow a change someone made (read from the event log); the others are
# deadlines (durable timers).
EVENT_TRIGGERS = frozenset(
    {
        TriggerKind.CREATED,
        TriggerKind.UPDATED,
        TriggerKind.FIELD_CHANGED,
        TriggerKind.STAGE_ENTERED,
        TriggerKind.STAGE_LEFT,
        TriggerKind.ACTIVITY_COMPLETED,
    }
)
SLA_TRIGGERS = frozenset(
    {TriggerKind.SLA_AT_RISK, TriggerKind.SLA_BREACHED, TriggerKind.SLA_ESCALATED}
)


class ActivityDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Trigger(Strict):
    """When a rule fires. Each narrowing key applies to the triggers named beside it and is
    empty for "any"."""

    # Not `on`: YAML 1.1 reads a bare `on` as the boolean true.
    event: TriggerKind
    fields: tuple[Key, ...] = ()  # field_changed
    stages: tuple[Key, ...] = ()  # stage_entered, stage_left, idle_in_stage
    tasks: tuple[Key, ...] = ()  # activity_completed, task_overdue: task template keys
    except_tasks: tuple[Key, ...] = ()  # activity_completed, task_overdue: all but these
    kinds: tuple[Key, ...] = ()  # activity_completed: call, email, meeting, message, note, task
    direction: ActivityDirection | None = None  # activity_completed
    feedback: tuple[Key, ...] = ()  # activity_completed: the customer feedback types
    sla: Key | None = None  # sla_*
    escalation: Key | None = None  # sla_escalated
    field: Key | None = None  # date_reached: a date or datetime field
    before: Duration | None = None  # date_reached: this long before the date
    after: Duration | None = None  # date_reached: after the date; idle_in_stage: the limit
    clock: ClockName = ClockName.WORKING_DAYS  # idle_in_stage


class Recipient(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"  # the managers of the owner's team
    ADMIN = "admin"
    ASSIGNEE = "assignee"  # task_overdue: who the task is assigned to


class NotifyDef(Strict):
    """An in-app notification (and email, per each person's preference). `{record}`,
    `{stage}`, `{owner}` and `{due}` in the texts are replaced."""

    to: tuple[Recipient, ...] = Field(min_length=1)
    title: Label
    body: Label | None = None


class AssignTarget(StrEnum):
    MANAGER = "manager"  # the first manager of the owner's team
    LEAST_LOADED_IN_TEAM = "least_loaded_in_team"  # the owner's teammate with fewest open tasks


class AssignDef(Strict):
    to: AssignTarget | None = None
    user: str | None = Field(default=None, min_length=1, max_length=150)  # a username


class SendEmailDef(Strict):
    """An email from a library template to the record's contact, sent as the owner through the
    outbox. Free sections get their first preset."""

    template: Key


class Action(Strict):
    """One thing a rule does; exactly one key per action."""

    create_task: Key | None = None
    assign: AssignDef | None = None
    notify: NotifyDef | None = None
    set: dict[str, Any] | None = None
    add_to_list: Key | None = None
    remove_from_list: Key | None = None
    start_cadence: Key | None = None
    stop_cadence: Key | None = None
    send_email: SendEmailDef | None = None
    webhook: Key | None = None

    @property
    def name(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)


class RuleDef(Strict):
    """When `trigger` happens and `when` holds for the record, do `actions`, in order, in one
    transaction; each firing is logged on the record's timeline."""

    key: Key
    label: Label
    trigger: Trigger
    when: ConditionText | None = None
    actions: tuple[Action, ...] = Field(min_length=1)


class ListDef(Strict):
    """A named list records are added to (e.g. the mailing list for lost deals, S-40)."""

    key: Key
    label: Label


# -- intake: qualification, assignment, duplicates, forms, conversion (S-25..S-32) -------------


class Band(Strict):
    """`value` when the count of confirmed items is at least `at_least` (bands highest first)."""

    at_least: int = Field(ge=0)
    value: Key


class ScoreDef(Strict):
    """A choice field set from the count of confirmed checklist items (priority, track)."""

    field: Key
    bands: tuple[Band, ...] = Field(min_length=1)


class GradeBand(Strict):
    """For counts of at least `at_least`: the grade for each buyer strength (option key), and
    for a strength not yet known under the key `unknown`."""

    at_least: int = Field(ge=0)
    grades: dict[str, Key]


class GradeDef(Strict):
    field: Key
    strength: Key
    bands: tuple[GradeBand, ...] = Field(min_length=1)


class QualificationDef(Strict):
    """The inquiry checklist (S-27..S-29): a multi_choice `field` whose options are the items;
    the confirmed count sets the `scores` fields and, with the buyer strength, the grade."""

    field: Key
    core: tuple[Key, ...] = ()
    key_items: tuple[Key, ...] = ()
    scores: tuple[ScoreDef, ...] = ()
    grade: GradeDef | None = None


class AssignMethod(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    LEAST_OPEN = "least_open"


class PoolMember(Strict):
    user: str = Field(min_length=1, max_length=150)  # a username
    weight: int = Field(default=1, ge=1, le=100)


class AssignmentRule(Strict):
    """New leads the condition holds for go to the pool (S-26): its members in turn (round
    robin), in proportion to their weights, or to the one with the fewest open leads. Members
    who are inactive, away, or at their daily cap are skipped."""

    key: Key
    label: Label
    when: ConditionText | None = None
    pool: tuple[PoolMember, ...] = ()
    team: str | None = Field(default=None, min_length=1, max_length=100)  # every active rep of it
    method: AssignMethod = AssignMethod.ROUND_ROBIN
    daily_cap: int | None = Field(default=None, ge=1)


class AssignmentDef(Strict):
    """The first rule that matches assigns; none matching, or nobody available, leaves the lead
    in the unassigned queue managers hand out."""

    rules: tuple[AssignmentRule, ...] = ()


class DuplicatePolicy(StrEnum):
    LINK = "link"  # create the lead, linked to the one it duplicates
    MERGE = "merge"  # add the inquiry to the existing open lead instead


class DuplicatesDef(Strict):
    on_intake: DuplicatePolicy = DuplicatePolicy.LINK
    company_similarity: int = Field(default=90, ge=50, le=100)  # rapidfuzz score, 0-100


class IntakeForm(Strict):
    """A public form: its inputs (name -> lead field key) and the source it records."""

    key: Key
    label: Label
    source: Key = "website_form"
    fields: dict[str, Key] = Field(min_length=1)
    required: tuple[str, ...] = ()
    thank_you: Label | None = None


class ConversionDef(Strict):
    """Converting a qualified lead (S-05): taking `transition` creates an account, a contact
    and a deal, each field filled from the lead field named (target: source). Nothing else is
    copied."""

    transition: Key = "convert"
    account: dict[Key, Key] = Field(default_factory=dict)
    contact: dict[Key, Key] = Field(default_factory=dict)
    deal: dict[Key, Key] = Field(default_factory=dict)


class ReportsDef(Strict):
    """What the reports (S-41..S-44) read in this object, by key: the stage where a quote is
    sent, the fields that record why a deal was lost, against whom and whether to try again,
    the product line reports are filtered by, and the SLA that is the first-response clock.
    Each is optional; a report whose key is missing says so instead of guessing."""

    quote_stage: Key | None = None
    lost_reasons: Key | None = None  # a choice or multi_choice field
    competitor: Key | None = None
    reactivation: Key | None = None  # a choice field
    product_line: Key | None = None
    response_sla: Key | None = None


class ObjectDef(Strict):
    fields: tuple[FieldDef, ...] = ()
    pipelines: tuple[Pipeline, ...] = ()
    tasks: tuple[TaskTemplate, ...] = ()
    on_create: OnEnter = Field(default_factory=OnEnter)
    slas: tuple[SlaDef, ...] = ()
    cadences: tuple[Cadence, ...] = ()
    rules: tuple[RuleDef, ...] = ()
    qualification: QualificationDef | None = None
    assignment: AssignmentDef | None = None
    duplicates: DuplicatesDef | None = None
    conversion: ConversionDef | None = None
    reports: ReportsDef = Field(default_factory=ReportsDef)

    def field(self, key: str) -> FieldDef | None:
        return next((f for f in self.fields if f.key == key), None)

    def pipeline(self, key: str) -> Pipeline | None:
        return next((p for p in self.pipelines if p.key == key), None)

    def task(self, key: str) -> TaskTemplate | None:
        return next((t for t in self.tasks if t.key == key), None)

    def sla(self, key: str) -> SlaDef | None:
        return next((s for s in self.slas if s.key == key), None)

    def cadence(self, key: str) -> Cadence | None:
        return next((c for c in self.cadences if c.key == key), None)

    def rules_on(self, *kinds: TriggerKind) -> list[RuleDef]:
        return [r for r in self.rules if r.trigger.event in kinds]

    @property
    def default_pipeline(self) -> Pipeline | None:
        unconditional = [p for p in self.pipelines if p.when is None]
        return (
            unconditional[0] if unconditional else (self.pipelines[0] if self.pipelines else None)
        )


# -- email templates (S-37..S-40) ---------------------------------------------------------------

# The merge fields a template may use, as `{{ name }}`: nothing else (no expressions, no
# attribute access). crm/messaging/merge_fields.py computes each from the record and the sender.
MERGE_FIELDS: frozenset[str] = frozenset(
    {
        "contact_name",
        "contact_first_name",
        "contact_title",
        "company",
        "country",
        "product",
        "specifications",
        "quantity",
        "target_price",
        "lead_time",
        "certifications",
        "quote_date",
        "quote_valid_until",
        "amount",
        "currency",
        "deal_title",
        "rep_name",
        "rep_email",
        "rep_signature",
    }
)
MERGE_FIELD_PATTERN = r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}"
# The formatting a template author may write in a fixed section (and all the sent HTML keeps).
TEMPLATE_TAGS: frozenset[str] = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
TEMPLATE_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

OptionalKey = Annotated[str, StringConstraints(pattern=r"^([a-z][a-z0-9_]{0,62})?$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
StagePosition = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}(\.[a-z][a-z0-9_]{0,62})?$")
]


class TemplateCategory(StrEnum):
    STANDARD = "standard"  # everyone must know it
    ADVANCED = "advanced"  # contributed by senior reps, for reference


class TemplatePurpose(StrEnum):
    FIRST_REPLY = "first_reply"
    QUOTE_COVER = "quote_cover"
    CHASE_1 = "chase_1"
    CHASE_2 = "chase_2"
    CHASE_3 = "chase_3"
    RETOUCH_HIGH = "retouch_high"
    RETOUCH_MEDIUM = "retouch_medium"
    RETOUCH_LOW = "retouch_low"
    WON_CHECK = "won_check"
    OTHER = "other"


class SectionKind(StrEnum):
    FIXED = "fixed"  # the template author's text, with merge fields
    FREE = "free"  # the rep writes it (or starts from a preset paragraph)


class SectionRole(StrEnum):
    CTA = "cta"  # the next step the email asks for; it may never be empty (S-38)


class SectionPreset(Strict):
    """A paragraph a rep may start a free section from (plain text, no merge fields)."""

    key: Key
    label: Label
    text: str = Field(min_length=1, max_length=5000)


class TemplateSection(Strict):
    """One block of an email (S-37). A fixed section has `text`; a free one may have a `hint`
    for the rep, `presets`, and be `required`."""

    key: Key
    title: Label
    kind: SectionKind
    text: str = Field(default="", max_length=20000)
    hint: Label | None = None
    required: bool = False
    role: SectionRole | None = None
    presets: tuple[SectionPreset, ...] = ()


class EmailTemplateDef(Strict):
    """An email template: where it fits (purpose, stages, region, product line, language, an
    optional condition on the record) and its subject and ordered sections."""

    key: Key
    name: Label
    category: TemplateCategory = TemplateCategory.STANDARD
    language: LanguageCode = "en"
    region: OptionalKey = ""
    product_line: OptionalKey = ""
    purpose: TemplatePurpose
    stages: tuple[StagePosition, ...] = ()
    when: ConditionText | None = None
    subject: str = Field(min_length=1, max_length=300)
    sections: tuple[TemplateSection, ...] = Field(min_length=1, max_length=20)

    def section(self, key: str) -> TemplateSection | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def cta_section(self) -> TemplateSection | None:
        return next((s for s in self.sections if s.role == SectionRole.CTA), None)


class Playbook(Strict):
    key: Key
    name: Label
    description: Label | None = None
    calendar: CalendarDef = Field(default_factory=CalendarDef)
    objects: dict[ObjectType, ObjectDef] = Field(default_factory=dict)
    email_templates: tuple[EmailTemplateDef, ...] = ()
    lists: tuple[ListDef, ...] = ()
    intake_forms: tuple[IntakeForm, ...] = ()

    def object(self, object_type: ObjectType | str) -> ObjectDef:
        return self.objects.get(ObjectType(object_type)) or ObjectDef()


def _collect_keys() -> frozenset[str]:
    keys: set[str] = set()
    models: tuple[type[BaseModel], ...] = (
        Label,
        Option,
        FieldDef,
        Stage,
        Pipeline,
        ObjectDef,
        Playbook,
        CalendarDef,
        DueDef,
        TaskTemplate,
        Rule,
        ApprovalDef,
        Transition,
        OnEnter,
        Substate,
        SectionPreset,
        TemplateSection,
        EmailTemplateDef,
        SlaTarget,
        SlaEscalation,
        SlaDef,
        Cadence,
        Trigger,
        NotifyDef,
        AssignDef,
        SendEmailDef,
        Action,
        RuleDef,
        ListDef,
        Band,
        ScoreDef,
        GradeBand,
        GradeDef,
        QualificationDef,
        PoolMember,
        AssignmentRule,
        AssignmentDef,
        DuplicatesDef,
        IntakeForm,
        ConversionDef,
        ReportsDef,
    )
    for model in models:
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
    return frozenset(keys)


KNOWN_KEYS = _collect_keys()
