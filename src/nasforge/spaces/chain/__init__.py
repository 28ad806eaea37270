"""Chains of knob blocks: categorical knobs and variable-length block chains (`blocks`), and
`ChainSpace`, the base of the macro and families spaces (`space`)."""
