"""Policy templates: the fixed sentences of the dialogue policy, the compliance guard and the
turn pipeline, kept together so compliance can review them in one place (a test runs each
through the guard).

They are not all of the bot's wording. Wording that is filled in from facts lives beside
those facts, each in a table of its own: the flows' prompts (``assistant/flows/``), account
answers (``assistant/account_answers/``), advice for a described scam
(``assistant/scam_warnings.py``), proactive notices (``assistant/proactive/``: the account and
holding rules and the operations staff's data sources), a product's suitability verdict
(``assistant/suitability.py``), what follows from facts the investor stated
(``assistant/stated_facts.py``), and the disclaimer, which is a setting
(``assistant/settings.py``). Answers from the knowledge base and the language model are the
knowledge's wording; the guard checks every one of them on the way out."""

from __future__ import annotations

import re

from assistant.dialogue_models import Language

_TEMPLATES: dict[str, dict[Language, str]] = {
    "greeting": {
        "zh": "您好！我是智能客服，可以帮您解答开户、转账、交易规则、费用、权限开通、"
        "新股申购等问题。",
        "en": "Hello! I can help with account opening, transfers, trading rules, fees, "
        "trading permissions, IPO subscription and more.",
    },
    "who_am_i": {
        "zh": "我是智能客服，不是真人，可以帮您解答开户、转账、交易规则、费用、权限开通、"
        "新股申购等问题。需要真人客服的话，随时点“转人工”。",
        "en": "I'm the automated assistant, not a person. I can help with account opening, "
        "transfers, trading rules, fees, permissions and IPO subscription; tap “Talk to a "
        "person” whenever you'd like one of our staff.",
    },
    "thanks": {
        "zh": "不客气，很高兴能帮到您！还有其他问题随时问我。",
        "en": "You're welcome! Ask me anytime.",
    },
    "goodbye": {
        "zh": "感谢您的咨询，再见！",
        "en": "Thanks for chatting. Goodbye!",
    },
    "quote_in_app": {
        "zh": "我这里查不到实时行情。指数和个股的最新价格、涨跌请在App【行情】页查看，"
        "也可以在搜索框输入代码或名称查看详情。",
        "en": "I can't see live market data here. Index levels and share prices are on the "
        "app's Markets page, and you can search a code or name there for details.",
    },
    "out_of_scope": {
        "zh": "抱歉，这个问题超出了我能解答的范围。"
        "我可以帮您解答开户、转账、交易规则、费用、"
        "权限开通、新股申购、分红税费等证券业务问题。",
        "en": "Sorry, that's outside what I can help with. I can answer questions about "
        "accounts, transfers, trading rules, fees, permissions, IPO subscription and dividends.",
    },
    "not_offered": {
        "zh": "本公司是证券公司，不提供“{product}”相关的业务，我也无法解答这方面的问题。"
        "我可以帮您解答开户、转账、交易规则、费用、权限开通、新股申购、分红税费等证券业务问题。",
        "en": "We are a securities firm and do not offer anything to do with “{product}”, so I "
        "can't help with that. I can answer questions about accounts, transfers, trading rules, "
        "fees, permissions, IPO subscription and dividends.",
    },
    "no_advice": {
        "zh": "抱歉，我不能推荐具体证券、预测涨跌或承诺收益。"
        "投资决策请结合自身风险承受能力审慎作出，如需专业意见可咨询具备投资顾问资格的人员。",
        "en": "Sorry, I can't recommend specific securities, predict prices or promise returns. "
        "Please decide according to your own risk tolerance, or consult a licensed adviser.",
    },
    "no_exceptions": {
        "zh": "抱歉，开通条件是监管规定的投资者适当性要求，任何人（包括客户经理）都不能通融或绕过。"
        "满足条件后即可在App申请；对条件有疑问的，我可以为您说明。",
        "en": "Sorry, these conditions are regulatory suitability requirements: no one, account "
        "managers included, can waive or get around them. Once you meet them you can apply in the "
        "app; I can explain any of the conditions.",
    },
    "no_account_lending": {
        "zh": "不可以。证券账户实行实名制，只能由本人持本人证件开立、由本人使用："
        "用家人或他人的身份证开户、借用别人的账户操作，或把密码交给别人替您买卖，"
        "都属于《证券法》第五十八条禁止的出借、借用账户，账户可能被限制交易，"
        "出了问题责任也在账户本人。家人想炒股，请由他本人开户；"
        "老人操作不便的，可以本人到营业部由工作人员协助办理。",
        "en": "No. Securities accounts are real-name accounts, opened by the holder with "
        "their own ID and used only by them: opening one with a relative's ID, trading in "
        "someone else's account, or giving someone your password to trade for you is lending "
        "or borrowing an account, which Article 58 of the Securities Law forbids; the account "
        "can be restricted and the holder bears the consequences. A relative who wants to "
        "trade should open their own account; an elderly holder can get help in person at a "
        "branch.",
    },
    "no_assessment_coaching": {
        "zh": "这个我不能帮您。风险测评要按您的真实情况如实填写，我也不能替您挑答案："
        "测评结果决定哪些产品和业务与您的风险承受能力匹配，故意填得更激进，"
        "可能买到超出承受能力的产品，发生纠纷时也不利于维护您自己的权益。"
        "如果您的投资经验和承受能力确实较高，如实作答就会体现出来；测评规则有疑问的，我可以为您说明。",
        "en": "I can't help with that. The risk assessment has to reflect your real situation, "
        "and no one may pick its answers for you: its result decides which products and "
        "services match the risk you can bear, and answering more aggressively than you are "
        "could put you into products beyond it and weaken your position in any dispute. If "
        "your experience and tolerance really are higher, honest answers will show it; I can "
        "explain how the assessment works.",
    },
    "commission_negotiable": {
        "zh": "佣金可以商量：股票交易佣金由券商和客户在监管规定的上限（成交金额的3‰）内协商确定，"
        "每笔最低收费也以双方约定为准。想调低的话，可以联系您的客户经理，或点“转人工”由同事为您"
        "提交申请，同事会结合您的资产规模和交易情况评估；调整后以您账户的实际费率为准。",
        "en": "Commission is negotiable: the rate is agreed between the broker and you within the "
        "regulatory cap (0.3% of the traded amount), and so is the minimum per order. To ask for "
        "a lower rate, contact your account manager, or tap “Talk to a person” and a colleague "
        "will file the request and review it against your assets and trading; the rate on your "
        "account after any change is the one that applies.",
    },
    "caller_check": {
        "zh": "自称本公司的来电或消息，可能是正常的业务提醒，但请不要在电话里办理，"
        "也不要点对方发来的链接：请您自己登录官方App查看和办理。"
        "本公司工作人员不会索要密码或验证码，也不会要求您转账；"
        "拿不准时可拨打本公司官方客服热线核实。",
        "en": "A call or message saying it is from us may be a genuine reminder, but don't act on "
        "it over the phone or through a link they send: sign in to our official app yourself to "
        "check and do it there. Our staff never ask for passwords or codes and never ask you to "
        "transfer money; if in doubt, call our official hotline to check.",
    },
    "fraud_warning": {
        "zh": "⚠️ 防诈骗提醒：本公司不会通过私人群组荐股或“带单”，不会要求您向个人账户转账，"
        "也不会索要密码或验证码。请立即停止转账，保留聊天和转账记录；如已受骗请拨打110报警。"
        "我已为您转接人工客服协助处理。",
        "en": "⚠️ Anti-fraud warning: we never recommend stocks in private groups, never ask you "
        "to transfer money to a personal account, and never ask for passwords or verification "
        "codes. Stop any transfer and keep the records; if you've lost money, call the police "
        "(110). I'm connecting you with our staff.",
    },
    "handoff": {
        "zh": "好的，正在为您转接人工客服，请稍候。客服接入前您可以继续补充问题。",
        "en": "Sure, I'm connecting you with our support staff. Feel free to add details "
        "while you wait.",
    },
    "handoff_angry": {
        "zh": "非常抱歉给您带来不好的体验，我马上为您转接人工客服优先处理。",
        "en": "I'm very sorry about this experience. I'm connecting you with our staff right away.",
    },
    "handoff_low_confidence": {
        "zh": "这个问题需要人工同事来解答，我已为您转接人工客服，请稍候。",
        "en": "This needs one of our colleagues, so I'm connecting you with our support staff.",
    },
    "which_aspect": {
        "zh": "关于“{topic}”，您想了解哪方面？请点选，或直接告诉我您的问题：",
        "en": "What would you like to know about “{topic}”? Pick one, or ask me directly:",
    },
    "clarify": {
        "zh": "您想咨询的是以下哪个问题？请点选，或换个说法告诉我：",
        "en": "Which of these do you mean? Pick one, or tell me in other words:",
    },
    "clarify_one": {
        "zh": "我不太确定理解对了，您是想问下面这个问题吗？如果不是，请换个说法告诉我：",
        "en": "I'm not sure I understood. Is this what you're asking? If not, tell me in "
        "other words:",
    },
    "cross_lingual": {
        "zh": "（以下内容来自我们的英文资料）",
        "en": "(This answer comes from our Chinese-language FAQ.)",
    },
    "sources": {"zh": "参考资料：", "en": "Sources: "},
    "past_review": {
        "zh": "（此条资料更新于{updated}，相关规则已到复核日期，如有调整以最新公告为准。）",
        "en": "(This information dates from {updated} and its rule is due for review; "
        "the latest official notice prevails if anything has changed.)",
    },
    "back_to_topic": {
        "zh": "好的，我们接着说刚才要办的事：",
        "en": "Sure, back to what you wanted to do:",
    },
    "sign_in_for_own": {
        "zh": "如需查看您本人的记录，请登录后再问我。",
        "en": "To see your own records, sign in and ask me again.",
    },
    "not_known": {
        "zh": "抱歉，这个问题我的资料里暂时还没有，我不想给您不准确的答复。"
        "您可以点“转人工”，由客服同事为您解答。",
        "en": "Sorry, I don't have that in my knowledge yet, and I'd rather not guess. "
        "Tap “Talk to a person” and a colleague will answer it.",
    },
    "injection_declined": {
        "zh": "抱歉，我只能按既定的服务规则为您解答证券业务问题，"
        "不能切换模式、更改规则或透露内部信息。请问有什么业务问题需要帮忙吗？",
        "en": "Sorry, I can only answer brokerage questions under my fixed service rules; I can't "
        "switch modes, change my rules or reveal internal information. What can I help you with?",
    },
    "urgent_account": {
        "zh": "您的账户可能被他人登录或操作，请立即修改交易密码和资金密码，并退出其他设备上的登录；"
        "我已为您优先转接人工客服，可协助核查交易记录、临时冻结账户。"
        "请同时告诉我发现异常的时间和涉及的交易，客服接入后会直接看到。",
        "en": "Someone else may have signed in to or traded in your account. Change your trading "
        "and funds passwords now and sign out on other devices. I've passed you to our staff "
        "with priority; they can check the trades and freeze the account for now. Please tell "
        "me when you noticed it and which trades are involved; the colleague who takes over "
        "will see it.",
    },
    "urgent_stuck": {
        "zh": "急着买卖时App或行情卡住，请先换其他渠道下单：电脑客户端、电话委托或营业部柜台"
        "（以您已开通的为准），也可切换网络、重启App再试。我已为您优先转接人工客服，"
        "同事会核实是否系统故障并协助您；请告诉我出问题的时间和要买卖的证券。",
        "en": "If the app or the quotes are stuck while you need to trade, place the order through "
        "another channel now: the desktop client, phone orders or a branch counter (whichever you "
        "have), or switch networks and restart the app. I've passed you to our staff with "
        "priority to check for a system fault and help you; please tell me when it started and "
        "what you want to buy or sell.",
    },
    "urgent_loss": {
        "zh": "这件事需要人工马上核查，我已为您优先转接人工客服。"
        "为了尽快处理，请同时告诉我：发生的时间、涉及的金额和当时的操作（有截图也可以发上来），"
        "客服接入后会直接看到。",
        "en": "This needs a person to check right away, so I've passed you to our staff with "
        "priority. To speed things up, please tell me when it happened, the amount involved and "
        "what you were doing at the time (screenshots help); the colleague who takes over will "
        "see it all.",
    },
    "handoff_chase_up": {
        "zh": "非常抱歉，这件事让您反复费心了。我已为您转接人工客服，接手的同事会先查看您之前的记录"
        "和这段对话，再和您确认怎么处理。",
        "en": "I'm very sorry you've had to come back about this again. I've passed you to our "
        "staff; the colleague who takes over will read your earlier contact and this chat first "
        "and tell you how it will be handled.",
    },
    "handoff_account_again": {
        "zh": "这是您账户系统里目前的记录，和您看到的情况对不上的话，需要同事帮您核实。"
        "我已为您转接人工客服，请稍候。",
        "en": "That is what your account shows right now; where it does not match what you see, "
        "a colleague needs to check it, so I've connected you with our staff.",
    },
    "handoff_after_answer": {
        "zh": "这件事需要工作人员为您办理，我已为您转接人工客服，请稍候。",
        "en": "This needs one of our colleagues to handle it, so I've connected you with our "
        "staff; please wait a moment.",
    },
    "advice_refused": {
        "zh": "抱歉，我不能对具体证券的买卖时机或投资收益作出推荐或承诺。"
        "如您想了解交易规则、产品风险或业务办理，我很乐意为您解答，也可以为您转接人工客服。",
        "en": "Sorry, I can't recommend buying or selling specific securities, or promise any "
        "returns. I'm happy to explain trading rules, product risks or account services, "
        "or to connect you with a human agent.",
    },
    "turn_gave_up": {
        "zh": "抱歉，系统繁忙，您刚才的问题没能及时回答。请再问一次，或回复“转人工”联系客服。",
        "en": (
            "Sorry, the system was busy and your last question could not be answered in time. "
            "Please ask again, or reply “agent” to reach a person."
        ),
    },
    "escalated_waiting": {
        "zh": "您的对话已转人工，客服会尽快接入，请稍候。",
        "en": "Your conversation is with our staff now; someone will be with you shortly.",
    },
}


PERSON_OPTION: dict[Language, str] = {"zh": "转人工", "en": "Talk to a person"}
"""The quick reply that offers a person; it is also what the safety rules route to one."""


def template(name: str, language: Language) -> str:
    return _TEMPLATES[name][language]


def template_names() -> list[str]:
    return sorted(_TEMPLATES)


_CITATION = re.compile("|".join(re.escape(_TEMPLATES["sources"][lang]) for lang in ("zh", "en")))


def without_citation(text: str) -> str:
    """``text`` without the line citing the entries it answers from: their questions are the
    investor's words, not ours ("Sources: Someone promises guaranteed returns with no risk of
    loss. Can I trust them?"). Only the last such line is taken for one (the composer puts it
    after the answer; a line an LLM wrote to look like one is kept and read like any other)."""
    lines = text.splitlines()
    cited = [n for n, line in enumerate(lines) if _CITATION.match(line)]
    return "\n".join(line for n, line in enumerate(lines) if n not in cited[-1:])
