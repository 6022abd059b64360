"""Tests of the crash soak's figures in reports: reading soak.json (fixtures/soak.json),
finding the one a run shows, its table in the correctness section, and its weight in the
"survives a crashed writer" need."""
import json
import pathlib
import shutil
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from ringlab_tools.load import load_run  # noqa: E402
from ringlab_tools.sections.choosing import NEEDS, need_row  # noqa: E402
from ringlab_tools.sections.correctness import section_correctness  # noqa: E402
from ringlab_tools.sections.soak import soak_lines, soak_markdown  # noqa: E402
from ringlab_tools.soak import find_soak, read_soak, soak_for_run  # noqa: E402

FIXTURE = HERE / "fixtures" / "soak.json"
RUN = HERE.parents[1] / "report" / "fixtures" / "20261130-100000-quick"
CRASH_NEED = next(n for n in NEEDS if n.soak)


class Reading(unittest.TestCase):
    def test_the_fixture_reads_with_its_date_commit_and_verdicts(self):
        soak = read_soak(FIXTURE)
        self.assertEqual((soak.date, soak.commit), ("2026-12-02T10:00:00Z", "62f8dc9a1b2c"))
        self.assertEqual(set(soak.variants), {"rwlock", "seqlock", "disruptor-spin",
                                              "disruptor-gated"})
        self.assertTrue(soak.variants["seqlock"].passed)
        spin = soak.variants["disruptor-spin"]
        self.assertFalse(spin.passed)
        self.assertIn("stayed Pending", spin.failures[0])
        self.assertEqual(soak.variants["rwlock"].kills, "readers-between-operations")
        self.assertFalse(soak.passed)

    def test_soak_md_has_a_row_per_variant_and_the_failures(self):
        text = soak_markdown(read_soak(FIXTURE))
        self.assertIn("| **seqlock** | 794 | 528 w, 266 r |", text)
        self.assertIn("(readers between operations only)", text)
        self.assertIn("- disruptor-spin: recovery stopped", text)
        self.assertIn("verdict **fail**", text)


class Finding(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="ringlab-soak-"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.run_dir = self.tmp / "results" / "run1"
        self.run_dir.mkdir(parents=True)

    def soak_dir(self, name: str, commit: str) -> pathlib.Path:
        data = json.loads(FIXTURE.read_text())
        data["commit"] = commit
        d = self.tmp / "results" / name
        d.mkdir()
        (d / "soak.json").write_text(json.dumps(data))
        return d / "soak.json"

    def test_none_found_says_so_in_a_sentence(self):
        finding = soak_for_run(self.run_dir)
        self.assertIsNone(finding.soak)
        text = "\n".join(soak_lines(finding, ["seqlock"]))
        self.assertIn("No crash soak was found", text)
        self.assertNotIn("| **seqlock**", text)

    def test_the_newest_soak_beside_the_run_is_shown(self):
        self.soak_dir("soak-20261201T090000Z", "old")
        newest = self.soak_dir("soak-20261202T090000Z", "new")
        self.assertEqual(find_soak(self.run_dir), newest)
        self.assertEqual(soak_for_run(self.run_dir).soak.commit, "new")

    def test_the_runs_own_soak_comes_first(self):
        self.soak_dir("soak-20261202T090000Z", "beside")
        shutil.copy(FIXTURE, self.run_dir / "soak.json")
        self.assertEqual(soak_for_run(self.run_dir).soak.commit, "62f8dc9a1b2c")

    def test_a_malformed_soak_is_a_sentence_not_a_crash(self):
        (self.tmp / "results" / "soak-20261202T090000Z").mkdir()
        (self.tmp / "results" / "soak-20261202T090000Z" / "soak.json").write_text("{not json")
        finding = soak_for_run(self.run_dir)
        self.assertIsNone(finding.soak)
        self.assertIn("could not be read", "\n".join(soak_lines(finding, [])))


class InTheReport(unittest.TestCase):
    def setUp(self):
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="ringlab-soak-run-"))
        self.addCleanup(shutil.rmtree, tmp)
        self.run_dir = tmp / "results" / RUN.name
        shutil.copytree(RUN, self.run_dir, ignore=shutil.ignore_patterns("plots", "report.md"))

    def with_soak(self):
        d = self.run_dir.parent / "soak-20261202T100000Z"
        d.mkdir()
        shutil.copy(FIXTURE, d / "soak.json")
        return load_run(self.run_dir)

    def test_correctness_shows_the_soak_beside_each_shareable_variant(self):
        text = "\n".join(section_correctness(self.with_soak()))
        self.assertIn("### Crash soak", text)
        self.assertIn("commit `62f8dc9a1b2c`", text)
        self.assertIn("| **seqlock** | 794 |", text)
        self.assertRegex(text, r"\| \*\*disruptor-spin\*\* \|.*\| \*\*fail\*\* \|")
        # disruptor-yield is shareable in this run but not in the soak; a peer is not shareable.
        self.assertIn("| **disruptor-yield** | not in this soak |", text)
        self.assertNotIn("| **boost-spsc** |", text.split("### Crash soak")[1])
        self.assertIn("| **disruptor-gated** |", text)  # in the soak only: still shown
        self.assertIn("[../soak-20261202T100000Z/soak.json]", text)

    def test_without_a_soak_the_section_says_so(self):
        text = "\n".join(section_correctness(load_run(self.run_dir)))
        self.assertIn("No crash soak was found", text)

    def test_a_failed_soak_rules_a_variant_out_of_surviving_a_crashed_writer(self):
        run = self.with_soak()
        row = need_row(run, CRASH_NEED)
        self.assertIn("disruptor-spin left out: its crash soak failed", row[3])
        self.assertNotEqual(row[1], "**disruptor-spin**")
        winner = row[1].strip("*")
        verdict = run.soak.soak.variants.get(winner)
        self.assertIn("no crash soak" if verdict is None else "crash soak", row[3])

    def test_without_a_soak_the_need_says_no_crash_soak(self):
        row = need_row(load_run(self.run_dir), CRASH_NEED)
        self.assertIn("no crash soak", row[3])
        self.assertNotIn("left out", row[3])


if __name__ == "__main__":
    unittest.main()
