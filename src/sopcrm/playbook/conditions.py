"""Playbook conditions: a small declarative language for rules such as
`discount_percent > 20 and region in ["eu_us", "sea"]`.

A condition is parsed once when the playbook loads (syntax errors carry their position), checked
against the object's field types (`Condition.check`), and evaluated many times against a record's
stored field values (`Condition.evaluate`). Nothing is ever handed to Python's eval: the tokenizer,
parser and node classes below are the whole language.

Grammar, lowest precedence first (comparisons do not chain):

    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") sum]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | STRING | "true" | "false" | "null" | "[" [items] "]"
                | NAME "(" [items] ")" | NAME | "(" or_expr ")"

Evaluation (values in their stored forms, see sopcrm.core.fieldtypes):
- A missing key, None, or a value of a type the operation cannot use is null. Comparisons with
  null other than `==`/`!=` are false, arithmetic with null is null, and `and`/`or`/`not` treat
  null (indeed anything but `true`) as false. `evaluate` always returns a bool and never raises.
- Numbers are Decimals (a float by its repr), so `0.1 + 0.2 == 0.3` holds.
- Money works on Decimal(amount); a plain number stands for an amount in the same currency.
  Money in different currencies is never equal, never ordered (`<` etc. are false) and does not
  add up (null).
- A date ± n is n whole days later/earlier (a fraction is dropped); date - date is whole days.
  A string compared with a date is read as an ISO date: `quote_date > "2024-06-01"` works.
- A datetime (naive ones are taken as UTC) ± n shifts by n days, fractions allowed; datetime -
  datetime is fractional days. Mixed with a date, a datetime stands for its UTC date.
- Lists (multi_choice) compare as sets. In `x in list` a null list is empty; a null x is neither
  in nor not in anything.
"""

import difflib
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from enum import Enum
from typing import Any, NamedTuple

from sopcrm.core.fieldtypes import FieldType

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "Condition", "ConditionError", "parse_condition"]

MAX_LENGTH = 2000
MAX_DEPTH = 50


class ConditionError(Exception):
    """A problem in a condition: `message` in plain English (naming the 1-based column) and
    `position`, the 0-based character offset in the source."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _error(message: str, position: int, hint: str = "") -> ConditionError:
    text = f"{message} at column {position + 1}"
    return ConditionError(f"{text} ({hint})" if hint else text, position)


# --- Tokens -----------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # "num", "str", "name", "op" or "end"
    text: str  # as written; a string keeps its quotes, so it never looks like a keyword
    pos: int
    value: Any = None


_TOKEN = re.compile(
    r"(?P<space>[ \t\r\n]+)|(?P<num>[0-9]+(?:\.[0-9]+)?)|(?P<name>[a-z][a-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|[<>+\-*/()\[\],])",
    re.ASCII,
)
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
_CHAR_HINTS = {"=": "use '==' to compare", "&": "use 'and'", "|": "use 'or'", "!": "use 'not'"}


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char in "\"'":
            end, value = _scan_string(source, pos)
            tokens.append(_Token("str", source[pos:end], pos, value))
            pos = end
            continue
        match = _TOKEN.match(source, pos)
        if match is None:
            upper = "field keys and keywords are lowercase" if "A" <= char <= "Z" else ""
            raise _error(f"unexpected character {char!r}", pos, _CHAR_HINTS.get(char, upper))
        kind = match.lastgroup or ""
        if kind != "space":
            text = match.group()
            tokens.append(_Token(kind, text, pos, Decimal(text) if kind == "num" else None))
        pos = match.end()
    tokens.append(_Token("end", "", len(source)))
    return tokens


def _scan_string(source: str, start: int) -> tuple[int, str]:
    quote, pos, out = source[start], start + 1, list[str]()
    while pos < len(source) and source[pos] != quote:
        char = source[pos]
        if char == "\\" and pos + 1 < len(source):
            char = _ESCAPES.get(source[pos + 1], "")
            if not char:
                hint = r"use \\ \" \' \n or \t"
                raise _error(f"unknown escape '\\{source[pos + 1]}' in a string", pos, hint)
            pos += 1
        out.append(char)
        pos += 1
    if pos >= len(source):
        raise _error("unterminated string starting", start, f"close it with {quote}")
    return pos + 1, "".join(out)


def _show(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the condition"
    return f"'{token.text if len(token.text) <= 20 else token.text[:20] + '...'}'"


# --- Kinds: the static types, also used to classify values at evaluation -----------------------


class _Kind(Enum):
    NUMBER = "a number"
    MONEY = "money"
    DATE = "a date"
    DATETIME = "a date and time"
    TEXT = "text"
    BOOL = "true/false"
    LIST = "a list"
    USER = "a user"
    NULL = "null"
    ANY = "an unknown value"  # after an error, so that one mistake is reported once


_N, _M, _D, _T = _Kind.NUMBER, _Kind.MONEY, _Kind.DATE, _Kind.DATETIME
_FIELD_KINDS = dict.fromkeys((FieldType.TEXT, FieldType.CHOICE, FieldType.COUNTRY), _Kind.TEXT)
_FIELD_KINDS.update({FieldType.NUMBER: _N, FieldType.MONEY: _M, FieldType.DATE: _D})
_FIELD_KINDS.update({FieldType.DATETIME: _T, FieldType.BOOL: _Kind.BOOL})
_FIELD_KINDS.update({FieldType.MULTI_CHOICE: _Kind.LIST, FieldType.USER: _Kind.USER})
# Arithmetic, as "left op right = result" with n number, m money, d date, t datetime: so `d-d=n`
# reads "a date minus a date is a number (of days)". Anything not listed is a type error.
_ARITH_RULES = """
    n+n=n m+m=m m+n=m n+m=m d+n=d n+d=d t+n=t n+t=t
    n-n=n m-m=m m-n=m d-n=d t-n=t d-d=n t-t=n d-t=n t-d=n
    n*n=n m*n=m n*m=m n/n=n m/n=m m/m=n
"""
_LETTERS = {"n": _N, "m": _M, "d": _D, "t": _T}
_ARITH_KINDS = {
    (rule[1], _LETTERS[rule[0]], _LETTERS[rule[2]]): _LETTERS[rule[4]]
    for rule in _ARITH_RULES.split()
}
_COMPARABLE = {frozenset((_N, _M)), frozenset((_D, _T)), frozenset((_N, _Kind.USER))}
_ORDERED = {_N, _M, _D, _T, _Kind.TEXT, _Kind.ANY}
_TEMPORAL = {_D, _T}


# --- Values at evaluation ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Money:
    amount: Decimal
    currency: str


# Our own context, so results do not depend on whatever the calling thread has set; overflow and
# division by zero raise, and the node turns them into null.
_CTX = Context(prec=28, traps=[InvalidOperation, DivisionByZero, Overflow])
_DECIMAL_OPS = {"+": _CTX.add, "-": _CTX.subtract, "*": _CTX.multiply, "/": _CTX.divide}
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MAX_SHIFT_DAYS = 3_700_000  # beyond the whole calendar: refuse before building a huge int
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}", re.ASCII)


def _stored(value: Any, nested: bool = False) -> Any:
    """A stored field value in evaluation form (Decimal, _Money, date, aware datetime, str, bool
    or tuple), or None for null and for anything unusable."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return number if number.is_finite() else None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, Mapping):
        amount, currency = value.get("amount"), value.get("currency")
        try:
            number = Decimal(amount) if isinstance(amount, str) else _stored(amount, nested=True)
        except ArithmeticError:
            return None
        if isinstance(number, Decimal) and number.is_finite() and isinstance(currency, str):
            return _Money(number, currency)
        return None
    if isinstance(value, list | tuple) and not nested:
        return tuple(_stored(item, nested=True) for item in value)
    return None


def _temporal(value: Any) -> date | None:
    """A date or aware datetime from a value or an ISO string; None if it is neither."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
        if _ISO_DATETIME.match(value):
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        pass
    return None


def _classify(value: Any) -> tuple[_Kind, Any]:
    """The kind of a value at evaluation, with an ISO date(time) string read as one."""
    for kind, python_type in ((_Kind.BOOL, bool), (_N, Decimal), (_M, _Money), (_Kind.LIST, tuple)):
        if isinstance(value, python_type):
            return kind, value
    moment = _temporal(value)
    if moment is not None:
        return (_T if isinstance(moment, datetime) else _D), moment
    return (_Kind.TEXT if isinstance(value, str) else _Kind.NULL), value


def _align(a: date, b: date) -> tuple[date, date]:
    # A datetime and a plain date cannot be compared or subtracted: use the datetime's UTC date.
    if isinstance(a, datetime) != isinstance(b, datetime):
        a, b = (m.astimezone(UTC).date() if isinstance(m, datetime) else m for m in (a, b))
    return a, b


def _arith(op: str, a: Any, b: Any) -> Any:
    """`a op b` by _ARITH_KINDS; None for null, for other kinds and across currencies."""
    (ka, x), (kb, y) = _classify(a), _classify(b)
    result = _ARITH_KINDS.get((op, ka, kb))
    if result is None or (ka is kb is _M and x.currency != y.currency):
        return None
    if result in _TEMPORAL:  # a date(time) moved by a number of days
        moment, days = (x, y) if kb is _N else (y, x)
        days = days if op == "+" else _CTX.minus(days)
        if days.copy_abs() > _MAX_SHIFT_DAYS:
            return None
        return moment + timedelta(days=float(days) if isinstance(moment, datetime) else int(days))
    if ka in _TEMPORAL:  # the days between two dates or datetimes
        if ka is kb is _T:
            return _CTX.divide(Decimal((x - y) // timedelta(microseconds=1)), 86_400_000_000)
        x, y = _align(x, y)
        return Decimal((x - y).days)
    amount = _DECIMAL_OPS[op](x.amount if ka is _M else x, y.amount if kb is _M else y)
    return _Money(amount, (x if ka is _M else y).currency) if result is _M else amount


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Two non-null scalars in a form Python compares correctly, or None if they do not compare."""
    (ka, x), (kb, y) = _classify(a), _classify(b)
    if ka in _TEMPORAL and kb in _TEMPORAL:
        return _align(x, y)
    if isinstance(a, str) and isinstance(b, str):
        return a, b  # text, even if one of them looks like a date
    if {ka, kb} <= {_N, _M}:
        if ka is kb is _M and x.currency != y.currency:
            return None
        return (x.amount if ka is _M else x), (y.amount if kb is _M else y)
    return (x, y) if ka is kb and ka in (_Kind.BOOL, _Kind.TEXT) else None


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, tuple) or isinstance(b, tuple):
        lists = isinstance(a, tuple) and isinstance(b, tuple)
        return lists and all(_member(x, b) for x in a) and all(_member(y, a) for y in b)
    pair = _comparable(a, b)
    return pair is not None and pair[0] == pair[1]


def _member(value: Any, items: Any) -> bool:
    return isinstance(items, tuple) and any(_equal(value, item) for item in items)


def _compare(op: str, a: Any, b: Any) -> bool:
    try:
        if op in ("==", "!="):
            return _equal(a, b) == (op == "==")
        if a is None:
            return False
        if op in ("in", "not in"):
            return _member(a, b) == (op == "in")
        pair = None if b is None else _comparable(a, b)
        return pair is not None and _ORDER[op](*pair)
    except (ArithmeticError, ValueError):  # a datetime at the very edge of the calendar
        return False


# --- Nodes: each evaluates itself and reports its kind to the checker --------------------------


class _Checker:
    def __init__(self, field_types: Mapping[str, FieldType | str]) -> None:
        self.field_types = field_types
        self.errors: list[ConditionError] = []

    def error(self, message: str, position: int, hint: str = "") -> _Kind:
        self.errors.append(_error(message, position, hint))
        return _Kind.ANY


@dataclass(slots=True, eq=False)
class _Node(ABC):
    """A node of a parsed condition: every kind of node evaluates and type-checks itself."""

    pos: int
    depth: int = field(default=1, init=False)  # set by the parser, which bounds it

    @abstractmethod
    def evaluate(self, values: Mapping[str, Any], today: date) -> Any: ...

    @abstractmethod
    def kind(self, checker: _Checker) -> _Kind: ...


def _compatible(a: _Kind, b: _Kind, a_node: _Node | None, b_node: _Node | None) -> bool:
    if a is b or {a, b} & {_Kind.ANY, _Kind.NULL} or frozenset((a, b)) in _COMPARABLE:
        return True
    # A string literal written as an ISO date stands for that date.
    date_text = [isinstance(n, _Literal) and _temporal(n.value) for n in (a_node, b_node)]
    return (a in _TEMPORAL and bool(date_text[1])) or (b in _TEMPORAL and bool(date_text[0]))


@dataclass(slots=True, eq=False)
class _Literal(_Node):
    value: Any

    def evaluate(self, values: Mapping[str, Any], today: date) -> Any:
        return self.value

    def kind(self, checker: _Checker) -> _Kind:
        if self.value is None:
            return _Kind.NULL
        return _Kind.TEXT if isinstance(self.value, str) else _classify(self.value)[0]


@dataclass(slots=True, eq=False)
class _Field(_Node):
    key: str

    def evaluate(self, values: Mapping[str, Any], today: date) -> Any:
        return _stored(values.get(self.key))

    def kind(self, checker: _Checker) -> _Kind:
        field_type = checker.field_types.get(self.key)
        if field_type is None:
            close = difflib.get_close_matches(self.key, sorted(checker.field_types), n=1)
            hint = f"did you mean '{close[0]}'?" if close else ""
            return checker.error(f"unknown field '{self.key}'", self.pos, hint)
        try:
            return _FIELD_KINDS[FieldType(field_type)]
        except ValueError:  # a type this module does not know: do not guess
            return _Kind.ANY


@dataclass(slots=True, eq=False)
class _List(_Node):
    items: list[_Node]

    def evaluate(self, values: Mapping[str, Any], today: date) -> Any:
        return tuple(item.evaluate(values, today) for item in self.items)

    def kind(self, checker: _Checker) -> _Kind:
        for item in self.items:
            item.kind(checker)
        return _Kind.LIST


_FUNCTIONS = {"count": 1, "days": 1, "empty": 1, "today": 0}


@dataclass(slots=True, eq=False)
class _Call(_Node):
    name: str
    args: list[_Node]

    def evaluate(self, values: Mapping[str, Any], today: date) -> Any:
        if self.name == "today":
            return today
        arg = self.args[0].evaluate(values, today)
        if self.name == "empty":
            return arg is None or (isinstance(arg, str | tuple) and not arg)
        if self.name == "count":  # an empty multi_choice is stored as null
            return Decimal(len(arg or ())) if isinstance(arg, tuple | None) else None
        return arg if isinstance(arg, Decimal) else None  # days(n) is n: it only reads well

    def kind(self, checker: _Checker) -> _Kind:
        kinds = [arg.kind(checker) for arg in self.args]
        if self.name in ("today", "empty"):
            return _D if self.name == "today" else _Kind.BOOL
        wanted, noun = (_N, "a number") if self.name == "days" else (_Kind.LIST, "a list")
        if kinds[0] not in (wanted, _Kind.NULL, _Kind.ANY):
            message = f"{self.name}() needs {noun}, not {kinds[0].value}"
            checker.error(message, self.args[0].pos)
        return _N


@dataclass(slots=True, eq=False)
class _Arith(_Node):
    op: str  # "+", "-", "*", "/", or "neg" for unary minus (left is then -1)
    left: _Node
    right: _Node

    def evaluate(self, values: Mapping[str, Any], today: date) -> Any:
        a, b = self.left.evaluate(values, today), self.right.evaluate(values, today)
        try:
            return _arith("*" if self.op == "neg" else self.op, a, b)
        except (ArithmeticError, ValueError):  # overflow, division by zero, off the calendar
            return None

    def kind(self, checker: _Checker) -> _Kind:
        a, b = self.left.kind(checker), self.right.kind(checker)
        if _Kind.ANY in (a, b) or _Kind.NULL in (a, b):
            return _Kind.ANY if _Kind.ANY in (a, b) else _Kind.NULL
        result = _ARITH_KINDS.get(("*" if self.op == "neg" else self.op, a, b))
        if result is not None:
            return result
        if self.op == "neg":
            return checker.error(f"'-' cannot negate {b.value}", self.pos)
        hint = "arithmetic needs numbers, money or dates" if _Kind.TEXT in (a, b) else ""
        return checker.error(f"'{self.op}' cannot combine {a.value} and {b.value}", self.pos, hint)


@dataclass(slots=True, eq=False)
class _Compare(_Node):
    op: str
    left: _Node
    right: _Node

    def evaluate(self, values: Mapping[str, Any], today: date) -> Any:
        left, right = self.left.evaluate(values, today), self.right.evaluate(values, today)
        return _compare(self.op, left, right)

    def kind(self, checker: _Checker) -> _Kind:
        a = self.left.kind(checker)
        if self.op in ("in", "not in"):
            self._check_in(checker, a)
            return _Kind.BOOL
        b = self.right.kind(checker)
        if not _compatible(a, b, self.left, self.right):
            hint = 'write a date as "YYYY-MM-DD"' if {a, b} & _TEMPORAL else ""
            checker.error(f"'{self.op}' cannot compare {a.value} with {b.value}", self.pos, hint)
        elif self.op in _ORDER and _Kind.NULL in (a, b):
            hint = "use '== null' or '!= null'"
            checker.error(f"'{self.op}' with null is always false", self.pos, hint)
        elif self.op in _ORDER and {a, b} - _ORDERED:
            hint = "order numbers, money, dates or text"
            checker.error(
                f"'{self.op}' cannot order {({a, b} - _ORDERED).pop().value}", self.pos, hint
            )
        return _Kind.BOOL

    def _check_in(self, checker: _Checker, a: _Kind) -> None:
        items: list[tuple[_Node | None, _Kind]] = []
        if isinstance(self.right, _List):
            items = [(item, item.kind(checker)) for item in self.right.items]
        else:
            b = self.right.kind(checker)
            if b not in (_Kind.LIST, _Kind.ANY):
                hint = 'use a multi-choice field or a list such as ["a", "b"]'
                checker.error(
                    f"'{self.op}' needs a list on its right, not {b.value}", self.pos, hint
                )
                return
            items = [(None, _Kind.TEXT)] if b is _Kind.LIST else []  # multi_choice holds keys
        if a is _Kind.LIST:
            checker.error(f"'{self.op}' looks for one value in a list, not for a list", self.pos)
            return
        for node, kind in items:
            if not _compatible(a, kind, self.left, node):
                where = self.pos if node is None else node.pos
                checker.error(f"'{self.op}' cannot compare {a.value} with {kind.value}", where)


@dataclass(slots=True, eq=False)
class _Logic(_Node):
    op: str  # "and", "or", or "not" with one item
    items: list[_Node]

    def evaluate(self, values: Mapping[str, Any], today: date) -> Any:
        if self.op == "not":
            return self.items[0].evaluate(values, today) is not True
        test = all if self.op == "and" else any
        return test(item.evaluate(values, today) is True for item in self.items)

    def kind(self, checker: _Checker) -> _Kind:
        for item in self.items:
            kind = item.kind(checker)
            if kind not in (_Kind.BOOL, _Kind.NULL, _Kind.ANY):
                checker.error(f"'{self.op}' needs true/false, not {kind.value}", item.pos)
        return _Kind.BOOL


# --- Parser -----------------------------------------------------------------------------------

_COMPARE, _NEG = 4, 7  # binding powers: `not` takes a comparison or tighter; `-` a primary
_POWER = {"or": 1, "and": 2, "+": 5, "-": 5, "*": 6, "/": 6}
_POWER.update(dict.fromkeys(("==", "!=", "<", "<=", ">", ">=", "in", "not in"), _COMPARE))
_CONSTANTS = {"true": True, "false": False, "null": None}
_KEYWORDS = {"and", "or", "not", "in", *_CONSTANTS}


class _Parser:
    """A Pratt parser: `_expr` folds binary operators by binding power (`or` < `and` <
    comparisons < `+ -` < `* /`); `_prefix` reads `not`, unary minus and primaries. `nesting`
    bounds the recursion through brackets and prefixes, and `_make` the depth of the tree, which
    evaluation walks recursively (a long chain like `1 + 1 + ...` nests to the left)."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.index = 0
        self.nesting = 0
        self.fields: set[str] = set()

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def _next(self) -> _Token:
        self.index += 1
        return self.tokens[self.index - 1]

    def _at(self, kind: str, *texts: str) -> bool:
        return self.token.kind == kind and self.token.text in texts

    def _too_deep(self, pos: int) -> ConditionError:
        return _error(f"the condition is nested more than {MAX_DEPTH} levels deep", pos)

    def _nested[T](self, pos: int, parse: Callable[[], T]) -> T:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self._too_deep(pos)
        result = parse()
        self.nesting -= 1
        return result

    def _make(self, node: _Node, *children: _Node) -> _Node:
        node.depth = 1 + max((child.depth for child in children), default=0)
        if node.depth > MAX_DEPTH:
            raise self._too_deep(node.pos)
        return node

    def parse(self) -> _Node:
        if self.token.kind == "end":
            raise _error("the condition is empty", 0)
        node = self._expr()
        if self.token.kind != "end":
            wanted = "nothing to close" if self._at("op", ")", "]") else "expected an operator"
            raise _error(f"unexpected {_show(self.token)}", self.token.pos, wanted)
        return node

    def _binary_op(self) -> str | None:
        if self._at("op", *_POWER) or self._at("name", "or", "and", "in"):
            return self.token.text
        not_in = self._at("name", "not") and self.tokens[self.index + 1].text == "in"
        return "not in" if not_in else None

    def _expr(self, min_power: int = 1) -> _Node:
        left = self._prefix(min_power)
        compared = False
        while (op := self._binary_op()) is not None and _POWER[op] >= min_power:
            token = self._next()
            if op == "not in":
                self._next()
            if compared and _POWER[op] == _COMPARE:
                raise _error("comparisons cannot be chained", token.pos, "write 'a < x and x < b'")
            right = self._expr(_POWER[op] + 1)
            if op in ("and", "or"):  # one node for `a or b or c`: flat, however long
                flat = isinstance(left, _Logic) and left.op == op
                items = [*left.items, right] if isinstance(left, _Logic) and flat else [left, right]
                left = self._make(_Logic(left.pos, op, items), *items)
            else:
                node_type = _Compare if _POWER[op] == _COMPARE else _Arith
                left = self._make(node_type(token.pos, op, left, right), left, right)
            compared = _POWER[op] == _COMPARE
        return left

    def _prefix(self, min_power: int) -> _Node:
        token = self.token
        if self._at("name", "not") and min_power <= _COMPARE:
            self._next()
            operand = self._nested(token.pos, lambda: self._expr(_COMPARE))
            return self._make(_Logic(token.pos, "not", [operand]), operand)
        if not self._at("op", "-"):
            return self._primary()
        self._next()
        operand = self._nested(token.pos, lambda: self._prefix(_NEG))
        if isinstance(operand, _Literal) and isinstance(operand.value, Decimal):
            return _Literal(token.pos, operand.value.copy_negate())  # -5 is a number, not a node
        minus_one = _Literal(token.pos, Decimal(-1))
        return self._make(_Arith(token.pos, "neg", minus_one, operand), operand)

    def _primary(self) -> _Node:
        token = self.token
        if token.kind in ("num", "str") or token.text in _CONSTANTS:
            self._next()
            return _Literal(token.pos, _CONSTANTS.get(token.text, token.value))
        if token.kind == "name" and token.text not in _KEYWORDS:
            self._next()
            if self._at("op", "("):
                return self._call(token)
            self.fields.add(token.text)
            return _Field(token.pos, token.text)
        if self._at("op", "("):
            self._next()
            node = self._nested(token.pos, self._expr)
            self._close(")", token, "')'")
            return node
        if self._at("op", "["):
            self._next()
            items = self._nested(token.pos, lambda: self._items("]", token))
            return self._make(_List(token.pos, items), *items)
        after = f" after {_show(self.tokens[self.index - 1])}" if self.index else ""
        found = "" if token.kind == "end" else f"found {_show(token)}"
        raise _error(f"expected an operand{after}", token.pos, found)

    def _close(self, closer: str, opener: _Token, wanted: str) -> None:
        if not self._at("op", closer):
            message = f"expected {wanted} to close the '{opener.text}' at column {opener.pos + 1}"
            raise _error(f"{message}, found {_show(self.token)}", self.token.pos)
        self._next()

    def _items(self, closer: str, opener: _Token) -> list[_Node]:
        items: list[_Node] = []
        if not self._at("op", closer):
            items.append(self._expr())
            while self._at("op", ","):
                self._next()
                items.append(self._expr())
        self._close(closer, opener, f"',' or '{closer}'")
        return items

    def _call(self, name: _Token) -> _Node:
        if name.text not in _FUNCTIONS:
            close = difflib.get_close_matches(name.text, list(_FUNCTIONS), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "known: count, days, empty, today"
            raise _error(f"unknown function '{name.text}'", name.pos, hint)
        opener = self._next()
        args = self._nested(opener.pos, lambda: self._items(")", opener))
        wanted = _FUNCTIONS[name.text]
        if len(args) != wanted:
            hint = f"it takes {wanted}, not {len(args)}"
            raise _error(f"wrong number of arguments to {name.text}()", name.pos, hint)
        return self._make(_Call(name.pos, name.text, args), *args)


# --- API --------------------------------------------------------------------------------------


class Condition:
    """A parsed condition. Immutable; parse once, then check and evaluate as often as needed."""

    __slots__ = ("_fields", "_root", "source")

    def __init__(self, source: str, root: _Node, fields: frozenset[str]) -> None:
        self.source = source
        self._root = root
        self._fields = fields

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"

    def fields(self) -> frozenset[str]:
        """The keys of the fields the condition reads."""
        return self._fields

    def check(self, field_types: Mapping[str, FieldType | str]) -> list[ConditionError]:
        """Problems found without any record (unknown fields, type mismatches), in order."""
        checker = _Checker(field_types)
        kind = self._root.kind(checker)
        if kind not in (_Kind.BOOL, _Kind.ANY):
            checker.error(f"a condition must be true or false, but this one gives {kind.value}", 0)
        return sorted(checker.errors, key=lambda error: error.position)

    def evaluate(self, values: Mapping[str, Any], *, today: date) -> bool:
        """Whether the condition holds for these stored field values on the day `today`."""
        if isinstance(today, datetime):
            today = today.date()
        return self._root.evaluate(values, today) is True


def parse_condition(source: str) -> Condition:
    """The parsed condition, or ConditionError naming the first syntax error and its position."""
    if len(source) > MAX_LENGTH:
        raise _error(f"the condition is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    parser = _Parser(source)
    root = parser.parse()
    return Condition(source, root, frozenset(parser.fields))
