from rules.inbound import replies
from rules.inbound.menu import CLICK_COMMANDS, default_menu


def test_welcome_uses_the_accounts_own_text_or_ours():
    assert replies.welcome("小店", "欢迎来到小店!") == "欢迎来到小店!"
    assert "欢迎关注小店" in replies.welcome("小店", None)


def test_help_lists_the_commands():
    for word in ("签到", "积分", "邀请", "评价"):
        assert word in replies.help_text()


def test_default_menu_has_the_four_entries_and_fits_wechats_limits():
    menu = default_menu("https://shop.example.com/", "wx1")
    buttons = menu["button"]
    assert 1 <= len(buttons) <= 3
    leaves = [b for top in buttons for b in top.get("sub_button") or [top]]
    assert {b["name"] for b in leaves} == {"签到", "我的积分", "邀请好友", "会员中心"}
    clicks = {b["key"] for b in leaves if b["type"] == "click"}
    assert clicks == set(CLICK_COMMANDS)
    assert [b["url"] for b in leaves if b["type"] == "view"] == ["https://shop.example.com/h5/wx1/member"]


def test_the_review_example_the_chat_gives_is_long_enough_to_earn_points():
    import re

    from rules.inbound import replies
    from rules.points.reviews import parse_command

    example = re.search(r"「(评价[^」]+)」", replies.HELP).group(1)
    draft = parse_command(example)
    assert draft.rating == 5 and len(draft.text) >= 10  # the default review task's min_length
