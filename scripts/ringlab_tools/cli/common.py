"""What every command line shares: usage errors and bad input as one line on stderr with
exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ..errors import InputError


class Parser(argparse.ArgumentParser):
    """argparse with `<prog>: error: <message> (see --help)` and exit status 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


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
