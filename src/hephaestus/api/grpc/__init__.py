"""The gRPC face of ``hephaestus serve``: the ``hephaestus.v1`` services over the registry.

``v1`` holds the modules compiled from ``proto/hephaestus/v1`` (``scripts/gen_grpc.py``);
:mod:`~hephaestus.api.grpc.servicer` implements the RPCs, :mod:`~hephaestus.api.grpc.calls`
authenticates, audits and counts them, and :mod:`~hephaestus.api.grpc.server` binds them.
"""
