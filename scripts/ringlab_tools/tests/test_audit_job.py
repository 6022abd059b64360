"""Tests of `ringlab model`'s audit step (cli/audit.py): every audit binary runs with the
options given and writes its section; the sections land in order under one header, a
failed or silent binary is said to be so, and trace detail stays off the terminal."""
import contextlib
import io
import pathlib
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from ringlab_tools.cli import audit  # noqa: E402

# A stand-in audit binary: writes "## <its name>" and its arguments to --audit's file.
FAKE = """#!/bin/sh
name=$(basename "$0")
while [ $# -gt 0 ]; do
  case $1 in --audit) out=$2; shift ;; esac
  shift
done
[ "$name" = ringlab_model_silent_audit ] && exit 3
printf '## %s\\n\\nargs seen\\n' "$name" > "$out"
echo "audited $name"
echo "    trace detail"
"""


class AuditJob(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.bin = pathlib.Path(tmp.name) / "models"
        self.work = self.bin / "audit"
        self.work.mkdir(parents=True)
        for name in ("seqlock", "silent"):
            self.fake(f"ringlab_model_{name}_audit")
        self.fake("ringlab_model_known_bad")

    def fake(self, name):
        path = self.bin / name
        path.write_text(FAKE)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)

    def test_sections_in_order_and_a_failure_said(self):
        shown = io.StringIO()
        with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(io.StringIO()):
            ok = audit.run_audits(self.bin, self.work, ["seqlock", "silent"], ["--iterations", "5"])
        self.assertFalse(ok)  # the silent one exited 3
        self.assertIn("audited ringlab_model_seqlock_audit", shown.getvalue())
        self.assertNotIn("trace detail", shown.getvalue())
        out = self.work / "ordering-audit.md"
        audit.write_audit(out, ["seqlock", "silent"], self.work)
        text = out.read_text()
        self.assertTrue(text.startswith("# Ordering audit\n\nWritten by `scripts/ringlab model`"))
        order = [text.index(h) for h in ("## ringlab_model_seqlock_audit", "## silent\n\nThe "
                                         "audit wrote nothing", "## ringlab_model_known_bad")]
        self.assertEqual(order, sorted(order))


if __name__ == "__main__":
    unittest.main()
