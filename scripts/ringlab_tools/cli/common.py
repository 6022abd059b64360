"""What every command line shares: usage errors and bad input as one line on stderr with
exit status 2, never a traceback; paths as the caller meant them."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError


class Parser(argparse.ArgumentParser):
    """argparse with the command's usage, then `<prog>: error: <message> (see --help)`,
    and exit status 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


def absolute(text: str) -> Path:
    """A path argument, resolved against the caller's directory when it is given (the
    driver never changes directory before parsing)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path")
    return Path(os.path.abspath(os.path.expanduser(text)))


def check_regex(text: str | None, what: str) -> None:
    """A --filter style option: a Python regular expression, or InputError."""
    if text is None:
        return
    try:
        re.compile(text)
    except re.error as e:
        raise InputError(f"{what} is not a regular expression: {e}") from None


def writable_dir(path: Path, what: str) -> None:
    """Makes sure `path` is, or can become, a directory this process writes into; raises
    InputError naming `what` otherwise. Creates it: the command is about to write there."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path}: not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".ringlab-write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise InputError(f"{what} {path}: cannot write there (not writable: "
                         f"{e.strerror or e})") from None


def guarded(prog: str, main: Callable[[list[str]], int], argv: list[str]) -> int:
    """main(argv), with bad input as `<prog>: <message>` and exit status 2."""
    try:
        return main(argv)
    except InputError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
