"""Pipe definitions as files, the editor's step builder, and the dependency graph, without any
database: what a person writes reads back equal, mistakes say where, cycles are found."""

from __future__ import annotations

import pytest

from sfimport.errors import PipeInvalid
from sfimport.pipes import graph
from sfimport.pipes.definition import PipeDefinition, with_step

EVERY_STEP = """\
name = "Everything"
folder = "Pipes"
description = "One of each"
every = "1d"
source = "Sales.Opportunity"

[[steps]]
filter = "Amount > 0"

[[steps]]
join = "Sales.Account"
on = ["AccountId", "Id"]
how = "left"
columns = ["Industry"]

[[steps]]
group = ["Industry"]
aggregates = [
  { function = "sum", as = "Amount", column = "Amount" },
  { function = "count", as = "n" },
]

[[steps]]
union = "Pipes.Other"

[[steps]]
compute = "Twice"
expression = "Amount * 2"

[[steps]]
rename = { Industry = "Sector" }

[[steps]]
select = ["Sector", "Twice"]

[[steps]]
pivot = "Sector"
values = "Twice"
function = "max"
"""


def test_a_definition_file_reads_back_equal() -> None:
    definition = PipeDefinition.from_toml(EVERY_STEP)
    assert [s.kind for s in definition.steps] == [
        "filter",
        "join",
        "group",
        "union",
        "compute",
        "rename",
        "select",
        "pivot",
    ]
    assert PipeDefinition.from_toml(definition.to_toml()) == definition
    sql = PipeDefinition.from_toml('name = "S"\nsql = """\nSELECT 1 AS "a"\n"""\n')
    assert PipeDefinition.from_toml(sql.to_toml()) == sql


MEDIAN = """name = "X"
source = "A.B"
[[steps]]
group = ["a"]
aggregates = [{ function = "median" }]
"""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('name = "X"\n', "reads nothing"),
        ('name = "X"\nsql = "SELECT 1"\nsource = "A.B"\n', "not both"),
        ('name = "X"\nsource = "A.B"\n[[steps]]\nfilter = "a"\nselect = ["a"]\n', "exactly one"),
        ('name = "X"\nsource = "A.B"\n[[steps]]\njoin = "A.C"\n', "on = "),
        ('name = "X"\nsource = "A.B"\nfrom = "x"\n', "unknown keys: from"),
        (
            MEDIAN,
            "median",
        ),
        ("name = ", "not valid TOML"),
    ],
)
def test_mistakes_in_a_definition_say_where(text: str, words: str) -> None:
    with pytest.raises(PipeInvalid, match=words):
        PipeDefinition.from_toml(text)


def test_the_step_builder_appends_what_its_two_boxes_say() -> None:
    text = 'name = "X"\nsource = "Sales.Opportunity"\n'
    text = with_step(text, "join", "Sales.Account", "left: AccountId = Id")
    text = with_step(text, "group", "StageName", "sum(Amount) as Amount, count(distinct Id) as n")
    text = with_step(text, "rename", "StageName = Stage", "")
    steps = PipeDefinition.from_toml(text).steps
    assert (steps[0].source, steps[0].on, steps[0].how) == (
        "Sales.Account",
        ("AccountId", "Id"),
        "left",
    )
    assert [(a.function, a.column, a.name) for a in steps[1].aggregates] == [
        ("sum", "Amount", "Amount"),
        ("count_distinct", "Id", "n"),
    ]
    assert steps[2].renames == (("StageName", "Stage"),)
    with pytest.raises(PipeInvalid, match="not an aggregate"):
        with_step(text, "group", "StageName", "Amount")


def test_the_graph_orders_rebuilds_and_finds_cycles() -> None:
    reads = {
        "p.total": ("p.by_account",),
        "p.by_account": ("s.contact", "s.account"),
        "p.other": ("s.account",),
    }
    assert graph.rebuild_order(reads, ["S.Contact"]) == ["p.by_account", "p.total"]
    assert graph.rebuild_order(reads, ["s.account"]) == ["p.by_account", "p.other", "p.total"]
    assert graph.upstream(reads, "p.total") == ["p.by_account", "s.account", "s.contact"]
    assert graph.find_cycle(reads) is None
    assert graph.find_cycle({**reads, "p.by_account": ("p.total",)}) == [
        "p.by_account",
        "p.total",
        "p.by_account",
    ]
    assert graph.find_cycle({"p.self": ("p.self",)}) == ["p.self", "p.self"]
