"""The referral-graph benchmark: `python -m bench.referrals` (see bench/referrals/README.md).

One account with 1,000,000 members and 800,000 referral edges, generated in SQL; a bare GROUP BY
as the baseline; `top_referrers`, `ring_scan` and `mark_rings` timed and checked against counts
worked out independently in Python.
"""
