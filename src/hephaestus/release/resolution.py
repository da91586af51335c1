"""How configuration applies to the release requests: a field given wins, then the config.

A field of the request wins over ``[tool.hephaestus.release]``, which wins over the default;
relative paths of the request are relative to the caller's working directory, those of the
configuration to the repository root. The token comes from the request, else ``GITHUB_TOKEN``,
else ``GH_TOKEN`` (checked, and registered as a secret, here). Every face resolves the same way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hephaestus.release.extract import Limits
from hephaestus.release.installer_args import check_installer_args
from hephaestus.release.options import InstallOptions
from hephaestus.release.requests import (
    BackfillRequest,
    GitHubRequest,
    InstallRequest,
    InstallRunRequest,
    PinsRequest,
    VerifyRequest,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from hephaestus.release.github import GitHub
    from hephaestus.release.settings import ReleaseSection


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHubSettings:
    """How to reach GitHub, resolved; :meth:`client` opens it. The token is never in a repr."""

    api_url: str
    token: str | None = field(default=None, repr=False)
    timeout: float
    max_retries: int
    max_wait: float
    upload_url: str | None = None

    def client(self) -> GitHub:
        """Open a GitHub client with these settings (close it after use).

        Raises:
            UsageError: a URL is not http(s) (exit 2).

        """
        from hephaestus.core.http import RetryPolicy  # noqa: PLC0415  # httpx: only when used
        from hephaestus.release.github import GitHub  # noqa: PLC0415

        policy = RetryPolicy(max_retries=self.max_retries, max_wait=self.max_wait)
        return GitHub(
            api_url=self.api_url,
            token=self.token,
            timeout=self.timeout,
            policy=policy,
            upload_url=self.upload_url,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedInstall:
    """What ``release install`` runs with: the options of the flow and the GitHub settings."""

    options: InstallOptions
    github: GitHubSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedVerify:
    """What ``release verify`` checks: the files, the pins and the trust root."""

    artifact: Path
    manifest: Path | None
    bundle: Path | None
    identity: str | None
    issuer: str | None
    trust_root: Path | None


def _github(
    request: GitHubRequest,
    section: ReleaseSection,
    *,
    upload_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> GitHubSettings:
    """Resolve how to reach GitHub; the token is checked (and registered as a secret) here."""
    from hephaestus.release.github import resolve_token  # noqa: PLC0415  # httpx: lazily

    given = request.token.get_secret_value() if request.token is not None else None
    return GitHubSettings(
        api_url=request.api_url or section.api_url,
        token=resolve_token(given, environ),
        timeout=request.timeout or section.timeout,
        max_retries=section.max_retries if request.max_retries is None else request.max_retries,
        max_wait=section.max_wait,
        upload_url=upload_url,
    )


def _repository(request: GitHubRequest, section: ReleaseSection) -> str:
    from hephaestus.release.github import check_repository  # noqa: PLC0415  # httpx: lazily

    return check_repository(request.repository or section.repository)


def _trust_root(
    request: PinsRequest, section: ReleaseSection, *, root: Path, cwd: Path
) -> Path | None:
    if request.trust_root is not None:
        return cwd / request.trust_root
    return root / section.trust_root if section.trust_root else None


def resolve_install(  # noqa: PLR0913  # keyword-only: the request, its config and where
    request: InstallRequest,
    section: ReleaseSection,
    *,
    root: Path,
    cwd: Path,
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ResolvedInstall:
    """Apply the configuration of ``root`` to ``request``: the install's options and client.

    The fields of an :class:`InstallRunRequest` apply unless ``dry_run`` (which replaces
    nothing and matches no plan); a plain :class:`InstallRequest` takes their defaults.

    Raises:
        UsageError: no repository, or a malformed one or a malformed token (exit 2).
        SafetyError: an extra installer argument could add a package source (exit 3).

    """
    run = request if isinstance(request, InstallRunRequest) and not dry_run else None
    repository = _repository(request, section)
    require = request.require_sigstore
    given = request.destination
    options = InstallOptions(
        repository=repository,
        destination=cwd / given if given is not None else root / section.destination,
        create_destination=request.destination is None,
        python=request.python or sys.executable,
        tag=request.tag,
        asset_pattern=request.asset_pattern or section.asset_pattern,
        manifest_pattern=request.manifest_pattern or section.manifest_pattern,
        bundle_pattern=request.bundle_pattern or section.bundle_pattern,
        identity=request.identity or section.identity,
        issuer=request.issuer or section.issuer,
        trust_root=_trust_root(request, section, root=root, cwd=cwd),
        require_sigstore=section.require_sigstore if require is None else require,
        allow_unsigned=request.allow_unsigned,
        overwrite=run is not None and run.overwrite,
        remove_archive=run is not None and run.remove_archive,
        upgrade=request.upgrade,
        dry_run=dry_run,
        pip_args=check_installer_args(request.pip_args),
        limits=Limits(max_members=section.max_members, max_bytes=section.max_extracted_mb << 20),
        plan_id=run.plan_id if run is not None else None,
    )
    return ResolvedInstall(options=options, github=_github(request, section, environ=environ))


def resolve_verify(
    request: VerifyRequest, section: ReleaseSection, *, root: Path, cwd: Path
) -> ResolvedVerify:
    """Apply the configuration of ``root`` to ``request``: the files, pins and trust root."""
    return ResolvedVerify(
        artifact=cwd / request.artifact,
        manifest=cwd / request.manifest if request.manifest else None,
        bundle=cwd / request.bundle if request.bundle else None,
        identity=request.identity or section.identity,
        issuer=request.issuer or section.issuer,
        trust_root=_trust_root(request, section, root=root, cwd=cwd),
    )


def resolve_backfill(
    request: BackfillRequest, section: ReleaseSection, *, environ: Mapping[str, str] | None = None
) -> tuple[str, GitHubSettings]:
    """Apply the configuration to ``request``: the repository and the GitHub settings.

    Raises:
        UsageError: no repository, or a malformed one or a malformed token (exit 2).

    """
    repository = _repository(request, section)
    return repository, _github(request, section, upload_url=request.upload_url, environ=environ)
