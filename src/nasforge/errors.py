"""Errors raised for user mistakes: each message names the parameter, what is allowed and what was given."""

from __future__ import annotations


class NasforgeError(Exception):
    """Base class of every error nasforge raises on purpose."""


class InvalidArgumentError(NasforgeError, ValueError):
    """A parameter was given a value outside what is allowed."""


class InvalidGenotypeError(InvalidArgumentError):
    """A genotype (or its text form) does not belong to the search space."""


class TableError(NasforgeError, ValueError):
    """A benchmark table is missing or malformed."""


class DataError(NasforgeError, ValueError):
    """A dataset is missing, unreadable or inconsistent."""


class StudyError(NasforgeError):
    """A study cannot be created or resumed as asked."""


class SpaceExhaustedError(NasforgeError):
    """The strategy found no architecture that has not been evaluated already."""


class MissingExtraError(NasforgeError, ImportError):
    """An optional part of nasforge is not installed (the message names the extra to install)."""
