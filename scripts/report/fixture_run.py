"""The fixture run the report tests render (fixtures/20261130-100000-quick), and helpers to
run report.py on a copy of it and find what it wrote."""

import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "report.py"
FIXTURE = HERE / "fixtures" / "20261130-100000-quick"
PYTHON = "/usr/bin/python3"


def run_script(*args):
    return subprocess.run([PYTHON, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=300, check=False)


def copy_fixture(dest: Path, name: str = FIXTURE.name) -> Path:
    target = dest / name
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("plots", "report.md"))
    return target


def table_row(text: str, *cells: str) -> str:
    """The one markdown table line whose leading cells are `cells`."""
    prefix = "| " + " | ".join(cells) + " |"
    rows = [line for line in text.splitlines() if line.startswith(prefix)]
    if len(rows) != 1:
        raise AssertionError(f"expected one row starting {prefix!r}, found {len(rows)}")
    return rows[0]


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def paragraph(text: str, start: str) -> str:
    """The paragraph of `text` that starts with `start`."""
    found = text[text.index(start):]
    return found[:found.find("\n\n") if "\n\n" in found else len(found)]


def bullet(text: str, start: str) -> str:
    """The list item of `text` that starts with `start`."""
    return next(line for line in text.splitlines() if line.startswith(f"- {start}"))


class FixtureCopy(unittest.TestCase):
    """Each test on its own copy of the fixture, changed before it renders."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = copy_fixture(Path(self.tmp.name))

    def rewrite_bench(self, keep):
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        bench["benchmarks"] = [r for r in bench["benchmarks"] if keep(r["run_name"])]
        path.write_text(json.dumps(bench))

    def scale_counter(self, run_name_part, counter, factor):
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        for row in bench["benchmarks"]:
            if run_name_part in row["run_name"] and counter in row:
                row[counter] *= factor
        path.write_text(json.dumps(bench))

    def report(self) -> str:
        done = run_script(self.run_dir)
        self.assertEqual(done.returncode, 0, done.stderr)
        return (self.run_dir / "report.md").read_text()

    def rewrite_manifest(self, change):
        """Applies change(subjects) to the manifest (None: drop it) and writes it back."""
        path = self.run_dir / "bench.json"
        bench = json.loads(path.read_text())
        subjects = change(json.loads(bench["context"]["ringlab_subjects"]))
        if subjects is None:
            del bench["context"]["ringlab_subjects"]
        else:
            bench["context"]["ringlab_subjects"] = json.dumps(subjects)
        path.write_text(json.dumps(bench))

    def set_traits(self, name, **traits):
        def change(subjects):
            for s in subjects:
                if s["name"] == name:
                    s.update(traits)
            return subjects
        self.rewrite_manifest(change)

    def assert_row(self, text, variant, target, *cells):
        row = table_row(text, variant, target)
        for cell in cells:
            self.assertIn(cell, row)
