"""Tests of the templates and how prose.py fills them."""
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from ringlab_tools.prose import FACTS, render  # noqa: E402
from ringlab_tools.targets import TARGETS  # noqa: E402
from ringlab_tools.templates import TEMPLATES  # noqa: E402


class Templates(unittest.TestCase):
    def test_every_placeholder_is_a_documented_fact_or_a_template(self):
        for name, template in TEMPLATES.items():
            with self.subTest(template=name):
                self.assertTrue(template.is_valid())
                unknown = [k for k in template.get_identifiers()
                           if k not in FACTS and k not in TEMPLATES]
                self.assertEqual(unknown, [])

    def test_every_kind_of_target_has_its_why(self):
        for kind in {t.family for t in TARGETS}:
            key = kind.replace("-", "_")
            self.assertIn(f"why_{key}", TEMPLATES)
            self.assertIn(f"why_{key}_variant", TEMPLATES)

    def test_every_template_renders_with_every_fact(self):
        facts = {k: f"<{k}>" for k in FACTS}
        for name in TEMPLATES:
            with self.subTest(template=name):
                text = render(name, facts)
                self.assertNotIn("$", text)
                self.assertNotIn("not in this run", text)

    def test_an_optional_sentence_is_left_out_when_a_fact_is_missing(self):
        facts = {k: f"<{k}>" for k in FACTS}
        full = render("why_latency_variant", facts)
        self.assertIn("<instructions_per_write>", full)
        without_cost = render("why_latency_variant", facts | {"locked_write": None})
        self.assertNotIn("instructions", without_cost)
        self.assertIn("<write_alone_p50>", without_cost)  # other sentences stay
        # A fact the main text names reads "not in this run".
        self.assertIn("p50 not in this run", render("why_latency_variant",
                                                    facts | {"p50": None}))


if __name__ == "__main__":
    unittest.main()
