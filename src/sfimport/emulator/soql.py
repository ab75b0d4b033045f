"""A SOQL parser for the statements a connector emits, with Salesforce's caret-style errors.

Grammar: SELECT (COUNT() | item, ...) FROM object [WHERE condition] [GROUP BY path, ...
[HAVING condition]] [ORDER BY key, ...] [LIMIT n] [OFFSET n], where an item is a field path,
an aggregate call (COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX) with an optional alias or
FIELDS(ALL|STANDARD|CUSTOM); conditions combine comparisons, IN, LIKE and null checks with
AND, OR, NOT and parentheses. Literals: strings, numbers, booleans, null, dates, datetimes and date
literals such as TODAY or LAST_N_DAYS:n.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sfimport.emulator.errors import SalesforceApiError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<baddatetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),:])
    """,
    re.VERBOSE,
)
KEYWORDS = frozenset(
    {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC"}
    | {"NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE", "GROUP", "HAVING"}
    | {"WITH", "FOR", "USING", "TYPEOF", "INCLUDES", "EXCLUDES"}
)
RELATIVE_DATES = frozenset(
    {"TODAY", "YESTERDAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH"}
    | {"THIS_MONTH", "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "THIS_YEAR", "LAST_YEAR"}
    | {"NEXT_YEAR"}
)
RELATIVE_N_DATES = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class FieldPath:
    """A field or a relationship path (`Owner.Name`) as written, with where it was written."""

    parts: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    """A typed literal: kind is string, number, boolean, null, date, datetime or relative."""

    kind: str
    value: object
    text: str


@dataclass(frozen=True)
class Comparison:
    field: FieldPath
    operator: str
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldPath
    values: tuple[Literal, ...]
    negated: bool
    # A semi-join (`Id IN (SELECT AccountId FROM Contact)`): the inner SOQL instead of values.
    subquery: str | None = None


@dataclass(frozen=True)
class Includes:
    """`field INCLUDES ('a;b', 'c')`: a multipicklist holding a and b, or c (EXCLUDES: not)."""

    field: FieldPath
    values: tuple[str, ...]
    excluded: bool


@dataclass(frozen=True)
class Like:
    field: FieldPath
    pattern: str


@dataclass(frozen=True)
class BoolOp:
    operator: str  # AND | OR
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


AGGREGATE_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})


@dataclass(frozen=True)
class CountOf:
    """An aggregate call such as `COUNT(field)` or `SUM(Amount)` with an optional alias; the
    row's key is the alias or `exprN`, N counting the unaliased aggregates before it."""

    field: FieldPath | None
    alias: str | None
    function: str = "COUNT"
    position: int = 0


@dataclass(frozen=True)
class AggregateComparison:
    """A HAVING predicate on an aggregate: `COUNT(Id) > 1`, `SUM(Amount) >= 1000`."""

    function: str
    field: FieldPath | None
    operator: str
    literal: Literal


Condition = Comparison | InList | Includes | Like | BoolOp | Not | AggregateComparison


@dataclass(frozen=True)
class FieldSet:
    """`FIELDS(ALL|STANDARD|CUSTOM)`, expanded at `index` of the SELECT list once resolved."""

    kind: str
    index: int
    position: int


@dataclass(frozen=True)
class TypeOf:
    """`TYPEOF What WHEN Account THEN Name, Phone ... ELSE Id END`: per-type fields of a
    polymorphic relationship; `whens` maps an object name (lower case) to its field names."""

    relationship: str
    whens: tuple[tuple[str, tuple[str, ...]], ...]
    otherwise: tuple[str, ...]


@dataclass(frozen=True)
class OrderKey:
    field: FieldPath
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class SubQuery:
    """A child relationship subquery in the SELECT list: `(SELECT Name FROM Opportunities)`.

    `text` is the inner SOQL, `relationship` its FROM, `after` how many plain fields of the
    outer SELECT come before it."""

    text: str
    relationship: str
    after: int
    position: int


@dataclass(frozen=True)
class Formatted:
    """`FORMAT(field) [alias]` or `FORMAT(MIN(field)) alias`: a value localised for the user.

    Without an alias the field keeps its name and `path` is also one of the query's fields;
    with one, the formatted value sits under the alias after `after` plain fields (the raw
    field may be selected too). `aggregate` is the aggregate call being formatted, if any."""

    path: FieldPath | None
    alias: str | None
    aggregate: CountOf | None
    after: int
    position: int


@dataclass(frozen=True)
class Query:
    text: str
    fields: tuple[FieldPath, ...]
    aggregates: tuple[CountOf, ...]
    count_only: bool
    sobject: str
    sobject_position: int
    where: Condition | None
    order_by: tuple[OrderKey, ...]
    limit: int | None
    offset: int | None
    field_sets: tuple[FieldSet, ...] = ()
    subqueries: tuple[SubQuery, ...] = ()
    group_by: tuple[FieldPath, ...] = ()
    having: Condition | None = None
    typeofs: tuple[TypeOf, ...] = ()
    formats: tuple[Formatted, ...] = ()


def soql_error(soql: str, position: int, code: str, text: str) -> SalesforceApiError:
    """Salesforce's caret-formatted message: the line, a caret under the column, then the text."""
    line_start = soql.rfind("\n", 0, position) + 1
    line_end = soql.find("\n", position)
    line = soql[line_start : line_end if line_end >= 0 else len(soql)].rstrip()
    row = soql.count("\n", 0, position) + 1
    column = position - line_start + 1
    caret = " " * (column - 1) + "^"
    return SalesforceApiError(
        400, code, f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{text}"
    )


def _lexer_error(soql: str, where: int) -> SalesforceApiError:
    """A character no token starts with, e.g. the space an unencoded `+` becomes in a URL.

    Real orgs report the lexer's 0-based position both as `line r:c` and as the caret block's
    Column (one less than the 1-based Column of parser errors), the caret under that column.
    """
    line_start = soql.rfind("\n", 0, where) + 1
    line_end = soql.find("\n", where)
    line = soql[line_start : line_end if line_end >= 0 else len(soql)].rstrip()
    row = soql.count("\n", 0, where) + 1
    column = where - line_start
    char = soql[where] if where < len(soql) else "<EOF>"
    caret = " " * max(column - 1, 0) + "^"
    return SalesforceApiError(
        400,
        "MALFORMED_QUERY",
        f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n"
        f"line {row}:{column} no viable alternative at character '{char}'",
    )


def tokenize(soql: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if match is None or match.lastgroup == "baddatetime":
            where = position if match is None else match.end()
            raise _lexer_error(soql, where)
        kind = str(match.lastgroup)
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", len(soql)))
    return tokens


def _parse_datetime(text: str) -> datetime:
    normalised = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normalised):
        normalised = normalised[:-2] + ":" + normalised[-2:]
    return datetime.fromisoformat(normalised).astimezone(UTC)


class _Parser:
    def __init__(self, soql: str) -> None:
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0
        # Inside a subquery: no subquery of its own (one level, as in Salesforce).
        self.inner = False
        # Parsing HAVING: aggregate calls may stand where a field does.
        self.having = False

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token | None = None) -> SalesforceApiError:
        token = token or self.current
        shown = token.text if token.kind != "eof" else "<EOF>"
        return soql_error(
            self.soql, token.position, "MALFORMED_QUERY", f"unexpected token: {shown}"
        )

    def keyword(self, word: str) -> bool:
        if self.current.kind == "ident" and self.current.upper == word:
            self.index += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.fail()

    def expect_punct(self, char: str) -> None:
        if self.current.text != char:
            raise self.fail()
        self.index += 1

    def field_path(self) -> FieldPath:
        token = self.current
        if token.kind != "ident" or token.upper in KEYWORDS:
            raise self.fail()
        self.index += 1
        return FieldPath(tuple(token.text.split(".")), token.position)

    def parse(self) -> Query:
        if self.current.kind == "eof":
            raise SalesforceApiError(
                400, "MALFORMED_QUERY", "SOQL statements cannot be empty or null"
            )
        self.expect_keyword("SELECT")
        fields: list[FieldPath] = []
        aggregates: list[CountOf] = []
        field_sets: list[FieldSet] = []
        count_only = False
        subqueries: list[SubQuery] = []
        typeofs: list[TypeOf] = []
        formats: list[Formatted] = []
        while True:
            if (
                self.current.kind == "ident"
                and self.current.upper == "FORMAT"
                and self.tokens[self.index + 1].text == "("
            ):
                formats.append(self.format_call(fields, aggregates))
            elif self.current.kind == "ident" and self.current.upper == "TYPEOF" and not self.inner:
                self.index += 1
                typeof = self.typeof()
                typeofs.append(typeof)
                names = [n for _, group in typeof.whens for n in group] + list(typeof.otherwise)
                position = self.tokens[self.index - 1].position
                for name in dict.fromkeys(n.lower() for n in names):
                    original = next(n for n in names if n.lower() == name)
                    fields.append(FieldPath((typeof.relationship, original), position))
            elif (
                self.current.text == "("
                and self.tokens[self.index + 1].upper == "SELECT"
                and not self.inner
            ):
                subqueries.append(self.subquery(len(fields)))
            elif (
                self.current.kind == "ident"
                and self.current.upper == "FIELDS"
                and self.tokens[self.index + 1].text == "("
            ):
                start = self.current
                self.index += 2
                kind = self.current
                if kind.kind != "ident" or kind.upper not in {"ALL", "STANDARD", "CUSTOM"}:
                    raise self.fail()
                self.index += 1
                self.expect_punct(")")
                field_sets.append(FieldSet(kind.upper, len(fields), start.position))
            elif (
                self.current.kind == "ident"
                and self.current.upper in AGGREGATE_FUNCTIONS
                and (self.tokens[self.index + 1].text == "(")
            ):
                call = self.current
                self.index += 2
                if self.current.text == ")" and call.upper == "COUNT":
                    self.index += 1
                    count_only = True
                else:
                    counted = self.field_path()
                    self.expect_punct(")")
                    alias = None
                    if self.current.kind == "ident" and self.current.upper not in KEYWORDS:
                        alias = self.advance().text
                    aggregates.append(CountOf(counted, alias, call.upper, call.position))
            else:
                fields.append(self.field_path())
            if self.current.text != ",":
                break
            self.index += 1
        if count_only and (fields or aggregates or field_sets):
            raise self.fail()
        if field_sets and aggregates:
            raise self.fail(self.tokens[self.index - 1])
        self.expect_keyword("FROM")
        sobject_token = self.current
        # Group (queues and public groups) is an object name although GROUP is a keyword.
        if sobject_token.kind != "ident" or (
            sobject_token.upper in KEYWORDS and sobject_token.upper != "GROUP"
        ):
            raise self.fail()
        self.index += 1
        # USING SCOPE Everything: every record the user can see, which is what is answered.
        if self.keyword("USING"):
            self.expect_keyword("SCOPE")
            self.accept_word({"EVERYTHING"})
        where = None
        if self.keyword("WHERE"):
            where = self.condition()
            _check_semi_joins(where)
        # Field-level security already hides what the user may not read (INVALID_FIELD), so
        # enforcing it, or running in user or system mode, changes no answer here.
        if self.keyword("WITH"):
            self.accept_word({"SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"})
        group_by: list[FieldPath] = []
        having = None
        if self.keyword("GROUP"):
            self.expect_keyword("BY")
            group_by.append(self.field_path())
            while self.current.text == ",":
                self.index += 1
                group_by.append(self.field_path())
            if self.keyword("HAVING"):
                self.having = True
                having = self.condition()
                self.having = False
        grouped = {path.text.lower() for path in group_by}
        loose = [path for path in fields if path.text.lower() not in grouped]
        if loose and (aggregates or group_by):
            first = loose[0]
            raise soql_error(
                self.soql,
                first.position,
                "MALFORMED_QUERY",
                f"Field must be grouped or aggregated: {first.text}",
            )
        if (group_by or aggregates) and typeofs:
            raise self.fail(self.tokens[self.index - 1])
        for formatted in formats:
            if formatted.path is not None and formatted.alias and (group_by or aggregates):
                raise soql_error(
                    self.soql,
                    formatted.position,
                    "MALFORMED_QUERY",
                    f"Field must be grouped or aggregated: {formatted.path.text}",
                )
        if group_by and (count_only or field_sets or subqueries):
            raise self.fail(self.tokens[self.index - 1])
        order: list[OrderKey] = []
        if self.keyword("ORDER"):
            self.expect_keyword("BY")
            while True:
                key = self.field_path()
                descending = self.keyword("DESC")
                if not descending:
                    self.keyword("ASC")
                nulls_last = descending
                if self.keyword("NULLS"):
                    if self.keyword("LAST"):
                        nulls_last = True
                    else:
                        self.expect_keyword("FIRST")
                        nulls_last = False
                order.append(OrderKey(key, descending, nulls_last))
                if self.current.text != ",":
                    break
                self.index += 1
        limit = self.integer_clause("LIMIT")
        offset = self.integer_clause("OFFSET")
        # FOR VIEW / FOR REFERENCE only update the user's recently viewed records.
        if self.keyword("FOR"):
            self.accept_word({"VIEW", "REFERENCE"})
        if self.current.kind != "eof":
            raise self.fail()
        for field_set in field_sets:
            # Only FIELDS(STANDARD) is bounded; ALL and CUSTOM would select unbounded columns.
            if field_set.kind != "STANDARD" and (limit is None or limit > 200):
                raise soql_error(
                    self.soql,
                    field_set.position,
                    "MALFORMED_QUERY",
                    "The SOQL FIELDS function must have a LIMIT of at most 200",
                )
        return Query(
            self.soql,
            tuple(fields),
            tuple(aggregates),
            count_only,
            sobject_token.text,
            sobject_token.position,
            where,
            tuple(order),
            limit,
            offset,
            tuple(field_sets),
            tuple(subqueries),
            tuple(group_by),
            having,
            tuple(typeofs),
            tuple(formats),
        )

    def accept_word(self, words: set[str]) -> None:
        """One of `words` (any case) must come next; others get the parser's wording."""
        if self.current.kind != "ident" or self.current.upper not in words:
            raise self.fail()
        self.index += 1

    def alias(self) -> str | None:
        if self.current.kind == "ident" and self.current.upper not in KEYWORDS:
            return self.advance().text
        return None

    def format_call(self, fields: list[FieldPath], aggregates: list[CountOf]) -> Formatted:
        """`FORMAT(field) [alias]` or `FORMAT(AGGREGATE(field)) [alias]` in the SELECT list."""
        start = self.current
        self.index += 2
        call = self.current
        if (
            call.kind == "ident"
            and call.upper in AGGREGATE_FUNCTIONS
            and self.tokens[self.index + 1].text == "("
        ):
            self.index += 2
            counted = self.field_path()
            self.expect_punct(")")
            self.expect_punct(")")
            alias = self.alias()
            aggregate = CountOf(counted, alias, call.upper, call.position)
            aggregates.append(aggregate)
            return Formatted(None, alias, aggregate, len(fields), start.position)
        path = self.field_path()
        self.expect_punct(")")
        alias = self.alias()
        if alias is None:
            fields.append(path)
        return Formatted(path, alias, None, len(fields), start.position)

    def names(self) -> tuple[str, ...]:
        """A comma-separated list of plain field names (a TYPEOF branch)."""
        out = [self.field_path().text]
        while self.current.text == ",":
            self.index += 1
            out.append(self.field_path().text)
        return tuple(out)

    def typeof(self) -> TypeOf:
        relationship = self.field_path().text
        whens: list[tuple[str, tuple[str, ...]]] = []
        otherwise: tuple[str, ...] = ()
        while self.keyword("WHEN"):
            kind = self.field_path().text
            self.expect_keyword("THEN")
            whens.append((kind.lower(), self.names()))
        if not whens:
            raise self.fail()
        if self.keyword("ELSE"):
            otherwise = self.names()
        self.expect_keyword("END")
        return TypeOf(relationship, tuple(whens), otherwise)

    def subquery(self, after: int) -> SubQuery:
        """`( SELECT ... FROM Relationship ... )`: the inner text, checked by parsing it."""
        open_token = self.advance()
        depth = 1
        start = self.index
        while depth:
            token = self.current
            if token.kind == "eof":
                raise self.fail(token)
            depth += {"(": 1, ")": -1}.get(token.text, 0) if token.kind == "punct" else 0
            self.index += 1
        first, last = self.tokens[start], self.tokens[self.index - 1]
        text = self.soql[first.position : last.position]
        inner = _Parser(text)
        inner.inner = True
        parsed = inner.parse()
        return SubQuery(text, parsed.sobject, after, open_token.position)

    def integer_clause(self, word: str) -> int | None:
        if not self.keyword(word):
            return None
        token = self.current
        if token.kind != "number" or "." in token.text or token.text.startswith("-"):
            raise self.fail()
        self.index += 1
        return int(token.text)

    def condition(self) -> Condition:
        items = [self.conjunction()]
        while self.keyword("OR"):
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def conjunction(self) -> Condition:
        items = [self.negation()]
        while self.keyword("AND"):
            items.append(self.negation())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def negation(self) -> Condition:
        if self.keyword("NOT"):
            return Not(self.negation())
        if self.current.text == "(":
            self.index += 1
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.predicate()

    def predicate(self) -> Condition:
        call = self.current
        if (
            self.having
            and call.kind == "ident"
            and call.upper in AGGREGATE_FUNCTIONS
            and self.tokens[self.index + 1].text == "("
        ):
            self.index += 2
            counted = None
            if self.current.text != ")" or call.upper != "COUNT":
                counted = self.field_path()
            self.expect_punct(")")
            if self.current.kind != "op":
                raise self.fail()
            operator = self.advance().text
            return AggregateComparison(
                call.upper, counted, "!=" if operator == "<>" else operator, self.literal()
            )
        path = self.field_path()
        if self.keyword("LIKE"):
            literal = self.literal()
            if literal.kind != "string":
                raise self.fail(self.tokens[self.index - 1])
            return Like(path, str(literal.value))
        for word in ("INCLUDES", "EXCLUDES"):
            if self.keyword(word):
                self.expect_punct("(")
                groups = [self.literal()]
                while self.current.text == ",":
                    self.index += 1
                    groups.append(self.literal())
                self.expect_punct(")")
                if any(group.kind != "string" for group in groups):
                    raise self.fail(self.tokens[self.index - 1])
                return Includes(path, tuple(str(g.value) for g in groups), word == "EXCLUDES")
        negated = False
        if self.keyword("NOT"):
            negated = True
            if not (self.current.kind == "ident" and self.current.upper == "IN"):
                raise self.fail()
        if self.keyword("IN"):
            self.expect_punct("(")
            if self.current.upper == "SELECT" and not self.inner and not self.having:
                start = self.index
                depth = 1
                while True:
                    token = self.current
                    if token.kind == "eof":
                        raise self.fail(token)
                    if token.kind == "punct":
                        depth += {"(": 1, ")": -1}.get(token.text, 0)
                    if depth == 0:
                        break
                    self.index += 1
                text = self.soql[self.tokens[start].position : self.current.position]
                self.index += 1
                inner = _Parser(text)
                inner.inner = True
                selected = inner.parse()
                if len(selected.fields) != 1 or selected.aggregates or selected.subqueries:
                    raise self.fail(self.tokens[start])
                return InList(path, (), negated, text)
            values = [self.literal()]
            while self.current.text == ",":
                self.index += 1
                values.append(self.literal())
            self.expect_punct(")")
            return InList(path, tuple(values), negated)
        if self.current.kind != "op":
            raise self.fail()
        operator = self.advance().text
        return Comparison(path, "!=" if operator == "<>" else operator, self.literal())

    def literal(self) -> Literal:
        token = self.advance()
        if token.kind == "string":
            body = token.text[1:-1]
            value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
            return Literal("string", value, token.text)
        if token.kind == "number":
            number: float | int = float(token.text) if "." in token.text else int(token.text)
            return Literal("number", number, token.text)
        if token.kind == "date":
            return Literal("date", date.fromisoformat(token.text), token.text)
        if token.kind == "datetime":
            return Literal("datetime", _parse_datetime(token.text), token.text)
        if token.kind == "ident":
            word = token.upper
            if word in {"TRUE", "FALSE"}:
                return Literal("boolean", word == "TRUE", token.text)
            if word == "NULL":
                return Literal("null", None, token.text)
            if word in RELATIVE_DATES:
                return Literal("relative", (word, 0), token.text)
            if word in RELATIVE_N_DATES and self.current.text == ":":
                self.index += 1
                amount = self.advance()
                if amount.kind != "number" or "." in amount.text:
                    raise self.fail(amount)
                return Literal("relative", (word, int(amount.text)), f"{token.text}:{amount.text}")
        raise self.fail(token)


def _nested_semi_join(condition: Condition) -> bool:
    if isinstance(condition, InList):
        return condition.subquery is not None
    if isinstance(condition, BoolOp):
        return any(_nested_semi_join(item) for item in condition.items)
    if isinstance(condition, Not):
        return _nested_semi_join(condition.item)
    return False


def _check_semi_joins(where: Condition) -> None:
    """Semi- and anti-joins stand at the top level of WHERE, alone or ANDed, never under an
    OR or a NOT (Salesforce refuses them there, with this wording)."""
    items = where.items if isinstance(where, BoolOp) and where.operator == "AND" else (where,)
    for item in items:
        if not isinstance(item, InList) and _nested_semi_join(item):
            raise SalesforceApiError(
                400,
                "MALFORMED_QUERY",
                "Semi join sub-selects are only allowed at the top level WHERE expressions and "
                "not in nested WHERE expressions.",
            )


def parse(soql: str) -> Query:
    """Parse one SOQL statement or raise `SalesforceApiError` (MALFORMED_QUERY)."""
    return _Parser(soql).parse()


def relative_range(name: str, amount: int, now: datetime) -> tuple[datetime, datetime]:
    """The [start, end) instants a date literal such as LAST_N_DAYS:7 covers, in UTC days."""
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    day = timedelta(days=1)
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    previous_month = (month_start - day).replace(day=1)
    year_start = today.replace(month=1, day=1)
    ranges = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (week_start, week_start + 7 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 14 * day),
        "THIS_MONTH": (month_start, next_month),
        "LAST_MONTH": (previous_month, month_start),
        "NEXT_MONTH": (next_month, (next_month + timedelta(days=32)).replace(day=1)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "THIS_YEAR": (year_start, year_start.replace(year=year_start.year + 1)),
        "LAST_YEAR": (year_start.replace(year=year_start.year - 1), year_start),
        "NEXT_YEAR": (
            year_start.replace(year=year_start.year + 1),
            year_start.replace(year=year_start.year + 2),
        ),
        # LAST_N_DAYS:n runs from n days ago through the end of today.
        "LAST_N_DAYS": (today - amount * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (amount + 1) * day),
    }
    return ranges[name]
