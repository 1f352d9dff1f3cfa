"""The SVG charts: every value drawn, labels escaped, no script."""

from __future__ import annotations

import re

from bot.console.charts import bars, lines


def test_bars_draw_one_rect_per_value_scaled_to_the_largest():
    svg = str(bars("订单", ["12-01", "12-02", "12-03"], {"订单数": [1, 4, 2], "退款": [0, 1, 0]}))
    assert svg.count("<rect") == 6 and "订单数" in svg and "12-02 订单数：4" in svg
    assert "<script" not in svg


def test_lines_escape_labels_and_handle_an_empty_series():
    svg = str(lines("关注<script>", ["<b>"], {"新关注": [0]}))
    assert "<script>" not in svg.replace("<svg", "").split("</style>")[1] and "&lt;script&gt;" in svg
    assert "&lt;b&gt;" in svg and svg.count("<circle") == 1


def test_axis_ticks_are_round_numbers():
    svg = str(bars("签到", ["a", "b"], {"签到": [3, 7]}))
    assert re.findall(r'class="y">([^<]*)<', svg) == ["8", "6", "4", "2", "0"]
