"""The ``password_reset`` flow: the secure reset path for a trading, fund or login
password. It never asks for, and refuses to take, a password, verification code or
full ID number (:func:`~assistant.flows.guards.password_guard`)."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.flows.guards import password_guard
from assistant.flows.wording import choices_from
from intents.flow_engine import (
    FlowAnswers,
    FlowDefinition,
    FlowOutcome,
    Localized,
    Slot,
    keyword_choice,
)

read_password_kind = keyword_choice(
    {
        "trading": "交易密码|交易密碼|trading password|trade password|trading",
        "fund": "资金密码|資金密碼|转账密码|fund password|funds password|fund",
        "login": "登录密码|登陆密码|通讯密码|登录|登陆|锁了|锁定|被锁|解锁|冻结"
        "|login|log in|sign in|locked|unlock",
    }
)

_PASSWORD_KINDS: Mapping[str, Localized] = {
    "trading": Localized("交易密码", "trading password"),
    "fund": Localized("资金密码", "fund password"),
    "login": Localized("登录密码", "login password"),
}
_PASSWORD_EXTRA: Mapping[str, Localized] = {
    "trading": Localized("", ""),
    "fund": Localized(
        "资金密码用于银证转账，与交易密码分开设置，需要单独重置。",
        "The fund password is for bank transfers and is separate from the trading password, "
        "so it is reset on its own.",
    ),
    "login": Localized(
        "因多次输错被锁定的，一般在锁定时间结束后会自动解锁，也可以按上面的方式重置。",
        "If it is locked after too many wrong tries, it usually unlocks by itself after the "
        "lock period, or you can reset it as above.",
    ),
}


def _password_reset_message(answers: FlowAnswers) -> FlowOutcome:
    language = answers.language
    kind = str(answers.slots["password_kind"])
    label = _PASSWORD_KINDS[kind].text(language)
    steps = Localized(
        f"重置{label}的安全方式：\n"
        f"1. 在我们App的登录页或「我的 → 账户安全」中选择「忘记{label}」，"
        "按提示拍摄本人证件并完成人脸识别后，设置新密码；\n"
        "2. 无法完成人脸识别的，请本人携带有效身份证件到任一营业部柜台办理。",
        f"The secure way to reset your {label}:\n"
        f"1. In our app, on the login screen or under Me → Account security, choose "
        f"“Forgot {label}”, photograph your ID and pass face recognition, then set a new one;\n"
        "2. If face recognition doesn't work, visit any branch in person with your valid ID.",
    ).text(language)
    never = Localized(
        "我们的客服和本助手都不会索要您的密码、验证码或完整证件号码。",
        "Neither our staff nor this assistant will ever ask for your password, verification "
        "code or full ID number.",
    ).text(language)
    extra = _PASSWORD_EXTRA[kind].text(language)
    return FlowOutcome(message="\n".join(line for line in (steps, extra, never) if line))


def password_reset_flow() -> FlowDefinition:
    """Explains the secure reset path; refuses secrets typed into the chat."""
    return FlowDefinition(
        name="password_reset",
        title=Localized("密码重置", "password reset"),
        intro=Localized(
            "为了您的账户安全，请不要在对话中发送任何密码、验证码或完整身份证号码。",
            "For your security, never send a password, verification code or full ID number "
            "in this chat.",
        ),
        guard=password_guard,
        on_complete=_password_reset_message,
        slots=(
            Slot(
                name="password_kind",
                prompt=Localized("您要重置的是哪种密码？", "Which password do you need to reset?"),
                reprompt=Localized(
                    "请选择：交易密码、资金密码或登录密码。",
                    "Please choose: trading, fund or login password.",
                ),
                extract=read_password_kind,
                detect=read_password_kind,
                choices=choices_from(_PASSWORD_KINDS),
            ),
        ),
    )
