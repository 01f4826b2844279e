"""The wizard's ordered, resumable steps per application type, and the progress computed from what is
still missing (so progress is true whichever way, browser or API, the data arrived)."""

from __future__ import annotations

from dataclasses import dataclass

from kyc.models import Application
from kyc.selectors import Problem, application_submission_problems


@dataclass(frozen=True)
class Step:
    key: str
    label: str


_INDIVIDUAL = (
    Step("details", "Application"),
    Step("profile", "You and your identity"),
    Step("documents", "Documents"),
    Step("wallets", "Wallets"),
    Step("review", "Review and submit"),
)
_COMPANY = (
    Step("details", "Application"),
    Step("company", "Company"),
    Step("people", "Directors, owners, signatories"),
    Step("documents", "Documents"),
    Step("wallets", "Wallets"),
    Step("review", "Review and submit"),
)


def steps_for(application: Application) -> tuple[Step, ...]:
    return _COMPANY if application.is_company else _INDIVIDUAL


@dataclass(frozen=True)
class Progress:
    steps: list[dict[str, object]]
    done: int
    total: int
    problems: list[Problem]
    resume_step: str

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def progress(application: Application) -> Progress:
    problems = application_submission_problems(application)
    open_sections = {p.section for p in problems}
    rows: list[dict[str, object]] = []
    done = 0
    resume = "review"
    for step in steps_for(application):
        if step.key == "review":
            complete = not problems
        else:
            complete = step.key not in open_sections and step.key in _visited(application, step.key)
        if complete:
            done += 1
        elif resume == "review" and step.key != "review":
            resume = step.key
        missing = len(problems) if step.key == "review" else sum(1 for p in problems if p.section == step.key)
        rows.append({"key": step.key, "label": step.label, "complete": complete, "missing": missing})
    return Progress(rows, done, len(rows), problems, resume)


def _visited(application: Application, key: str) -> set[str]:
    # Sections whose emptiness is itself a problem count as visited once nothing is missing; the others
    # (company profile, details) count once the applicant has saved them.
    return set(application.completed_steps) | {"people", "documents", "wallets", "profile"}
