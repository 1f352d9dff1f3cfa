"""`make demo` keeps working: a small run of the same scenario, and its report adds up."""

import re

import demo


def test_the_demo_runs_and_reports(tmp_path, capsys):
    assert demo.main(["40"], db_file=tmp_path / "demo.sqlite") == 0
    out = capsys.readouterr().out
    assert "added account wxdemo0000000001" in out and "menu pushed" in out

    def figure(label: str) -> int:
        return int(re.search(rf"{re.escape(label)}\s+(\d+)", out).group(1))

    friends = 4 + 2 + 1 + 7 + 3 + 1  # three levels, a burst, ghosts, a farmer
    campaign_friends = 6  # who read a share of the campaign's page, then followed
    assert figure("members") == 40 + friends + campaign_friends
    assert figure("events still pending") == 0
    delivered, stored = figure("callbacks delivered (with WeChat's retries)"), figure("callbacks stored")
    assert figure("duplicates rejected (same reply returned)") == delivered - stored
    assert figure("winners (stock was 1)") == 1
    everyone = 40 + friends + campaign_friends
    assert f"first follow ({everyone} awards)" in out  # every member's first follow paid once
    assert figure("scans: referral") == friends and figure("scans: self") == 2
    assert figure("scans: refollow") == 1  # the farmer's second follow
    assert figure("voided, unfollowed") == 1 and figure("held for the merchant's review, burst") == 3
    assert re.search(r"oRefA00000000\s+cascade\s+3 = 2 direct \+ 1 second-degree", out)  # three levels deep

    assert "Scoring job (flask --app app kol rebuild)" in out
    stages = sum(figure(code) for code in ("light", "sticky", "deep", "iron"))
    assert stages == figure("following now") - campaign_friends  # scored before the campaign's friends
    bound = figure("customers who bound a phone (H5 profile page)")
    assert bound == len(range(0, 40, 3))  # one customer in three, through the H5 profile page
    assert figure("registered") == bound  # the funnel's 注册 step counts them
    top = re.search(r"#1 (\S+)\s+([\d.]+) = (.+)", out)
    parts = [float(a) * float(b) for a, b in re.findall(r"([\d.]+)×([\d.]+)", top.group(3))]
    assert abs(sum(parts) - float(top.group(2))) < 0.05  # the explanation adds up

    assert "Campaign report" in out and re.search(r"status\s+done", out)
    kf = sum(int(n) for n in re.findall(r"sent by customer-service message\s+(\d+)", out))
    assert kf == figure("news cards the simulator received (customer service)")  # each once, 45009s retried
    mass = re.search(r"mass sends \(MASSSENDJOBFINISH recorded\)\s+(\d+) \((\d+)\)", out)
    assert mass and mass.group(1) == mass.group(2)
    assert figure("新人欢迎 · 第三天") > 0  # the onboarding series reached the week's new followers
    spread = re.findall(r"shares / reads through them / follows\s+(\d+) / (\d+) / (\d+)", out)
    shares, reads, follows = (sum(int(v[i]) for v in spread) for i in range(3))
    assert shares == campaign_friends and reads == shares and follows == shares  # each friend read, followed
    cost = sum(int(n) for n in re.findall(r"cost in points \(shares and reads\)\s+(\d+)", out))
    assert cost == shares * 5 + reads * 1  # the default 分享活动页 and 分享被阅读 tasks
    assert "invariants: clean (" in out  # nothing lost, nothing doubled, nothing stuck


def test_the_report_is_in_one_language_and_prints_no_reprs(tmp_path, capsys):
    assert demo.main(["12"], db_file=tmp_path / "demo.sqlite") == 0
    out = capsys.readouterr().out
    assert not re.search(r"[{}<>]|\bNone\b|Enum|Status\.", out), "a raw dict or repr in the report"
    han, latin = re.compile(r"[\u4e00-\u9fff]"), re.compile(r"[A-Za-z]{2,}")
    mixed = [line for line in out.splitlines() if han.search(line) and latin.search(line)]
    # English throughout; Chinese only as the merchant's own data (journey names) on lines of their own,
    # and in the CLI's own transcript naming the shop it added
    assert [line for line in mixed if not line.startswith("  added account ")] == []
