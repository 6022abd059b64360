"""ringlab's Python tools: the data model of a benchmark run, its statistics, the report's
sections, plots and prose, and the command lines over them (cli/). The sweep runner, the
evidence collector and the report generator under scripts/ are thin wrappers of cli/.

Nothing here names a ring variant or a peer: every trait comes from the run's data (the
subject manifest in bench.json, the stress binary's variant list)."""
