"""Install a GitHub release wheelhouse only after real checksum and Sigstore verification.

Each step is its own module: ``github`` (REST client), ``assets`` (selection), ``download``
(streamed, hashed, resumed), ``checksums``, ``attest`` (sigstore), ``extract`` (safe archives),
``install`` (offline pip), ``flow`` (the steps in order), ``backfill`` and ``wheelhouse``.
The registered operations are ``operation`` (release) and ``wheelhouse_operation``: their
requests in ``requests``, how configuration applies to them in ``resolution``. Nothing heavy
is imported here: faces import the module they need when an operation runs.
"""

from __future__ import annotations
