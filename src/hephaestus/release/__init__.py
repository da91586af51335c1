"""Install a GitHub release wheelhouse only after real checksum and Sigstore verification.

Each step is its own module: ``github`` (REST client), ``assets`` (selection), ``download``
(streamed, hashed, resumed), ``checksums``, ``attest`` (sigstore), ``extract`` (safe archives),
``install`` (offline pip), ``flow`` (the steps in order), ``backfill`` and ``wheelhouse``.
Nothing heavy is imported here: the CLI imports the module it needs when a command runs.
"""

from __future__ import annotations
