#!/usr/bin/python3
"""ringlab compare: two run directories, binaries or revisions of ringlab_bench compared
per benchmark and counter, with statistics; writes results/<id>/compare.{md,json,svg}. A
thin command line over scripts/ringlab_tools/compare (cli.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ringlab_tools.compare.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
