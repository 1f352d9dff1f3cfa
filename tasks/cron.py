"""Periodic jobs, loaded by `rq cron tasks/cron.py`."""

from rq import cron

from tasks.campaigns import resume_stalled, run_recurring
from tasks.journeys import run_journeys
from tasks.points import award_birthdays, expire_points, review_tiers
from tasks.referrals import scan_rings, settle_referrals
from tasks.segments import score_members
from tasks.sweeper import sweep_outbox
from tasks.tags import mirror_tags

cron.register(sweep_outbox, queue_name="scheduled", interval=60)
cron.register(expire_points, queue_name="scheduled", cron="5 * * * *")  # hourly
cron.register(review_tiers, queue_name="scheduled", cron="30 19 * * *")  # 03:30 in Shanghai
# daily: each run falls on one local day of every time zone, so a birthday month is never missed
cron.register(award_birthdays, queue_name="scheduled", cron="10 16 * * *")  # 00:10 in Shanghai
cron.register(settle_referrals, queue_name="scheduled", interval=300)
cron.register(scan_rings, queue_name="scheduled", cron="40 18 * * *")  # 02:40 in Shanghai
cron.register(score_members, queue_name="scheduled", interval=900)  # members touched since the last run
# nightly full rebuild (03:20 in Shanghai): what incremental runs leave behind (check-ins ageing out
# of the window, referrals voided without an event) is set right once a day
cron.register(
    score_members,
    queue_name="scheduled",
    kwargs={"full": True},
    cron="20 19 * * *",
    name="score_members_nightly",
)  # its own name: rq's cron history is kept per name, apart from the 15-minute runs
cron.register(mirror_tags, queue_name="scheduled", interval=600)  # one retried job per account
cron.register(run_journeys, queue_name="campaigns", interval=300)  # triggered messages
cron.register(resume_stalled, queue_name="campaigns", interval=300)  # campaigns a dead worker left
cron.register(run_recurring, queue_name="campaigns", interval=60)  # occurrences of recurring campaigns
