from wechat.events import fields, mass_job_report

FINISHED = """<xml><ToUserName><![CDATA[gh_1]]></ToUserName><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1000001625</MsgID>
<Status><![CDATA[send success]]></Status><TotalCount>100</TotalCount><FilterCount>80</FilterCount>
<SentCount>75</SentCount><ErrorCount>5</ErrorCount></xml>"""


def test_a_mass_job_report_is_read_into_plain_values():
    assert mass_job_report(FINISHED) == (
        1000001625,
        {"status": "send success", "TotalCount": 100, "FilterCount": 80, "SentCount": 75, "ErrorCount": 5},
    )


def test_msgid_in_either_spelling_and_bad_counts_as_zero():
    xml = "<xml><MsgId>7</MsgId><TotalCount>x</TotalCount></xml>"
    assert mass_job_report(xml) == (
        7,
        {"status": None, "TotalCount": 0, "FilterCount": 0, "SentCount": 0, "ErrorCount": 0},
    )


def test_a_report_without_a_readable_msgid_is_none():
    assert mass_job_report("<xml><MsgID>abc</MsgID></xml>") is None
    assert mass_job_report("") is None


def test_fields_keep_the_top_level_text_only():
    assert fields("<xml><A>1</A><B><C>2</C></B></xml>") == {"A": "1"}
