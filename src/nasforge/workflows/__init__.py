"""Whole jobs built from the layers below: open or resume a search from a config, retrain the
top trials, repeated benchmark searches, and follow-up studies from an analysis (`improve`)."""
