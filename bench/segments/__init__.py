"""The scoring-job benchmark: `python -m bench.segments` (see the section in bench/README.md).

One account with 1,000,000 members, 10,000,000 activity rows and 200,000 orders, generated in SQL;
a bare GROUP BY over the 10,000,000 rows as the baseline (default work_mem and 256 MB); the full
rebuild `tasks.segments.score_members(full=True)` in a process of its own (time per step, peak RSS);
10,000 new events and the incremental run; checks worked out independently in Python.
"""
