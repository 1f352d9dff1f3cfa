"""The campaign benchmark: `python -m bench.campaigns` (see the section in bench/README.md).

One account with 1,000,000 members seeded in SQL; the planner's preview timed against plain
counts over the same tables; then 100,000 messages delivered by `tasks.campaigns.send_campaign` in
two RQ worker processes to the simulator under gunicorn, by customer service and by mass send,
measured from inside the workers and checked in the database and in the simulator.
"""
