"""Screening: warning-sign rules over the claim store, scorecards, indicators, the
data-exposure matrix and the influence network (docs/screening.md)."""
