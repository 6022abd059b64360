"""ringlab compare: whether B differs from A per benchmark and counter, and whether the
difference is real. sources.py says what A and B name, builds.py builds a revision,
running.py reads or measures the samples, statistics.py tests them, rendering.py writes
compare.md/json/svg, cli.py is the command line (add_arguments, run, main)."""
