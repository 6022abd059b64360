#!/usr/bin/python3
"""ringlab report generator: a thin command line over scripts/ringlab_tools.

    report.py RUN_DIR            writes RUN_DIR/report.md and RUN_DIR/plots/*.svg
    report.py --index RESULTS    (re)writes RESULTS/README.md, the table of runs
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ringlab_tools.cli.report import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
