"""Every error ``code`` hephaestus reports, and what it means: agents match on these.

``hephaestus schema`` lists them; a test checks that every code raised anywhere in the source
(a class's ``code`` or a raise site's ``code=``) is in this table, so it cannot fall behind.
"""

from __future__ import annotations

from typing import Final

ERROR_CODES: Final[dict[str, str]] = {
    # The classes' own codes and the error handler's.
    "error": "an error without a more precise code",
    "usage-error": "a bad argument or combination of arguments",
    "config-error": "a bad [tool.hephaestus] key or value, or a bad HEPHAESTUS_* variable",
    "invalid-request": "a request field is unknown or its value does not fit (names the field)",
    "refused": "refused because it could lose data or reach outside what was allowed",
    "verification-failed": "a checksum, signature, identity or archive check failed",
    "external-error": "a tool, a service or the network failed",
    "tool-not-found": "an executable that is needed is not installed",
    "tool-timeout": "a subprocess ran past its timeout and was stopped",
    "cancelled": "the operation was cancelled and its subprocesses stopped",
    "interrupted": "interrupted (Ctrl-C)",
    "terminated": "terminated (SIGTERM)",
    "internal-error": "a bug in hephaestus (a crash file holds the traceback)",
    "stdout-failed": "standard output is closed or full",
    # Safety.
    "dangerous-path": "a filesystem root, home, a system directory or an ancestor of one",
    "outside-root": "a path outside the root without permission",
    "confirmation-required": "the action needs a confirmation nobody could give",
    "declined": "the confirmation was declined",
    "stale-plan": "the tree changed since the plan whose plan_id was given",
    "manifest-not-a-file": "the audit manifest path is a device, FIFO, socket or directory",
    "manifest-unwritable": "the audit manifest cannot be written: nothing was removed",
    "unsafe-state-directory": ".hephaestus is a symbolic link or resolves outside the root",
    "state-not-a-directory": ".hephaestus exists and is not a directory",
    "invalid-pattern": "an exclude pattern gitignore syntax cannot compile",
    "busy": "another run holds the lock of this root",
    # Guard-rails.
    "unknown-gate": "no installed gate has that name",
    "unknown-profile": "no QA profile has that name",
    "plugin-error": "a gate plugin could not be loaded",
    "gate-could-not-run": "a gate could not run",
    "no-environment": "the project has no environment to run its own tools in",
    "tool-version-mismatch": "a tool's version is not the one the project pins",
    "config-unreadable": "a tool's configuration file cannot be read",
    "no-targets": "the tool has nothing to check",
    "no-findings": "the tool's output could not be read as findings",
    "service-unreachable": "a vulnerability service is out of reach",
    # Analytics.
    "not-a-repository": "the directory is not a git work tree",
    "bad-coverage-file": "the coverage file cannot be read",
    "store-busy": "the analytics store is locked by another run: retry",
    "store-error": "the analytics store cannot be used",
    # Release and wheelhouse.
    "bad-token": "the GitHub token is not usable",
    "github-error": "the GitHub API answered with an error",
    "github-not-found": "the repository, release or asset does not exist (or is private)",
    "github-unauthorized": "the GitHub token was refused",
    "rate-limited": "the API's rate limit was reached",
    "http-error": "an HTTP request failed",
    "unsupported-url": "a URL that is not http(s)",
    "ambiguous-asset": "more than one asset matches the pattern",
    "no-archive": "no asset matches the archive pattern",
    "unsafe-asset-name": "an asset name that could escape the destination",
    "asset-too-large": "an asset larger than allowed",
    "download-failed": "a download failed",
    "download-timeout": "a download ran past its deadline",
    "write-failed": "a downloaded file could not be written",
    "size-mismatch": "a download's size differs from the declared one",
    "digest-mismatch": "a download's digest differs from the declared one",
    "checksum-missing": "the SHA-256 manifest has no entry for a file",
    "checksum-mismatch": "a file's SHA-256 differs from the manifest",
    "bad-manifest": "the SHA-256 manifest cannot be read",
    "signature-missing": "there is no Sigstore bundle where one is required",
    "signature-invalid": "the Sigstore bundle does not verify",
    "bad-bundle": "the Sigstore bundle cannot be read",
    "bad-trust-root": "the Sigstore trust root cannot be read",
    "trust-root-unavailable": "the Sigstore trust root cannot be fetched",
    "identity-not-pinned": "a signer identity is needed and none is configured",
    "no-signing-identity": "no identity is available to sign with",
    "no-evidence": "nothing to verify the artifact against",
    "unsafe-archive": "an archive member could escape the destination or is too large",
    "extract-failed": "the archive cannot be extracted",
    "exists": "the destination exists",
    "no-wheels": "the wheelhouse holds no wheel",
    "bad-wheel": "a wheel is invalid",
    "requirements-refused": "the wheelhouse's requirements file asks for more than its wheels",
    "no-installer": "neither uv nor pip can install into the environment",
    "installer-argument-refused": "an extra installer argument could add a package source",
    "pip-failed": "the installer failed",
    "remove-failed": "a file could not be removed",
}
"""Code → one-line meaning."""
