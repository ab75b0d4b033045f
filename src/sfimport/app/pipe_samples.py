"""The demo's two sample pipes (open pipeline by stage and account industry; leads by source
per month), made as soon as the data sets they read are in My Data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sfimport.errors import SfimportError
from sfimport.salesforce.redaction import redacting_logger
from sfimport.store.mydata import Dataset

logger = redacting_logger(__name__)

SAMPLE_FOLDER = "Samples"


@dataclass(frozen=True)
class Sample:
    name: str
    #: The Salesforce objects it reads, all imported into one folder.
    objects: tuple[str, ...]
    #: The definition, with {Opportunity} ... standing for "Folder.Name" and {Lead_sql} ... for
    #: the quoted table in SQL.
    template: str


SAMPLES = (
    Sample(
        "Open pipeline by stage and industry",
        ("Opportunity", "Account"),
        """\
name = "Open pipeline by stage and industry"
folder = "{folder}"
description = "Open opportunities by stage and their account's industry (a sample pipe)."
source = "{Opportunity}"

[[steps]]
filter = "NOT IsClosed"

[[steps]]
join = "{Account}"
on = ["AccountId", "Id"]
how = "left"
columns = ["Industry"]

[[steps]]
group = ["StageName", "Industry"]
aggregates = [
  {{ function = "sum", column = "Amount", as = "Amount" }},
  {{ function = "count", as = "Opportunities" }},
]
""",
    ),
    Sample(
        "Leads by source per month",
        ("Lead",),
        """\
name = "Leads by source per month"
folder = "{folder}"
description = "How many leads each source brought in, month by month (a sample pipe)."
sql = '''
SELECT date_trunc('month', CreatedDate) AS Month,
       coalesce(LeadSource, '(none)') AS LeadSource,
       count(*) AS Leads
FROM {Lead_sql}
GROUP BY ALL
'''
""",
    ),
)


def _ref(dataset: Dataset) -> str:
    return f'"{dataset.folder}"."{dataset.name}"'


def due_samples(datasets: Sequence[Dataset], existing: set[str]) -> list[tuple[str, str]]:
    """(qualified name, definition) of each sample not made yet whose objects are imported
    into one folder; the first such folder wins."""
    found = []
    for sample in SAMPLES:
        qualified = f"{SAMPLE_FOLDER}.{sample.name}"
        if qualified.lower() in existing:
            continue
        folders = sorted({d.folder for d in datasets})
        for folder in folders:
            by_object = {d.source: d for d in datasets if d.folder == folder and d.kind == "object"}
            if all(o in by_object for o in sample.objects):
                refs = {o: f"{by_object[o].folder}.{by_object[o].name}" for o in sample.objects}
                refs |= {f"{o}_sql": _ref(by_object[o]) for o in sample.objects}
                found.append((qualified, sample.template.format(folder=SAMPLE_FOLDER, **refs)))
                break
    return found


def install_samples(
    datasets: Sequence[Dataset], existing: set[str], create: Callable[[str], object]
) -> list[str]:
    """Make the samples whose sources are there; a sample that cannot be made (its columns
    were not imported) is skipped and logged. Returns the names made."""
    made = []
    for qualified, text in due_samples(datasets, existing):
        try:
            create(text)
        except SfimportError as error:
            logger.info("Sample pipe %s was not made: %s", qualified, error.message)
            continue
        made.append(qualified)
    return made
