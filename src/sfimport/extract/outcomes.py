"""The one table of error outcomes: for each kind of error, the status a data set of a run takes,
the actions offered to the person, and whether and when the run resumes by itself. The runner
and the services ask it; nobody else decides. Kinds not listed follow the error's ``retryable``:
a retryable error interrupts the run, which resumes later; any other fails it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sfimport.errors import SfimportError
from sfimport.store.runs import DatasetStatus

__all__ = [
    "FIELD_ERROR_ACTIONS",
    "DatasetStatus",
    "Outcome",
    "ResumeWhen",
    "before_start",
    "outcome_of",
]

FIELD_ERROR_ACTIONS = ("reimport", "retry", "continue_without_field")


class ResumeWhen(StrEnum):
    NEVER = "never"
    #: At once, by the next process (a shutdown).
    AT_ONCE = "at_once"
    #: After the interrupted-run delay (network trouble, a busy store).
    LATER = "later"
    #: When the org's daily allowance frees up.
    AFTER_LIMIT = "after_limit"
    #: Once the person re-authorises the connection.
    AFTER_REAUTHORIZE = "after_reauthorize"


@dataclass(frozen=True)
class Outcome:
    status: DatasetStatus
    actions: tuple[str, ...]
    resume: ResumeWhen


_BY_KIND: dict[str, Outcome] = {
    "connection": Outcome(
        DatasetStatus.INTERRUPTED, ("reauthorize", "resume"), ResumeWhen.AFTER_REAUTHORIZE
    ),
    "daily_limit": Outcome(DatasetStatus.WAITING, (), ResumeWhen.AFTER_LIMIT),
    "api_budget": Outcome(DatasetStatus.WAITING, (), ResumeWhen.AFTER_LIMIT),
    "stopped": Outcome(DatasetStatus.INTERRUPTED, ("resume",), ResumeWhen.AT_ONCE),
    "field_unavailable": Outcome(DatasetStatus.FAILED, FIELD_ERROR_ACTIONS, ResumeWhen.NEVER),
    "api_disabled": Outcome(DatasetStatus.FAILED, ("retry",), ResumeWhen.NEVER),
}
_RETRYABLE = Outcome(DatasetStatus.INTERRUPTED, ("resume",), ResumeWhen.LATER)
_FAILED = Outcome(DatasetStatus.FAILED, (), ResumeWhen.NEVER)


def outcome_of(error: SfimportError) -> Outcome:
    """What an error does to the data set it stopped."""
    listed = _BY_KIND.get(error.kind)
    if listed is not None:
        return listed
    return _RETRYABLE if error.retryable else _FAILED


def before_start(error: SfimportError) -> Outcome:
    """What an error met before the first page (while planning) does: nothing was staged, so
    there is nothing to resume; the actions left are the person's (e.g. re-authorise), and the
    next manual or scheduled refresh tries again."""
    outcome = outcome_of(error)
    actions = tuple(a for a in outcome.actions if a != "resume")
    return Outcome(DatasetStatus.FAILED, actions, ResumeWhen.NEVER)
