"""Reading every supported format, and a clear error for every kind of bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.documents import UnitKind
from knowledge.errors import SourceError
from knowledge.loaders import load_source
from tests.utils.files import write_csv, write_jsonl, write_pdf, write_xlsx


def test_csv_sheet_becomes_one_unit_per_row_with_its_id_and_alternatives(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "faq.csv",
        [
            [
                "acc-1",
                "开户需要什么材料？",
                "需要本人二代身份证和一类银行卡。",
                "开户带啥|开户要准备什么\n开户材料",
                "account_opening",
                "zh",
                "2026-03-01",
            ],
            [
                "acc-2",
                "How old must I be?",
                "You must be 18 or older.",
                "",
                "account_opening",
                "",
                "",
            ],
        ],
    )
    loaded = load_source(path, "faq.csv")
    first, second = loaded.units
    assert first.id == "acc-1" and first.kind is UnitKind.FAQ
    assert first.questions == ["开户需要什么材料？", "开户带啥", "开户要准备什么", "开户材料"]
    assert first.updated_at == date(2026, 3, 1)
    assert first.category == "account_opening"
    assert second.lang == "en"  # detected when the column is empty
    assert not loaded.row_errors


def test_chinese_headers_and_gbk_encoding_are_understood(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "gbk.csv",
        [["银证转账的时间是？", "交易日9:00-16:00。", "几点能转账", "bank_transfer"]],
        header=["问题", "答案", "相似问题", "分类"],
        encoding="gbk",
    )
    (unit,) = load_source(path, "gbk.csv").units
    assert unit.title == "银证转账的时间是？"
    assert unit.questions == ["银证转账的时间是？", "几点能转账"]
    assert unit.category == "bank_transfer"
    assert unit.id.startswith("gbk-")  # no id column: derived from the question


def test_semicolon_delimited_sheet_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("question;answer\n转账要手续费吗;免费\n", encoding="utf-8")
    (unit,) = load_source(path, "semi.csv").units
    assert unit.text == "免费"


def test_xlsx_sheet_is_read_with_dates_as_cells(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "faq.xlsx",
        [
            [
                "x-1",
                "印花税怎么收？",
                "卖出时按成交金额的0.05%收取。",
                "印花税多少|卖股票交什么税",
                date(2025, 9, 1),
            ]
        ],
        header=["id", "问题", "答案", "相似问题", "updated_at"],
    )
    (unit,) = load_source(path, "faq.xlsx").units
    assert unit.id == "x-1"
    assert unit.updated_at == date(2025, 9, 1)
    assert len(unit.questions) == 3


def test_jsonl_mixes_faq_entries_and_documents_and_names_bad_lines(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "kb.jsonl",
        [
            {
                "id": "j-1",
                "question": "T+1是什么意思？",
                "answer": "当天买入的股票下一个交易日才能卖出。",
                "similar_questions": ["今天买明天卖"],
            },
            "{not json",
            {"title": "风险提示", "text": "股市有风险，投资需谨慎。"},
            {"question": "", "answer": "没有问题的答案"},
        ],
    )
    loaded = load_source(path, "kb.jsonl")
    kinds = sorted(u.kind.value for u in loaded.units)
    assert kinds == ["chunk", "faq"]
    assert [(e.row, "JSON" in e.message or "empty" in e.message) for e in loaded.row_errors] == [
        (2, True),
        (4, True),
    ]
    assert "kb.jsonl, row 2" in loaded.row_errors[0].message


def test_markdown_chunks_keep_their_heading_path(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    body = "上交所连续竞价时间为上午9:30至11:30。" * 20
    path.write_text(
        f"# 交易指南\n\n## 交易时间\n\n{body}\n\n### 集合竞价\n\n9:15至9:25为开盘集合竞价。\n",
        "utf-8",
    )
    units = load_source(path, "guide.md").units
    assert {tuple(u.heading_path) for u in units} == {
        ("交易指南", "交易时间"),
        ("交易指南", "交易时间", "集合竞价"),
    }
    long_section = [u for u in units if u.heading_path[-1] == "交易时间"]
    assert len(long_section) > 1, "a long section is split"
    assert all(len(u.text) <= 360 for u in long_section)
    assert all(u.text.endswith("。") for u in long_section), "splits fall on Chinese sentence ends"
    assert [u.id for u in units] == [f"guide.md#{i}" for i in range(len(units))]


def test_html_keeps_headings_and_drops_navigation_scripts_and_footer(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>港股通指南</title><script>var x = '不要索引我';</script></head><body>"
        "<nav>首页 | 登录</nav><h1>港股通指南</h1><h2>开通条件</h2>"
        "<p>前20个交易日日均资产不低于50万元。</p><table><tr><td>印花税</td><td>0.1%</td></tr></table>"
        "<footer>版权所有</footer></body></html>",
        "utf-8",
    )
    units = load_source(path, "page.html").units
    text = " ".join(u.text for u in units)
    assert "50万元" in text and "印花税 | 0.1%" in text
    assert "不要索引我" not in text and "版权所有" not in text and "登录" not in text
    assert units[0].heading_path == ["港股通指南", "开通条件"]


def test_pdf_text_is_extracted_with_numbered_chinese_headings(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "ipo.pdf",
        [
            "新股申购指南",
            "一、申购条件",
            "持有市值1万元以上方可申购。",
            "二、中签缴款",
            "中签后T+2日16:00前缴款。",
        ],
    )
    units = load_source(path, "ipo.pdf").units
    assert [u.heading_path for u in units] == [
        ["新股申购指南", "一、申购条件"],
        ["新股申购指南", "二、中签缴款"],
    ]
    assert "T+2日16:00前缴款" in units[1].text


def test_plain_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text("客服热线通知\n\n客服热线工作时间为交易日8:30至17:00。\n", "utf-8")
    (unit,) = load_source(path, "notice.txt").units
    assert unit.title == "客服热线通知"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty file"),
        ("nocols.csv", "标题,内容\n开户,带身份证\n".encode(), "no answer or question column"),
        ("broken.xlsx", b"PK\x03\x04 this is not a workbook", "not a readable XLSX"),
        ("broken.pdf", b"%PDF-1.4 garbage without objects", "not a readable PDF"),
        ("notes.docx", b"binary", "unsupported file type .docx"),
        ("allbad.csv", b"question,answer\n,missing question\n", "no usable entry"),
    ],
)
def test_bad_files_raise_an_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        load_source(path, name)
    assert caught.value.message.startswith(name)
    assert message in caught.value.message


def test_missing_columns_error_points_at_the_header_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [["a", "b"]], header=["标题", "内容"])
    with pytest.raises(SourceError) as caught:
        load_source(path, "h.csv")
    assert caught.value.row == 1


def test_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: 200 MB on paper, no disk used
        handle.truncate(200 * 1024 * 1024)
    with pytest.raises(SourceError, match=r"huge.csv: file is 200 MB, over the 50 MB limit"):
        load_source(path, "huge.csv")


def test_bad_rows_are_reported_and_good_rows_still_load(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            ["m-1", "好问题", "好答案", "", "", "", ""],
            ["m-2", "没有答案的问题", "", "", "", "", ""],
            ["m-1", "重复编号", "答案", "", "", "", ""],
            ["m-3", "日期错误", "答案", "", "", "", "上周"],
        ],
    )
    loaded = load_source(path, "mixed.csv")
    assert [u.id for u in loaded.units] == ["m-1"]
    assert [(e.row, e.reason.split(" ")[0]) for e in loaded.row_errors] == [
        (3, "answer"),
        (4, "duplicate"),
        (5, "updated_at"),
    ]


def test_a_faq_row_can_mark_its_entry_for_a_person(tmp_path) -> None:
    from knowledge.loaders import load_source

    sheet = tmp_path / "faq.csv"
    sheet.write_text(
        "id,question,answer,转人工\n"
        "h-1,账户被司法冻结了怎么办,司法冻结由法院办理，我们会协助您查询。,是\n"
        "h-2,开户要带什么,身份证和银行卡。,\n",
        "utf-8",
    )
    units = {u.id: u for u in load_source(sheet, "faq.csv").units}
    assert units["h-1"].handoff and not units["h-2"].handoff
