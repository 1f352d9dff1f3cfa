"""`python -m bench.console`: the console's reads at a million members and ten million events
against the same reads at ten thousand members, in one database, in one run."""
