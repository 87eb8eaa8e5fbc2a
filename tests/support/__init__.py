"""Real parts for tests and benchmarks: a Graph API stand-in, servers on free ports."""
