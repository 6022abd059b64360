"""Tests of reading the model checker's output into evidence."""
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from ringlab_tools.evidence import parse_model_output  # noqa: E402

OUTPUT = """\
ok   SeqlockOrders: expectation list covers exactly the 20 sites of the table
ok   SeqlockOrders.single_writer: expectation list covers exactly the 20 sites of the table
ok   seqlock.wrap_readers                 random            passed   100000 iterations  380.1 ms
ok   seqlock.single_writer.poll_wrap      context-bound(1)  passed     1721 iterations    5.5 ms
ok   mutant.SeqlockOrders.slot.commit-P6.relaxed.seqlock.wrap_readers random caught 2 iterations
"""


class ModelOutput(unittest.TestCase):
    def test_expectation_list_checks_are_not_scenarios(self):
        run = parse_model_output(OUTPUT)
        self.assertEqual(run.scenarios, {"seqlock.wrap_readers": True,
                                         "seqlock.single_writer.poll_wrap": True})
        self.assertEqual(run.mutants, {"mutant.SeqlockOrders.slot.commit-P6.relaxed": True})

    def test_a_failed_expectation_list_is_a_failure(self):
        run = parse_model_output("FAIL SeqlockOrders.single_writer: 20 sites in the table, 15 in "
                                 "the expectation list\n")
        self.assertEqual(run.scenarios, {"SeqlockOrders.single_writer (expectation list)": False})


if __name__ == "__main__":
    unittest.main()
