"""Investor suitability: may an investor of risk level C1..C5 buy a product rated R1..R5?

The matching follows 《证券期货投资者适当性管理办法》 and the Securities Association's
implementation guidelines as brokers commonly apply them: an investor of level Cn may buy
products rated up to Rn (C1 conservative: R1 only; C5 aggressive: everything). An
investor in the *lowest category* (最低类别, a subset of C1) must never be sold anything
above R1. Any other ordinary investor who insists on a higher-risk product may go ahead
only after a written risk-mismatch warning that they confirm; ``may_proceed_after_warning``
says when that door is open.

The product ratings below are the common industry defaults; each brokerage rates its own
products, and a product rated individually (one fund rated R2) can be passed as ``"R2"``.
Access thresholds that are not about risk level (科创板's 500,000 CNY of assets and two
years of trading, knowledge tests) belong to the permission flows, not here.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.dialogue_models import Language

SuitabilityReason = Literal[
    "matched", "level_too_low", "lowest_category", "not_assessed", "unknown_product"
]


class ProductRisk(BaseModel):
    """A product family, its risk rating (1..5 for R1..R5) and its names for templates."""

    model_config = ConfigDict(frozen=True)

    level: int
    name_zh: str
    name_en: str


PRODUCT_RISK: dict[str, ProductRisk] = {
    "money_market_fund": ProductRisk(level=1, name_zh="货币市场基金", name_en="money market funds"),
    "reverse_repo": ProductRisk(level=1, name_zh="国债逆回购", name_en="treasury reverse repos"),
    "bond_fund": ProductRisk(level=2, name_zh="债券基金", name_en="bond funds"),
    "a_share": ProductRisk(level=3, name_zh="沪深主板股票", name_en="Main Board A-shares"),
    "fund": ProductRisk(level=3, name_zh="股票及混合型基金", name_en="equity and mixed funds"),
    "etf": ProductRisk(level=3, name_zh="股票ETF", name_en="equity ETFs"),
    "chinext": ProductRisk(level=4, name_zh="创业板股票", name_en="ChiNext shares"),
    "star_market": ProductRisk(level=4, name_zh="科创板股票", name_en="STAR Market shares"),
    "bse": ProductRisk(level=4, name_zh="北交所股票", name_en="Beijing Stock Exchange shares"),
    "stock_connect": ProductRisk(level=4, name_zh="港股通", name_en="Southbound Stock Connect"),
    "convertible_bond": ProductRisk(level=4, name_zh="可转债", name_en="convertible bonds"),
    "margin": ProductRisk(level=4, name_zh="融资融券", name_en="margin trading"),
    "options": ProductRisk(level=5, name_zh="股票期权", name_en="stock options"),
    "delisting_period": ProductRisk(
        level=5, name_zh="退市整理期股票", name_en="shares in the delisting period"
    ),
}

_INVESTOR_LEVEL = re.compile(r"^C([1-5])$")
_LOWEST_CATEGORY = re.compile(r"^(?:C0|C1[-_ ]?(?:LOWEST|MIN)|C1\(最低类别\)|最低类别)$")
_PRODUCT_LEVEL = re.compile(r"^R([1-5])$")


class SuitabilityResult(BaseModel):
    """The verdict, its reason code, and an explanation to show the investor."""

    suitable: bool
    reason: SuitabilityReason
    investor_level: str | None = None
    product: str
    product_level: str | None = None
    required_level: str | None = None
    may_proceed_after_warning: bool = False
    explanation_zh: str
    explanation_en: str

    def explanation(self, language: Language) -> str:
        return self.explanation_zh if language == "zh" else self.explanation_en


def _product_risk(product: str) -> ProductRisk | None:
    key = product.strip()
    if match := _PRODUCT_LEVEL.match(key.upper()):
        level = int(match.group(1))
        return ProductRisk(
            level=level, name_zh=f"该产品（R{level}）", name_en=f"this R{level} product"
        )
    return PRODUCT_RISK.get(key.lower())


def assess_suitability(investor_risk_level: str | None, product: str) -> SuitabilityResult:
    """Match an investor's level (``"C3"``; ``"C1-lowest"``/``"最低类别"`` for the lowest
    category; ``None`` when the questionnaire is not done) against a product key of
    :data:`PRODUCT_RISK` or a direct rating ``"R1"``..``"R5"``. Unknown products fail closed."""
    risk = _product_risk(product)
    if risk is None:
        return SuitabilityResult(
            suitable=False,
            reason="unknown_product",
            product=product,
            explanation_zh="暂时无法确定该产品的风险等级，请咨询您的客户经理后再办理。",
            explanation_en="I can't tell this product's risk rating; please check with "
            "your account manager before going ahead.",
        )
    rating = f"R{risk.level}"
    common = {"product": product, "product_level": rating, "required_level": f"C{risk.level}"}
    level = (investor_risk_level or "").strip().upper()
    if not level:
        return SuitabilityResult(
            suitable=False,
            reason="not_assessed",
            explanation_zh=f"我们还没有您有效的风险承受能力测评结果，请先在App完成测评，"
            f"再办理{risk.name_zh}相关业务。",
            explanation_en=f"We don't have a valid risk-tolerance assessment for you yet. "
            f"Please complete it in the app before trading {risk.name_en}.",
            **common,
        )
    if _LOWEST_CATEGORY.match(level):
        return SuitabilityResult(
            suitable=risk.level == 1,
            reason="matched" if risk.level == 1 else "lowest_category",
            investor_level="C1",
            explanation_zh=f"您属于风险承受能力最低类别的投资者，按规定仅可购买R1等级的产品；"
            f"{risk.name_zh}的风险等级为{rating}。",
            explanation_en=f"Your risk tolerance is in the lowest category, which by "
            f"regulation may only buy R1 products; {risk.name_en} are rated {rating}.",
            **common,
        )
    match = _INVESTOR_LEVEL.match(level)
    if match is None:
        raise ValueError(f"not an investor risk level: {investor_risk_level!r}")
    investor = int(match.group(1))
    if investor >= risk.level:
        return SuitabilityResult(
            suitable=True,
            reason="matched",
            investor_level=level,
            explanation_zh=f"您的风险承受能力等级为{level}，{risk.name_zh}的风险等级为{rating}，"
            f"二者匹配。",
            explanation_en=f"Your risk tolerance level is {level} and {risk.name_en} are "
            f"rated {rating}: they match.",
            **common,
        )
    return SuitabilityResult(
        suitable=False,
        reason="level_too_low",
        investor_level=level,
        may_proceed_after_warning=True,
        explanation_zh=f"{risk.name_zh}的风险等级为{rating}，需风险承受能力C{risk.level}及以上，"
        f"您当前为{level}，二者不匹配。如您坚持办理，需先阅读并签署风险不匹配警示书；"
        f"如您的情况有变化，也可以重新进行风险测评。",
        explanation_en=f"{risk.name_en[:1].upper()}{risk.name_en[1:]} are rated {rating} and "
        f"need risk tolerance C{risk.level} or above; yours is {level}, so they don't match. To go "
        f"ahead anyway you must first read and sign a risk-mismatch warning; if your "
        f"circumstances have changed you can retake the assessment.",
        **common,
    )
