"""The monthly SOP review (S-42; docs/reports.md, "Monthly review"): the three figures a team goes
through once a month (the 24-hour response rate of the month's new leads, the average follow-ups
after a quote, the top three lost reasons), one won and one lost deal with their paths against
the playbook, and the per-rep table; as an XLSX workbook and as CSV files with the same rows.

Every figure comes from the report modules (first_response, quotes, lost, reps, paths), so the
review says exactly what the dashboards say for the same month and viewer. Nothing here writes.

The sheets are built once as rows of typed cells (`review_sheets`), then written both ways, so the
workbook and the CSV files cannot drift apart. Labels are translated in the active language: the
caller activates the viewer's (the web's middleware does; the CLI overrides).
"""

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from sopcrm.core.clock import now
from sopcrm.core.errors import InvalidInput, NotFound
from sopcrm.core.models import RecordType, Team, User
from sopcrm.playbook.schema import ObjectType, StageKind
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..records import selectors
from ..records.models import Deal
from .filters import ReportFilter, month_period, reports_def
from .first_response import first_response_report, response_figures
from .lost import LostReasonsReport, lost_reasons_report
from .paths import DealPath, deal_path, example_deals
from .quotes import quotes_report
from .reps import RepsReport, RepsRow, reps_report
from .stats import Share

DASH = "—"  # a figure that is not available: never shown as 0
TOP_REASONS = 3


class ExampleNotFound(NotFound):
    """The deal asked for as the won or lost example does not exist or is not visible to the
    viewer; `field` ("won" or "lost") says which, so an interface can name its parameter."""

    def __init__(self, field: str, deal_id: object) -> None:
        super().__init__(_("There is no deal %(id)s that you may see.") % {"id": deal_id})
        self.field = field


@dataclass(frozen=True)
class Figure:
    """One review figure. `value` None: not available (no population, or the playbook does not
    name what it reads), shown as "—" with the reason in `note`. A rate's value is 0..1."""

    label: str
    item: str  # the lost reason's label; "" for the other figures
    value: float | None
    numerator: int | None
    denominator: int | None
    is_rate: bool
    note: str


@dataclass(frozen=True)
class MonthlyReview:
    month: str  # "2026-10"
    filters: ReportFilter  # the month as the period, and the team
    viewer: User
    scope: str  # what the review covers: a team, all teams, or a rep's own records
    generated_at: datetime
    response_rate: Figure
    follow_ups_after_quote: Figure
    lost_reasons: tuple[Figure, ...]  # the top three (one "—" figure when there are none)
    won: DealPath | None  # the won example
    lost: DealPath | None  # the lost example
    reps: RepsReport

    @property
    def figures(self) -> tuple[Figure, ...]:
        return (self.response_rate, self.follow_ups_after_quote, *self.lost_reasons)

    @property
    def title(self) -> str:
        return _("Monthly SOP review: %(month)s, %(scope)s") % {
            "month": date_format(self.filters.start, "YEAR_MONTH_FORMAT"),
            "scope": self.scope,
        }


def monthly_review(
    user: User,
    month: str,
    *,
    team: int | None = None,
    won: int | None = None,
    lost: int | None = None,
) -> MonthlyReview:
    """The review of `month` ("YYYY-MM") for what `user` may see, narrowed to `team`. The
    examples are the largest won and lost deals closed in the month (paths.example_deals) unless
    `won` / `lost` name a deal: one `user` may not see raises ExampleNotFound, one that is not
    won (lost) InvalidInput naming `won` (`lost`). Every input is checked before anything is
    read."""
    start, end = month_period(month)
    team_row = None
    if team is not None:
        team_row = Team.objects.filter(pk=team).first()
        if team_row is None:
            raise InvalidInput.single(
                "team", "unknown", _("No team with id %(id)s.") % {"id": team}
            )
    chosen = {
        "won": _example_deal(user, "won", won, StageKind.WON),
        "lost": _example_deal(user, "lost", lost, StageKind.LOST),
    }
    filters = ReportFilter(start=start, end=end, team=team)
    if chosen["won"] is None or chosen["lost"] is None:
        default_won, default_lost = example_deals(user, filters)
        chosen["won"] = chosen["won"] if won is not None else default_won
        chosen["lost"] = chosen["lost"] if lost is not None else default_lost
    return MonthlyReview(
        month=f"{start:%Y-%m}",
        filters=filters,
        viewer=user,
        scope=_scope(user, team_row),
        generated_at=now(),
        response_rate=_response_rate(user, filters),
        follow_ups_after_quote=_follow_ups(user, filters),
        lost_reasons=_lost_reasons(user, lost_reasons_report(user, filters)),
        won=deal_path(user, chosen["won"]) if chosen["won"] else None,
        lost=deal_path(user, chosen["lost"]) if chosen["lost"] else None,
        reps=reps_report(user, filters),
    )


def _example_deal(user: User, field: str, deal_id: int | None, kind: StageKind) -> Deal | None:
    if deal_id is None:
        return None
    try:
        deal: Deal = selectors.record_get(user, RecordType.DEAL, deal_id)
    except NotFound:
        raise ExampleNotFound(field, deal_id) from None
    if _stage_kind(deal) != kind:
        message = (
            _("Deal %(id)s is not won: choose a won deal as the won example.")
            if kind == StageKind.WON
            else _("Deal %(id)s is not lost: choose a lost deal as the lost example.")
        )
        raise InvalidInput.single(field, f"not_{field}", message % {"id": deal_id})
    return deal


def _stage_kind(deal: Deal) -> StageKind | None:
    """The kind of the deal's stage under the playbook version it runs under."""
    pipeline = playbook_for_version(deal.playbook_version_id).object("deal").pipeline(deal.pipeline)
    stage = pipeline.stage(deal.stage) if pipeline else None
    return stage.kind if stage else None


def _scope(user: User, team: Team | None) -> str:
    if team is not None:
        return _("team %(team)s") % {"team": team.name}
    if user.is_admin:
        return _("all teams")
    if user.is_manager and user.team is not None:
        return _("team %(team)s") % {"team": user.team.name}
    return _("own records of %(user)s") % {"user": str(user)}


def _not_set_up(key: str) -> str:
    return _("Not set up in the playbook (%(key)s).") % {"key": key}


def _response_rate(user: User, filters: ReportFilter) -> Figure:
    report = first_response_report(user, filters)
    label = _("24-hour response rate")
    if not report.configured:
        return Figure(label, "", None, None, None, True, _not_set_up("reports.response_sla"))
    share = report.figures.rate
    if share.whole == 0:
        note = _("No lead received in the month has had a response due yet.")
    else:
        note = _(
            "Leads received in the month answered within the target of the playbook's "
            "%(sla)s clock, of those answered in time or late."
        ) % {"sla": report.sla}
    if report.figures.not_due:
        note += " " + _("%(count)d not due yet.") % {"count": report.figures.not_due}
    return Figure(label, "", share.rate, share.part, share.whole, True, note)


def _follow_ups(user: User, filters: ReportFilter) -> Figure:
    report = quotes_report(user, filters)
    label = _("Average follow-ups after a quote")
    if not report.configured:
        return Figure(label, "", None, None, None, False, _not_set_up("reports.quote_stage"))
    follow_ups = report.follow_ups
    note = (
        _(
            "Completed outbound contacts from the first quote to the close (or now), per deal "
            "first quoted in the month."
        )
        if follow_ups.deals
        else _("No deal was quoted in the month.")
    )
    return Figure(label, "", follow_ups.average, follow_ups.contacts, follow_ups.deals, False, note)


def _lost_reasons(user: User, report: LostReasonsReport) -> tuple[Figure, ...]:
    label = _("Top lost reasons")
    if not report.reasons_configured:
        field = reports_def(ObjectType.DEAL).lost_reasons
        exists = field is not None and (
            playbook_for_version(active_version().pk).object(ObjectType.DEAL).field(field)
            is not None
        )
        note = (
            _("The lost-reasons field is not visible to your role.")
            if exists
            else _not_set_up("reports.lost_reasons")
        )
        return (Figure(label, "", None, None, None, True, note),)
    if report.lost == 0:
        return (Figure(label, "", None, 0, 0, True, _("No deal was lost in the month.")),)
    top = report.top(TOP_REASONS)
    if not top:
        note = _("None of the %(count)d deals lost in the month has a reason recorded.") % {
            "count": report.lost
        }
        return (Figure(label, "", None, 0, report.lost, True, note),)
    note = _(
        "Deals lost in the month with this reason, of all the deals lost in the month (a deal "
        "may have several reasons)."
    )
    figures = []
    for rank, row in enumerate(top, 1):
        row_note = note
        if rank == 1 and report.without_reason:
            row_note += " " + _("%(count)d lost without a reason recorded.") % {
                "count": report.without_reason
            }
        figures.append(
            Figure(
                _("Lost reason %(rank)d") % {"rank": rank},
                row.label,
                row.share.rate,
                row.share.part,
                row.share.whole,
                True,
                row_note,
            )
        )
    return tuple(figures)


# --- The sheets: rows of typed cells, written as XLSX and as CSV ---------------------------------


class Format(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    TWO_DECIMALS = "two_decimals"  # an average
    ONE_DECIMAL = "one_decimal"  # days, hours
    PERCENT = "percent"  # a rate 0..1, shown with one decimal
    AMOUNT = "amount"
    DATE = "date"
    DATETIME = "datetime"  # aware; written in the server's time zone


NUMBER_FORMATS = {
    Format.TEXT: "@",
    Format.INTEGER: "0",
    Format.TWO_DECIMALS: "0.00",
    Format.ONE_DECIMAL: "0.0",
    Format.PERCENT: "0.0%",
    Format.AMOUNT: "#,##0.00",
    Format.DATE: "yyyy-mm-dd",
    Format.DATETIME: "yyyy-mm-dd hh:mm",
}

CellValue = str | int | float | Decimal | date | datetime | None


@dataclass(frozen=True)
class Cell:
    value: CellValue
    format: Format = Format.TEXT
    bold: bool = False


@dataclass(frozen=True)
class Sheet:
    key: str  # "summary", "examples", "reps": stable, for file names
    title: str  # translated
    rows: list[list[Cell]]


def _text(value: str, *, bold: bool = False) -> Cell:
    return Cell(value, Format.TEXT, bold)


def _or_dash(value: float | int | Decimal | None, fmt: Format) -> Cell:
    return Cell(DASH) if value is None else Cell(value, fmt)


def _count(value: int | None) -> Cell:
    return Cell(value, Format.INTEGER)


def _moment(value: datetime | None) -> Cell:
    return Cell(value, Format.DATETIME)


def _share(share: Share) -> list[Cell]:
    """A rate with its numerator and denominator."""
    return [_or_dash(share.rate, Format.PERCENT), _count(share.part), _count(share.whole)]


def _header(*labels: str) -> list[Cell]:
    return [_text(label, bold=True) for label in labels]


def review_sheets(review: MonthlyReview) -> list[Sheet]:
    """The three sheets, in the active language."""
    sheets = [
        Sheet("summary", _("Summary"), _summary_rows(review)),
        Sheet("examples", _("Examples"), _examples_rows(review)),
        Sheet("reps", _("Reps"), _reps_rows(review)),
    ]
    for sheet in sheets:
        while sheet.rows and not sheet.rows[-1]:  # a workbook ends at its last filled row
            sheet.rows.pop()
    return sheets


def _heading(review: MonthlyReview) -> list[list[Cell]]:
    return [
        [_text(review.title, bold=True)],
        [
            _text(_("Period")),
            Cell(review.filters.start, Format.DATE),
            Cell(review.filters.end, Format.DATE),
        ],
        [
            _text(_("Prepared for")),
            _text(str(review.viewer)),
            _moment(review.generated_at),
        ],
        [],
    ]


def _summary_rows(review: MonthlyReview) -> list[list[Cell]]:
    rows = _heading(review)
    rows.append(
        _header(_("Figure"), _("Item"), _("Value"), _("Numerator"), _("Denominator"), _("Note"))
    )
    for figure in review.figures:
        rows.append(
            [
                _text(figure.label),
                _text(figure.item),
                _or_dash(figure.value, Format.PERCENT if figure.is_rate else Format.TWO_DECIMALS),
                _count(figure.numerator),
                _count(figure.denominator),
                _text(figure.note),
            ]
        )
    return rows


def _outcome_label(outcome: str) -> str:
    labels = {
        "on_time": _("On time"),
        "late": _("Late (done after the due time)"),
        "overdue": _("Overdue (open past the due time)"),
        "open": _("Open"),
        "cancelled": _("Cancelled"),
    }
    return labels.get(outcome, outcome)


def prescribed_path(deal: Deal) -> str:
    """What the playbook prescribes for the deal's pipeline: its open stages in order with their
    idle limits, then the won stage."""
    language = get_language()
    pipeline = playbook_for_version(deal.playbook_version_id).object("deal").pipeline(deal.pipeline)
    if pipeline is None:
        return ""
    steps = []
    for stage in pipeline.stages:
        if stage.kind == StageKind.LOST:
            continue
        label = stage.label.for_language(language)
        if stage.kind == StageKind.OPEN and stage.idle_days is not None:
            label = _("%(stage)s (≤%(days)d d)") % {"stage": label, "days": stage.idle_days}
        steps.append(label)
    return " → ".join(steps)


def _example_rows(heading: str, path: DealPath | None, missing: str) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[_text(heading, bold=True)]]
    if path is None:
        return [*rows, [_text(missing)], []]
    deal = path.deal
    rows += [
        [_text(_("Deal")), _text(deal.title), _count(deal.pk)],
        [_text(_("Owner")), _text(str(deal.owner) if deal.owner else _("Unassigned"))],
        [_text(_("Amount")), _or_dash(deal.amount, Format.AMOUNT), _text(deal.currency)],
        [_text(_("Created")), _moment(deal.created_at)],
        [_text(_("Closed")), _moment(deal.closed_at)],
        [_text(_("Stages within their idle limit")), *_share(path.within_limits)],
        [_text(_("Tasks done on time")), *_share(path.on_time)],
        [_text(_("Follow-ups (completed outbound contacts)")), _count(path.follow_ups)],
        [_text(_("Exceptions (moves outside the allowed transitions)")), _count(path.exceptions)],
        [_text(_("Path the playbook prescribes")), _text(prescribed_path(deal))],
        [_text(_("Path taken")), _text(" → ".join(stay.label for stay in path.stays))],
        [],
        _header(
            _("Stage"),
            _("Entered"),
            _("Left"),
            _("Days"),
            _("Idle limit (days)"),
            _("Within the limit"),
            _("Exception"),
        ),
    ]
    for stay in path.stays:
        within = DASH if stay.idle_days is None else (_("No") if stay.over_limit else _("Yes"))
        rows.append(
            [
                _text(stay.label),
                _moment(stay.entered_at),
                _moment(stay.left_at),
                Cell(stay.days, Format.ONE_DECIMAL),
                _or_dash(stay.idle_days, Format.INTEGER),
                _text(within),
                _text(stay.exception),
            ]
        )
    rows += [[], _header(_("Task"), _("Due"), _("Completed"), _("Outcome"))]
    for task in path.tasks:
        rows.append(
            [
                _text(task.subject),
                _moment(task.due_at),
                _moment(task.completed_at),
                _text(_outcome_label(task.outcome)),
            ]
        )
    if not path.tasks:
        rows.append([_text(_("No tasks."))])
    rows.append([])
    return rows


def _examples_rows(review: MonthlyReview) -> list[list[Cell]]:
    return [
        *_heading(review),
        *_example_rows(
            _("Won example"), review.won, _("No deal the review covers was won in the month.")
        ),
        *_example_rows(
            _("Lost example"), review.lost, _("No deal the review covers was lost in the month.")
        ),
    ]


def _rep_cells(row: RepsRow, *, bold: bool = False) -> list[Cell]:
    tally = row.tally
    response = response_figures(tally.clocks)
    return [
        _text(row.name, bold=bold),
        _count(tally.leads),
        _count(tally.closed),
        _count(tally.won),
        _or_dash(row.win_rate.rate, Format.PERCENT),
        _count(tally.follow_ups),
        _or_dash(row.follow_ups_per_deal, Format.TWO_DECIMALS),
        _or_dash(response.median_hours, Format.ONE_DECIMAL),
        *_share(response.rate)[1:],
        _or_dash(response.rate.rate, Format.PERCENT),
        _count(tally.tasks.due),
        _count(tally.tasks.on_time),
        _or_dash(tally.tasks.on_time_rate.rate, Format.PERCENT),
        _count(tally.exceptions),
    ]


def _reps_rows(review: MonthlyReview) -> list[list[Cell]]:
    rows = _heading(review)
    rows.append(
        _header(
            _("Rep"),
            _("Leads"),
            _("Deals closed"),
            _("Won"),
            _("Win rate"),
            _("Follow-ups"),
            _("Follow-ups per deal"),
            _("Response time (hours, median)"),
            _("Answered in time"),
            _("Responses due"),
            _("SLA hit rate"),
            _("Tasks due"),
            _("Tasks on time"),
            _("On-time tasks"),
            _("Exceptions"),
        )
    )
    rows += [_rep_cells(row) for row in review.reps.rows]
    rows.append(_rep_cells(review.reps.total, bold=True))
    return rows


# --- Writers ---------------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    """Spreadsheets have no time zones: the local wall time of the server's zone."""
    return timezone.localtime(value).replace(tzinfo=None)


def _clean(text: str) -> str:
    """Without the control characters a workbook cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _display(cell: Cell) -> str:
    """The cell as text: what a CSV holds and what a column's width is measured on."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if cell.format == Format.PERCENT and isinstance(value, (int, float, Decimal)):
        return f"{100 * float(value):.1f}%"
    if cell.format == Format.TWO_DECIMALS and isinstance(value, (int, float, Decimal)):
        return f"{float(value):.2f}"
    if cell.format == Format.ONE_DECIMAL and isinstance(value, (int, float, Decimal)):
        return f"{float(value):.1f}"
    if cell.format == Format.AMOUNT and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(value):.2f}"
    if isinstance(value, datetime):
        return f"{_local(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


BOLD = Font(name="Calibri", size=11, bold=True)  # the workbook's default font, in bold
RIGHT = Alignment(horizontal="right")
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 8, 60


def _column_widths(rows: Sequence[Sequence[Cell]]) -> dict[int, int]:
    widths: dict[int, int] = {}
    # The title row, and long texts past the widest column, run over the empty cells beside them.
    for row in rows[1:]:
        for index, cell in enumerate(row, 1):
            widths[index] = max(widths.get(index, MIN_WIDTH), _width(_display(cell)) + 2)
    return {index: min(width, MAX_WIDTH) for index, width in widths.items()}


def monthly_review_xlsx(review: MonthlyReview) -> bytes:
    """The review as an XLSX workbook: sheets Summary, Examples and Reps (translated), numbers as
    numbers, rates as percent cells, dates as dates, no formulas and no merged cells."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = review.title
    workbook.properties.creator = "sopcrm"
    for sheet in review_sheets(review):
        title = SHEET_TITLE_FORBIDDEN.sub(" ", sheet.title)[:31] or sheet.key
        worksheet = workbook.create_sheet(title=title)
        for row_index, row in enumerate(sheet.rows, 1):
            for column_index, cell in enumerate(row, 1):
                if cell.value is None:
                    continue
                target = worksheet.cell(row=row_index, column=column_index)
                value = cell.value
                if isinstance(value, datetime):
                    target.value = _local(value)
                elif cell.format == Format.PERCENT and isinstance(value, (int, float, Decimal)):
                    # One decimal of a percent, as every other view shows the rate (Share.percent)
                    target.value = round(float(value), 3)
                elif isinstance(value, str):
                    target.value = _clean(value)
                    target.data_type = "s"  # text that starts with "=" stays text, never a formula
                else:
                    target.value = value
                if cell.format != Format.TEXT:
                    target.number_format = NUMBER_FORMATS[cell.format]
                if cell.bold:
                    target.font = BOLD
                if value == DASH:
                    target.alignment = RIGHT  # where the number would stand
        for index, width in _column_widths(sheet.rows).items():
            worksheet.column_dimensions[get_column_letter(index)].width = width
        # Printed for the review meeting: landscape, every column on the page's width.
        worksheet.page_setup.orientation = "landscape"
        worksheet.page_setup.fitToWidth = 1
        worksheet.page_setup.fitToHeight = 0
        worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(cell: Cell) -> str:
    text = _display(cell)
    # A spreadsheet opening the CSV would run text that starts like a formula: quote it.
    if isinstance(cell.value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def monthly_review_csv(review: MonthlyReview) -> dict[str, str]:
    """The review as CSV texts, one per sheet keyed "summary", "examples", "reps": the same rows
    as the workbook, each text starting with a UTF-8 byte order mark (so Excel reads Chinese
    correctly) and lines ending in CRLF. Write them encoded as UTF-8."""
    texts = {}
    for sheet in review_sheets(review):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in sheet.rows:
            writer.writerow([_csv_text(cell) for cell in row])
        texts[sheet.key] = "\ufeff" + buffer.getvalue()
    return texts
