"""The boards and products investors ask about: what they are called and the words that name them.

Shared by the flows (:mod:`assistant.flows.rules`) and the account answers
(:mod:`assistant.account_queries`, :mod:`assistant.account_answers`); it imports
nothing of either, so reading a board never loads the dialogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from intents.flow_engine import Localized, keyword_choice

Board = Literal["chinext", "star", "bse", "margin", "stock_connect", "convertible_bond"]
Product = Literal[
    "a_share", "fund", "chinext", "star", "bse", "margin", "stock_connect", "convertible_bond"
]

LABELS: Mapping[str, Localized] = {
    "a_share": Localized("沪深A股", "A-shares"),
    "fund": Localized("基金", "funds"),
    "chinext": Localized("创业板", "ChiNext"),
    "star": Localized("科创板", "the STAR Market"),
    "bse": Localized("北交所", "the Beijing Stock Exchange (BSE)"),
    "margin": Localized("融资融券（两融）", "margin trading and securities lending"),
    "stock_connect": Localized("港股通", "Southbound Stock Connect"),
    "convertible_bond": Localized("可转债", "convertible bonds"),
}

_BOARD_KEYWORDS: Mapping[str, str] = {
    "chinext": "创业板|創業板|300开头|301开头"
    "|cyb|chinext|growth enterprise|growth board|gem|300xxx",
    "star": "科创板|科創板|科创|688开头"
    "|kcb|star|star market|sci-tech|kechuang|kechuangban|688xxx|starting with 688",
    "bse": "北交所|北京证券交易所|北京證券交易所|北证|920开头"
    "|bse|bjs|beijing stock exchange|beijing exchange|beijing bourse|beijiaosuo",
    "margin": "两融|兩融|融资融券|融資融券|融资|融券|信用账户"
    "|margin|rzrq|credit account|short selling",
    "stock_connect": "港股通|沪港通|深港通|港股"
    "|stock connect|southbound|hong kong|hk connect|hk stocks|hk shares|ggt",
    "convertible_bond": "可转债|可轉債|转债|新债"
    "|convertible|convertibles|cb|kzz|kezhuanzhai|ke zhuan zhai",
}
read_board = keyword_choice(_BOARD_KEYWORDS)
"""The board named in a message ("我想开通创业板" -> chinext), or None if none or several."""
