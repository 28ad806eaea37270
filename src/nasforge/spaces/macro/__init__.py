"""The macro space: a chain of conv blocks where every knob is searchable (`space`), and the
network it builds (`network`)."""
