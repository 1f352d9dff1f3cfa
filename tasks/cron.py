"""Periodic jobs, loaded by `rq cron tasks/cron.py`."""

from rq import cron

from tasks.sweeper import sweep_outbox

cron.register(sweep_outbox, queue_name="scheduled", interval=60)
