"""The points benchmark: `python -m bench.points` (see bench/points/README.md).

(a) the award stage: 100,000 stored events drained by two RQ workers, then checked;
(b) end to end: signed callbacks through gunicorn while the workers drain;
(c) recomputing balances over 10,000,000 ledger rows, and expiring the due lots.
"""
