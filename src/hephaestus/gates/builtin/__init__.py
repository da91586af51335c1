"""The built-in gates, registered through the ``hephaestus.gates`` entry points like any plugin."""
