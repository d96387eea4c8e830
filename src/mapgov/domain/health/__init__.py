"""Compound health and early warning (小区体检): per compound and month, each signal on its own
scale, one score with documented weights, and flags raised against the compound's own history.

:mod:`~mapgov.domain.health.profile` computes the signals and the score,
:mod:`~mapgov.domain.health.warning` the flags, :mod:`~mapgov.domain.health.load` reads a
street's frames from the store.
"""
