"""What ``release install`` is asked to do: one frozen value, the ``{tag}`` rule, the plan id."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hephaestus.release.extract import Limits

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallOptions:
    """Everything ``release install`` needs besides the GitHub client."""

    repository: str
    destination: Path
    create_destination: bool = False
    """Create the destination (and its parents) when something is about to be written to it."""
    python: str
    tag: str | None = None
    asset_pattern: str | None = None
    manifest_pattern: str | None = None
    bundle_pattern: str | None = None
    identity: str | None = None
    issuer: str | None = None
    trust_root: Path | None = None
    require_sigstore: bool = False
    allow_unsigned: bool = False
    overwrite: bool = False
    remove_archive: bool = False
    upgrade: bool = True
    dry_run: bool = False
    pip_args: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    plan_id: str | None = None
    """The ``plan_id`` of a dry run this install must match (None: no check)."""


def archive_stem(name: str) -> str:
    """Return the wheelhouse directory name of an archive (its name without the suffix)."""
    for suffix in (".tar.gz", ".tgz", ".zip", ".whl"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def install_digest(options: InstallOptions, *, tag: str, asset: str, sha256: str) -> str:
    """Identify an install by what it would do: which bytes, from where, into what, how.

    A dry run and the install it plans agree on it while the release, its archive and the
    options stay the same; a moved ``latest``, a replaced asset or another interpreter change it.
    """
    what = [
        options.repository,
        tag,
        asset,
        sha256,
        str(options.destination.resolve()),
        options.python,
        options.upgrade,
        list(options.pip_args),
    ]
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()[:32]


def with_tag(options: InstallOptions, tag: str) -> InstallOptions:
    """Fill ``{tag}`` in the pinned identity: a release workflow's identity names its tag ref.

    The tag asked for (or else the release found) is used, so one configured identity pins
    every release of the workflow, and a bundle made for another tag does not verify.
    """
    if options.identity is None or "{tag}" not in options.identity:
        return options
    return dataclasses.replace(options, identity=options.identity.replace("{tag}", tag))
