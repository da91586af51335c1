"""The CI/CD run this process is part of, as OpenTelemetry semantic-convention attributes.

GitHub Actions and GitLab CI are recognised by their marker variable (``GITHUB_ACTIONS``,
``GITLAB_CI``); each attribute is built from that system's own variables.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

_CI: Final = {
    "GITHUB_ACTIONS": (
        ("cicd.pipeline.name", "{GITHUB_WORKFLOW}"),
        ("cicd.pipeline.run.id", "{GITHUB_RUN_ID}"),
        (
            "cicd.pipeline.run.url.full",
            (
                "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}"
                "/attempts/{GITHUB_RUN_ATTEMPT}"
            ),
        ),
        ("cicd.pipeline.task.name", "{GITHUB_JOB}"),
        ("vcs.repository.url.full", "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}"),
        ("vcs.ref.head.revision", "{GITHUB_SHA}"),
    ),
    "GITLAB_CI": (
        ("cicd.pipeline.name", "{CI_PIPELINE_NAME}"),
        ("cicd.pipeline.run.id", "{CI_PIPELINE_ID}"),
        ("cicd.pipeline.run.url.full", "{CI_PIPELINE_URL}"),
        ("cicd.pipeline.task.name", "{CI_JOB_NAME}"),
        ("cicd.pipeline.task.run.id", "{CI_JOB_ID}"),
        ("cicd.pipeline.task.run.url.full", "{CI_JOB_URL}"),
        ("vcs.repository.url.full", "{CI_PROJECT_URL}"),
        ("vcs.ref.head.revision", "{CI_COMMIT_SHA}"),
    ),
}
"""CI/CD semantic-convention attributes, from each CI system's own variables."""


def ci_attributes(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the ``cicd.pipeline.*`` and ``vcs.*`` attributes of the CI run this is part of.

    GitHub Actions and GitLab CI are recognised by their marker variable; an attribute whose
    variables are not all set is left out. Empty outside CI.
    """
    env = os.environ if environ is None else environ
    given = {key: value for key, value in env.items() if value}
    found: dict[str, str] = {}
    for marker, table in _CI.items():
        if env.get(marker) != "true":
            continue
        for key, template in table:
            try:
                found.setdefault(key, template.format_map(given))
            except KeyError:  # a variable it needs is not set
                continue
    return found
