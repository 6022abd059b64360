"""The one error the tools report as a line on stderr with exit status 2."""


class InputError(Exception):
    """Bad input or a missing prerequisite: one line for the user, exit status 2."""
