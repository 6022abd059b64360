#!/usr/bin/python3
"""ringlab bench: runs a named benchmark configuration with progress and writes
results/<run-id>/{bench.json,context.json}. A thin command line over
scripts/ringlab_tools (sweep.py runs, cli/sweep.py parses and writes)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ringlab_tools.cli.sweep import run  # noqa: E402

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
