"""Errors that the CLI turns into one line and an exit code.

Exit codes: 1 a failure of ecrcost itself, 2 bad input the user fixes (the line names the file,
field, flag or repository), 3 finished with parts missing (what was read is kept).
"""


class EcrcostError(Exception):
    """Base class: the message is one line that names the file / repository / field."""

    exit_code = 1


class UserError(EcrcostError):
    """Bad input: a location, file, column, flag or policy the user must fix (exit 2)."""

    exit_code = 2


class PartialResult(EcrcostError):
    """The work finished but some accounts, regions or repositories are missing (exit 3)."""

    exit_code = 3


class Interrupted(EcrcostError):
    """Ctrl-C: the message says what of the work was kept (exit 130, as a shell reports SIGINT)."""

    exit_code = 130
