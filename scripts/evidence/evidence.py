#!/usr/bin/python3
"""ringlab evidence: runs conformance, stress (optionally under ThreadSanitizer) and the
Relacy model checks for every variant `ringlab_stress --list-variants=json` lists, and
writes one JSON file. A thin command line over scripts/ringlab_tools (evidence.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ringlab_tools.cli.evidence import run  # noqa: E402

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
