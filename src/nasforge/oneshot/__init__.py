"""One-shot search, in one place: a supernet per space (`supernets`: NB201 cells, macro chains,
block families), its training (`supernet_training` for single-path SPOS, `darts_training` for
DARTS' continuous relaxation), the evaluator that scores candidates with the trained supernet's
weights (`evaluator`), and the study-level step that trains it once and keeps it beside the
study (`workflow`).

This package sits above `study` (it stores the supernet with the study) and below `analysis`;
spaces know nothing of their supernets.
"""
