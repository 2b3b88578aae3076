/*!
 * BrokerDesk investor chat widget. Plain JavaScript, no dependencies, no build step.
 * Speaks the investor websocket protocol v1 (channels/protocol.py) over /ws/investor.
 *
 * Embed with one tag:
 *   <script src="http://127.0.0.1:8000/widget.js" data-server="http://127.0.0.1:8000"
 *           data-token-url="/api/dev/token" data-investor="INV-1001" data-lang="zh"></script>
 * data-* options: server (default: the script's origin), token-url (relative to server),
 *   investor, lang (zh|en; default from navigator.language), title (header name),
 *   open ("true": open the panel at load), connect ("load" default | "open": connect on first open),
 *   elderly ("true": the elderly-friendly mode: larger text, higher contrast, fewer elements),
 *   launcher-side (right default | left), launcher-bottom (CSS px from the bottom edge, default 24,
 *   e.g. 88 to sit above the app's own tab bar), draggable ("false": the investor cannot move the
 *   launcher; by default a drag moves it, snapped to the nearest side and remembered).
 * Sizes follow the page's root font size (rem: how the system font scale reaches a web view),
 * from 1x to 2x of the design size; motion stops under prefers-reduced-motion. Under 480 px wide
 * (or 500 px high) the open panel fills the screen, inside the safe-area insets and above the
 * on-screen keyboard (visualViewport), as a modal dialog that keeps the focus.
 * Token: window.BrokerDesk.getToken({investorId, force}) if the host page defines it (async,
 *   returns the token string); otherwise POST token-url {investor_id} -> {token, expires_at}.
 *
 * DOM hooks for browser tests. Everything lives in the OPEN shadow root of
 * <div id="brokerdesk-widget" data-testid="bdw-root">; Playwright CSS locators pierce it
 * (in page.evaluate use BrokerDeskWidget.root.querySelector(...)).
 *   [data-testid=bdw-bubble]        launcher button (aria-expanded); [data-testid=bdw-unread] badge
 *   [data-testid=bdw-panel]         the chat panel (data-open="true|false"; role=dialog,
 *                                   aria-modal="true" while it fills the screen)
 *   [data-testid=bdw-title]         header name; [data-testid=bdw-agent-name] agent name (hidden
 *                                   unless a person holds the conversation)
 *   [data-testid=bdw-status]        status dot+label, data-status=idle|connecting|online|
 *                                   reconnecting|offline|failed
 *   [data-testid=bdw-close]         close button
 *   [data-testid=bdw-transcript]    the transcript (inside the scrolling, labelled region
 *                                   .bdw-body; not itself live)
 *   [data-testid=bdw-announcer]     the polite live region: one child per announced entry
 *                                   (data-seq), added once per reply, agent message or notice
 *                                   received while the panel is open; never for restored ones
 *   [data-testid=bdw-message]       one transcript entry, data-kind=investor|bot|agent|system|
 *                                   suggestion|rating, data-seq (when known); investor entries
 *                                   also data-client-msg-id and data-state=pending|sent|failed;
 *                                   bot entries data-streaming="true" while chunks arrive,
 *                                   data-action, data-intent, data-flags (space-separated);
 *                                   suggestion entries data-suggestion-kind and, once seen in
 *                                   the open panel (the opened frame sent), data-opened="true";
 *                                   system entries (agent joined/left) data-tone="agent" on joins
 *   [data-testid=bdw-message-text]  the text of a message
 *   [data-testid=bdw-suggestion-title]  a suggestion card's title
 *   [data-testid=bdw-source]        one citation chip (data-source-id, title attribute = source)
 *   [data-testid=bdw-quick-reply]   quick-reply button (sends its text)
 *   [data-testid=bdw-thumb-up] / [data-testid=bdw-thumb-down]   on bot replies (aria-pressed)
 *   [data-testid=bdw-star]          rating star, data-score=1..5; [data-testid=bdw-rating-comment],
 *                                   [data-testid=bdw-rating-submit], [data-testid=bdw-rating-thanks]
 *   [data-testid=bdw-typing]        typing indicator (data-who=bot|agent), hidden when idle
 *   [data-testid=bdw-notice]        inline notice, data-code=<error code>
 *   [data-testid=bdw-retry]         retry button shown when the connection failed
 *   [data-testid=bdw-starter]       starter question on the empty transcript
 *   [data-testid=bdw-input]         textarea (Enter sends, Shift+Enter newline)
 *   [data-testid=bdw-send]          send button
 *   [data-testid=bdw-person-bar]    the bar above the input, data-person=bot|queued|agent
 *   [data-testid=bdw-person]        "转人工" / "Talk to a person": sends that text (the same
 *                                   escalation as typing it); hidden while queued or with an agent
 *   [data-testid=bdw-wait]          while queued: the place in the queue and the typical wait
 *                                   (from the server's queue_status frames)
 * window.BrokerDeskWidget: open(), close(), toggle(), send(text) -> client_msg_id | null,
 *   talkToPerson() -> client_msg_id | null, state (getter: open, status, connected,
 *   conversationId, lastSeq, agentName, pending, unread, lang, error, person, queue, elderly),
 *   root (the ShadowRoot), drop() (close the socket as a network drop would), reconnect(),
 *   reset() (forget the stored conversation and start afresh).
 */
(function () {
  "use strict";

  if (window.BrokerDeskWidget) return;

  var PROTOCOL_VERSION = 1;
  var MAX_TEXT = 2000;
  var MAX_CACHED_FRAMES = 300;
  var SEQUENCED = {
    investor_message: 1, reply: 1, agent_joined: 1, agent_left: 1,
    agent_message: 1, suggestion: 1, rating_request: 1
  };

  var script = document.currentScript ||
    document.querySelector("script[src*='widget.js'][data-investor]") ||
    document.querySelector("script[src*='widget.js']");
  var data = (script && script.dataset) || {};

  function scriptOrigin() {
    try { return new URL(script.src, location.href).origin; } catch (e) { return location.origin; }
  }

  var server = (data.server || scriptOrigin()).replace(/\/+$/, "");
  var tokenUrl = data.tokenUrl ? new URL(data.tokenUrl, server + "/").href : null;
  var investorId = data.investor || null;
  var lang = (data.lang || navigator.language || "zh").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  var connectOn = data.connect === "open" ? "open" : "load";
  var elderly = data.elderly !== undefined && data.elderly !== "false";
  var draggable = data.draggable !== "false";
  var launcherHome = {
    side: data.launcherSide === "left" ? "left" : "right",
    bottom: isNaN(parseFloat(data.launcherBottom)) ? 24 : Math.max(0, parseFloat(data.launcherBottom))
  };
  // Full screen under this size: the panel is then a modal dialog (focus kept inside).
  var COMPACT = window.matchMedia("(max-width: 480px), (max-height: 500px)");
  var LAUNCHER_SIZE = 60;
  var wsUrl = server.replace(/^http/, "ws") + "/ws/investor";
  var storageKey = "brokerdesk:v1:" + server + ":" + (investorId || "host");
  var launcherKey = "brokerdesk:v1:launcher";

  /** "客服 张三", but not "客服 客服小安" when the display name already says it. */
  function zhAgent(name) {
    return /^(客服|坐席)/.test(name) ? name : "客服 " + name;
  }

  var STRINGS = {
    zh: {
      title: "智能客服",
      assistant: "智能助手",
      agentRole: "人工客服",
      openChat: "打开在线客服",
      unreadCount: function (n) { return "，" + n + " 条新消息"; },
      closeChat: "收起对话窗口",
      panelLabel: "在线客服对话",
      transcriptLabel: "对话记录",
      placeholder: "请输入您的问题，Enter 发送，Shift+Enter 换行",
      placeholderShort: "请输入您的问题",
      inputLabel: "输入消息",
      send: "发送",
      status: {
        idle: "未连接", connecting: "正在连接…", online: "在线",
        reconnecting: "网络不稳定，正在重连…", offline: "网络已断开，恢复后自动重连",
        failed: "连接失败"
      },
      sending: "发送中",
      sendFailed: "发送失败，点击重试",
      typing: { bot: "智能助手正在输入", agent: "客服正在输入" },
      agentJoined: function (n) { return zhAgent(n) + " 已接入"; },
      agentLeftResolved: function (n) { return zhAgent(n) + " 已结束本次服务"; },
      agentLeftHandedBack: function (n) { return zhAgent(n) + " 已将对话转回智能助手"; },
      sources: "参考资料",
      helpful: "有帮助", notHelpful: "没帮助", feedbackThanks: "感谢反馈",
      ratingTitle: "请为本次服务打分",
      ratingHint: "您的评价将帮助我们改进服务",
      star: function (n) { return n + " 星"; },
      ratingLabels: ["", "非常不满意", "不满意", "一般", "满意", "非常满意"],
      ratingComment: "还有什么想告诉我们的？（选填）",
      ratingSubmit: "提交评价",
      ratingThanks: "感谢您的评价！",
      suggestionKinds: {
        ipo_reminder: "新股申购提醒", holding_notice: "持仓提醒",
        fraud_alert: "防诈骗提醒", campaign: "活动通知",
        st_risk: "持仓风险警示", margin_ratio: "两融担保比例", risk_mismatch: "持仓风险等级",
        allotment_due: "中签缴款提醒", risk_assessment_expiry: "风险测评到期",
        id_expiry: "证件到期", transfer_failures: "转账未成功", application_halfway: "未完成的申请",
        permission_ready: "权限开通条件", concentration: "持仓集中度"
      },
      why: "为什么看到这条？",
      mute: "不再提示此类",
      muted: "已不再提示此类消息",
      notices: {
        rate_limited: "发送太频繁，请稍后再试",
        storage_unavailable: "系统繁忙，消息将自动重新发送",
        reply_delayed: "消息已收到，系统繁忙，回复会稍晚送达",
        conversation_closed: "本次会话已结束，已为您开启新的会话",
        too_long: "消息过长，请控制在 2000 字以内",
        generic: "出现了一点问题，请稍后再试"
      },
      fatal: {
        unauthorized: "身份验证失败，请重新登录 App 后再试",
        token_expired: "登录已过期，请重新登录 App",
        forbidden: "暂无权限访问在线客服",
        unsupported_version: "客服组件版本过旧，请刷新页面",
        generic: "暂时无法连接在线客服"
      },
      retry: "重新连接",
      newConversation: "新的会话",
      introTitle: "您好，我是智能客服",
      introText: "可以为您解答开户、银证转账、交易规则、费用、权限开通、新股申购等问题。",
      starters: ["如何开通创业板权限？", "银证转账的时间", "忘记交易密码怎么办"],
      person: "转人工",
      personLabel: "转人工客服",
      queued: "正在为您转接人工客服",
      ahead: function (n) { return n === 0 ? "您是下一位" : "您前面还有 " + n + " 位"; },
      typicalWait: function (s) {
        return s < 60 ? "近期一般不到 1 分钟接入" : "近期一般约 " + Math.round(s / 60) + " 分钟接入";
      },
      said: function (who, text) { return who + "：" + text; },
      footer: "智能客服回答仅供参考，不构成投资建议",
      you: "我"
    },
    en: {
      title: "Support",
      assistant: "Assistant",
      agentRole: "Support agent",
      openChat: "Open chat",
      unreadCount: function (n) { return ", " + n + (n === 1 ? " new message" : " new messages"); },
      closeChat: "Minimise chat",
      panelLabel: "Customer support chat",
      transcriptLabel: "Conversation",
      placeholder: "Ask a question (Enter to send)",
      placeholderShort: "Ask a question",
      inputLabel: "Message",
      send: "Send",
      status: {
        idle: "Not connected", connecting: "Connecting…", online: "Online",
        reconnecting: "Connection unstable, reconnecting…",
        offline: "Offline; will reconnect automatically", failed: "Connection failed"
      },
      sending: "Sending",
      sendFailed: "Not sent. Tap to retry",
      typing: { bot: "Assistant is typing", agent: "Agent is typing" },
      agentJoined: function (n) { return "Agent " + n + " joined"; },
      agentLeftResolved: function (n) { return "Agent " + n + " closed the conversation"; },
      agentLeftHandedBack: function (n) { return "Agent " + n + " handed you back to the assistant"; },
      sources: "Sources",
      helpful: "Helpful", notHelpful: "Not helpful", feedbackThanks: "Thanks for the feedback",
      ratingTitle: "How did we do?",
      ratingHint: "Your rating helps us improve",
      star: function (n) { return n === 1 ? "1 star" : n + " stars"; },
      ratingLabels: ["", "Very poor", "Poor", "Okay", "Good", "Excellent"],
      ratingComment: "Anything else you'd like to tell us? (optional)",
      ratingSubmit: "Submit",
      ratingThanks: "Thank you for your rating!",
      suggestionKinds: {
        ipo_reminder: "IPO reminder", holding_notice: "Holding notice",
        fraud_alert: "Anti-fraud alert", campaign: "Announcement",
        st_risk: "Risk warning on a holding", margin_ratio: "Margin ratio",
        risk_mismatch: "Holding risk rating", allotment_due: "Allotment payment",
        risk_assessment_expiry: "Risk assessment expiry", id_expiry: "ID expiry",
        transfer_failures: "Failed transfers", application_halfway: "Unfinished application",
        permission_ready: "Permission conditions", concentration: "Concentration"
      },
      why: "Why am I seeing this?",
      mute: "Don't show these",
      muted: "You won't see these again",
      notices: {
        rate_limited: "You're sending messages too fast. Please wait a moment.",
        storage_unavailable: "We're busy; your message will be re-sent automatically.",
        reply_delayed: "Message received; we're busy, so the answer will come a little later.",
        conversation_closed: "That conversation has ended; a new one has started.",
        too_long: "Messages are limited to 2000 characters.",
        generic: "Something went wrong. Please try again."
      },
      fatal: {
        unauthorized: "We couldn't verify your identity. Please sign in to the app again.",
        token_expired: "Your session has expired. Please sign in again.",
        forbidden: "Chat is not available for this account.",
        unsupported_version: "This chat is out of date. Please reload the page.",
        generic: "Chat is unavailable right now."
      },
      retry: "Reconnect",
      newConversation: "New conversation",
      introTitle: "Hi, I'm your support assistant",
      introText: "Ask me about account opening, bank transfers, trading rules, fees, " +
        "trading permissions, IPO subscriptions and more.",
      starters: ["How do I open ChiNext?", "Bank transfer hours", "I forgot my trading password"],
      person: "Talk to a person",
      personLabel: "Talk to a person",
      queued: "Connecting you to a person",
      ahead: function (n) {
        return n === 0 ? "you're next" : n + (n === 1 ? " person" : " people") + " ahead of you";
      },
      typicalWait: function (s) {
        var m = Math.round(s / 60);
        return s < 60 ? "recently people have been picked up in under a minute"
          : "recently people have been picked up in about " + m + (m === 1 ? " minute" : " minutes");
      },
      said: function (who, text) { return who + ": " + text; },
      footer: "Answers are for reference only and are not investment advice",
      you: "Me"
    }
  };
  var T = STRINGS[lang];
  var displayTitle = data.title || T.title;

  var ICONS = {
    chat: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 21.4c-.1.4.3.7.7.5l3.8-1.9c.9.2 1.9.3 2.9.3 5.5 0 10-3.9 10-8.7S17.5 3 12 3Zm-4.5 10a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6Zm4.5 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6Zm4.5 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6Z"/></svg>',
    chevron: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" d="m6 9 6 6 6-6"/></svg>',
    close: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M6 6l12 12M18 6 6 18"/></svg>',
    send: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M3.4 20.6 21 12 3.4 3.4l-.1 6.7L15 12 3.3 13.9z"/></svg>',
    bot: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 2a1.5 1.5 0 0 1 .8 2.8V6H17a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3V9a3 3 0 0 1 3-3h4.2V4.8A1.5 1.5 0 0 1 12 2ZM9 11a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm-6.5 5.2c.9.8 2.1 1.3 3.5 1.3s2.6-.5 3.5-1.3l-.9-.9c-.6.5-1.6.9-2.6.9s-2-.4-2.6-.9l-.9.9ZM1 11h2v5H1zm20 0h2v5h-2z"/></svg>',
    headset: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 2a9 9 0 0 0-9 9v6a3 3 0 0 0 3 3h2v-8H5v-1a7 7 0 0 1 14 0v1h-3v8h2.5a1.5 1.5 0 0 1-1.5 1.3h-4v1.7h4a3.3 3.3 0 0 0 3.3-3.1A3 3 0 0 0 21 17v-6a9 9 0 0 0-9-9Z"/></svg>',
    thumbUp: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M7 10v10H4V10h3Zm0 0 4-7c1.7 0 2.6 1.2 2.2 2.9L12.6 9H19a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.8 20H7"/></svg>',
    thumbDown: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M17 14V4h3v10h-3Zm0 0-4 7c-1.7 0-2.6-1.2-2.2-2.9l.6-3.1H5a2 2 0 0 1-2-2.3l1.2-7A2 2 0 0 1 6.2 4H17"/></svg>',
    star: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="m12 2.8 2.8 5.8 6.3.9-4.6 4.4 1.1 6.3L12 17.2l-5.6 3 1.1-6.3-4.6-4.4 6.3-.9z"/></svg>',
    doc: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M14 3H6.5A1.5 1.5 0 0 0 5 4.5v15A1.5 1.5 0 0 0 6.5 21h11a1.5 1.5 0 0 0 1.5-1.5V8l-5-5Zm0 0v5h5M8.5 13h7m-7 3.5h5"/></svg>',
    ipo_reminder: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" d="M7 3v3m10-3v3M4 9h16M5.5 5h13A1.5 1.5 0 0 1 20 6.5v12a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 4 18.5v-12A1.5 1.5 0 0 1 5.5 5Zm3.5 9 2 2 4-4"/></svg>',
    holding_notice: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" d="M4 19h16M6 15l4-4 3 3 5-6m0 0h-3.5M18 8v3.5"/></svg>',
    fraud_alert: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M12 3 4 6v5.5c0 4.6 3.3 8.4 8 9.5 4.7-1.1 8-4.9 8-9.5V6l-8-3Z"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M12 8v5m0 3h.01"/></svg>',
    campaign: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M4 10v4a1 1 0 0 0 1 1h2l6 4V5L7 9H5a1 1 0 0 0-1 1Zm12-1.5a4.5 4.5 0 0 1 0 7M18.5 6a8 8 0 0 1 0 12"/></svg>',
    warn: '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 2.5 1.5 21h21L12 2.5Zm-1 7h2v6h-2v-6Zm0 8h2v2h-2v-2Z"/></svg>'
  };

  // Font sizes are in em of .bdw, whose size is 0.875rem held between 14 and 28 px: the widget
  // grows with the page's root font size (the system font scale) up to 2x, and no further.
  var CSS = [
    ":host{all:initial}",
    ".bdw{--bdw-primary:#1f56d8;--bdw-primary-2:#2c63e0;--bdw-primary-soft:#eef3ff;",
    "--bdw-text:#1c2434;--bdw-muted:#5b6475;--bdw-faint:#5f687a;--bdw-line:#e3e7ef;--bdw-bg:#f4f6fa;",
    "--bdw-agent:#0a7a52;--bdw-agent-soft:#e8f7f0;--bdw-warn:#c2410c;--bdw-warn-soft:#fff4e8;",
    "--bdw-focus:#1f56d8;--bdw-target:0px;--bdw-launcher-x:24px;--bdw-launcher-y:24px;",
    "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI','PingFang SC','Hiragino Sans GB',",
    "'Microsoft YaHei','WenQuanYi Micro Hei','Noto Sans CJK SC','Source Han Sans SC','Helvetica Neue',Arial,sans-serif;",
    "font-size:clamp(14px,.875rem,28px);line-height:1.6;color:var(--bdw-text);-webkit-font-smoothing:antialiased}",
    ":where(.bdw) *,:where(.bdw) *::before,:where(.bdw) *::after{box-sizing:border-box}",
    ":where(.bdw) svg{width:100%;height:100%;display:block}",
    ":where(.bdw) button{font:inherit;color:inherit;cursor:pointer;border:0;background:none;padding:0;margin:0;",
    "-webkit-tap-highlight-color:transparent}",
    ".bdw :focus-visible{outline:3px solid var(--bdw-focus);outline-offset:2px}",
    ".bdw-header :focus-visible,.bdw-launcher:focus-visible{outline-color:#fff;box-shadow:0 0 0 5px var(--bdw-focus)}",
    ".bdw-panel:focus,.bdw .bdw-input:focus-visible{outline:none}", // the input's frame shows its focus
    ".bdw .bdw-body:focus-visible{outline-offset:-3px}",
    // The launcher: its own stacking context, above anything the host page stacks.
    ".bdw-launcher{position:fixed;right:calc(var(--bdw-launcher-x) + env(safe-area-inset-right,0px));",
    "bottom:calc(var(--bdw-launcher-y) + env(safe-area-inset-bottom,0px));width:60px;height:60px;border-radius:50%;",
    "background:linear-gradient(135deg,var(--bdw-primary),var(--bdw-primary-2));color:#fff;z-index:2147483647;isolation:isolate;",
    "box-shadow:0 8px 24px rgba(31,86,216,.35);display:flex;align-items:center;justify-content:center;",
    "touch-action:manipulation;transition:transform .2s ease,box-shadow .2s ease}",
    ".bdw[data-draggable=true] .bdw-launcher{touch-action:none}",
    ".bdw[data-launcher-side=left] .bdw-launcher{right:auto;left:calc(var(--bdw-launcher-x) + env(safe-area-inset-left,0px))}",
    ".bdw-launcher[data-dragging=true]{transition:none;cursor:grabbing;transform:scale(1.06)}",
    ".bdw-launcher:hover{transform:translateY(-2px);box-shadow:0 12px 28px rgba(31,86,216,.42)}",
    ".bdw-launcher-icon{width:28px;height:28px}",
    ".bdw-launcher-icon-close{display:none}",
    ".bdw-launcher[aria-expanded=true] .bdw-launcher-icon-open{display:none}",
    ".bdw-launcher[aria-expanded=true] .bdw-launcher-icon-close{display:block}",
    ".bdw-unread{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;",
    "background:#c8231b;color:#fff;font-size:12px;font-weight:600;line-height:20px;text-align:center;",
    "box-shadow:0 0 0 2px #fff}",
    ".bdw-unread[hidden]{display:none}",
    ".bdw-panel{position:fixed;right:calc(24px + env(safe-area-inset-right,0px));",
    "bottom:calc(var(--bdw-launcher-y) + 72px + env(safe-area-inset-bottom,0px));",
    "width:min(380px,calc(100vw - 32px));height:min(640px,calc(100vh - var(--bdw-launcher-y) - 96px));",
    "z-index:2147483647;background:#fff;border-radius:16px;overflow:hidden;display:flex;flex-direction:column;",
    "box-shadow:0 16px 48px rgba(17,28,51,.22),0 2px 8px rgba(17,28,51,.08);",
    "transform-origin:bottom right;transition:opacity .18s ease,transform .18s ease}",
    ".bdw[data-launcher-side=left] .bdw-panel{right:auto;left:calc(24px + env(safe-area-inset-left,0px));transform-origin:bottom left}",
    ".bdw-panel[data-open=false]{opacity:0;transform:translateY(12px) scale(.98);pointer-events:none;visibility:hidden}",
    ".bdw-header{display:flex;align-items:center;gap:12px;padding:14px 14px 14px 16px;color:#fff;",
    "background:linear-gradient(135deg,var(--bdw-primary),var(--bdw-primary-2));flex:none}",
    ".bdw-header-avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.18);",
    "padding:8px;flex:none}",
    ".bdw-header[data-agent=true] .bdw-header-avatar{background:rgba(255,255,255,.24)}",
    ".bdw-header-main{flex:1;min-width:0}",
    ".bdw-title-line{display:flex;align-items:baseline;flex-wrap:wrap;column-gap:8px;min-width:0}",
    ".bdw-title{margin:0;font-size:1.143em;font-weight:600;line-height:1.4;overflow-wrap:anywhere}",
    ".bdw-agent-name{font-size:.929em;font-weight:500;padding:1px 8px;border-radius:10px;background:rgba(255,255,255,.2);overflow-wrap:anywhere}",
    ".bdw-agent-name[hidden]{display:none}",
    ".bdw-status{display:flex;align-items:center;gap:6px;font-size:.857em;margin-top:1px}",
    ".bdw-status-dot{width:8px;height:8px;border-radius:50%;background:#b8c0cc;flex:none}",
    ".bdw-status[data-status=online] .bdw-status-dot{background:#34d399;box-shadow:0 0 0 3px rgba(52,211,153,.25)}",
    ".bdw-status[data-status=connecting] .bdw-status-dot,.bdw-status[data-status=reconnecting] .bdw-status-dot{background:#fbbf24;animation:bdw-pulse 1.2s infinite}",
    ".bdw-status[data-status=failed] .bdw-status-dot{background:#f87171}",
    ".bdw-icon-btn{width:max(32px,var(--bdw-target));height:max(32px,var(--bdw-target));border-radius:8px;padding:6px;flex:none;",
    "display:flex;align-items:center;justify-content:center}",
    ".bdw-icon-btn svg{width:1.43em;height:1.43em}",
    ".bdw-icon-btn:hover{background:rgba(255,255,255,.16)}",
    ".bdw-body{flex:1;min-height:0;overflow-y:auto;overflow-x:hidden;background:var(--bdw-bg);padding:16px 14px 8px;overscroll-behavior:contain}",
    ".bdw-transcript{display:flex;flex-direction:column;gap:14px}",
    ".bdw-intro{background:#fff;border:1px solid var(--bdw-line);border-radius:14px;padding:16px}",
    ".bdw-intro[hidden]{display:none}",
    ".bdw-intro-title{margin:0 0 4px;font-weight:600;font-size:1.071em}",
    ".bdw-intro-text{color:var(--bdw-muted);font-size:.929em;margin:0 0 12px}",
    ".bdw-row{display:flex;gap:8px;align-items:flex-start;max-width:100%;animation:bdw-in .18s ease}",
    ".bdw-row[hidden]{display:none}",
    ".bdw-row-investor{flex-direction:row-reverse}",
    ".bdw-avatar{width:30px;height:30px;border-radius:50%;flex:none;padding:6px;color:#fff;",
    "background:linear-gradient(135deg,var(--bdw-primary),var(--bdw-primary-2))}",
    ".bdw-avatar-agent{background:var(--bdw-agent);padding:0;font-size:13px;font-weight:600;display:flex;align-items:center;justify-content:center}",
    ".bdw-col{display:flex;flex-direction:column;gap:6px;min-width:0;max-width:82%}",
    ".bdw-row-investor .bdw-col{align-items:flex-end}",
    ".bdw-name{font-size:.857em;color:var(--bdw-muted)}",
    ".bdw-name b{color:var(--bdw-agent);font-weight:600}",
    ".bdw-bubble{padding:9px 13px;border-radius:4px 14px 14px 14px;background:#fff;border:1px solid var(--bdw-line);",
    "white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere;max-width:100%}",
    ".bdw-row-investor .bdw-bubble{background:var(--bdw-primary);border-color:var(--bdw-primary);color:#fff;border-radius:14px 4px 14px 14px}",
    ".bdw-row-investor[data-state=pending] .bdw-bubble{opacity:.8}",
    ".bdw-row-investor[data-state=failed] .bdw-bubble{background:#fff;color:var(--bdw-text);border-color:#f3b4ae}",
    ".bdw-row-agent .bdw-bubble{background:var(--bdw-agent-soft);border-color:#bfe8d6}",
    ".bdw-row-bot[data-flags~=fraud_warning] .bdw-bubble{background:var(--bdw-warn-soft);border-color:#f7c99a}",
    ".bdw-row[data-streaming=true] .bdw-bubble::after{content:'';display:inline-block;width:6px;height:1em;margin-left:2px;",
    "vertical-align:-2px;background:var(--bdw-primary-2);animation:bdw-blink 1s steps(2) infinite}",
    ".bdw-meta{display:flex;align-items:center;flex-wrap:wrap;gap:8px;font-size:.786em;color:var(--bdw-faint);min-height:1.6em}",
    ".bdw-state{display:inline-flex;align-items:center;gap:4px}",
    ".bdw-state-failed{color:#b3261e;text-decoration:underline;min-height:var(--bdw-target)}",
    ".bdw-spinner{width:10px;height:10px;border-radius:50%;border:1.5px solid #c5cbd6;border-top-color:var(--bdw-primary);animation:bdw-spin .8s linear infinite}",
    ".bdw-thumbs{display:inline-flex;gap:2px;margin-left:auto}",
    ".bdw-thumb{width:max(24px,var(--bdw-target));height:max(24px,var(--bdw-target));padding:4px;border-radius:6px;color:#687184;",
    "display:inline-flex;align-items:center;justify-content:center}",
    ".bdw-thumb svg{width:1.15em;height:1.15em}",
    ".bdw-thumb:hover{background:#e9edf5;color:var(--bdw-muted)}",
    ".bdw-thumb[aria-pressed=true]{color:var(--bdw-primary);background:var(--bdw-primary-soft)}",
    ".bdw-thumb-down[aria-pressed=true]{color:#b3261e;background:#fdecea}",
    ".bdw-sources{display:flex;flex-direction:column;gap:4px}",
    ".bdw-sources-label{font-size:.786em;color:var(--bdw-muted);letter-spacing:.02em}",
    ".bdw-source-list{display:flex;flex-wrap:wrap;gap:6px;margin:0;padding:0;list-style:none}",
    ".bdw-source{display:inline-flex;align-items:center;gap:5px;max-width:100%;padding:2px 10px 2px 4px;",
    "border-radius:999px;background:var(--bdw-primary-soft);color:#2549b8;font-size:.857em;line-height:1.5;border:1px solid #d7e1fb}",
    ".bdw-source-n{width:1.4em;height:1.4em;border-radius:50%;background:#fff;font-size:.833em;font-weight:600;",
    "display:inline-flex;align-items:center;justify-content:center;flex:none}",
    ".bdw-source-t{min-width:0;overflow-wrap:anywhere}",
    ".bdw-quick{display:flex;flex-wrap:wrap;gap:6px}",
    ".bdw-quick-btn{padding:5px 12px;border-radius:999px;border:1px solid #bccbf2;background:#fff;min-height:var(--bdw-target);",
    "color:var(--bdw-primary);font-size:.929em;line-height:1.4;text-align:left;max-width:100%;overflow-wrap:anywhere;transition:background .15s}",
    ".bdw-quick-btn:hover:not(:disabled){background:var(--bdw-primary-soft)}",
    ".bdw-quick-btn:disabled{opacity:.6;cursor:default}",
    ".bdw-system{align-self:center;max-width:90%;font-size:.857em;color:var(--bdw-muted);background:#e9edf4;",
    "padding:3px 12px;border-radius:999px;text-align:center}",
    ".bdw-system[data-tone=agent]{background:var(--bdw-agent-soft);color:#0b6b49}",
    ".bdw-divider{display:flex;align-items:center;gap:10px;color:var(--bdw-faint);font-size:.857em}",
    ".bdw-divider::before,.bdw-divider::after{content:'';flex:1;height:1px;background:var(--bdw-line)}",
    ".bdw-notice{align-self:center;display:flex;align-items:center;gap:6px;font-size:.857em;color:#7a4209;",
    "background:#fff7e6;border:1px solid #f8dca8;padding:4px 12px;border-radius:8px}",
    ".bdw-notice-icon{width:14px;height:14px;flex:none;color:#b86e00}",
    ".bdw-card{background:#fff;border:1px solid var(--bdw-line);border-left:4px solid var(--bdw-primary-2);",
    "border-radius:12px;padding:12px 14px;display:flex;flex-direction:column;gap:8px;box-shadow:0 2px 8px rgba(17,28,51,.05)}",
    ".bdw-card-head{display:flex;align-items:center;gap:10px}",
    ".bdw-card-icon{width:34px;height:34px;border-radius:10px;padding:7px;background:var(--bdw-primary-soft);color:var(--bdw-primary);flex:none}",
    ".bdw-card-kind{font-size:.786em;color:var(--bdw-muted)}",
    ".bdw-card-title{font-size:1em;font-weight:600;line-height:1.4}",
    ".bdw-card-text{white-space:pre-wrap;word-break:break-word;font-size:.929em;color:#3a4356}",
    ".bdw-card-foot{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:6px;margin-top:8px;font-size:.857em;color:#4a5468}",
    ".bdw-why summary{cursor:pointer;min-height:44px;display:flex;align-items:center}",
    ".bdw-mute-btn{background:none;border:1px solid #c5cbd6;border-radius:6px;color:#3a4356;min-height:44px;padding:0 10px;font:inherit;cursor:pointer}",
    ".bdw-mute-btn:disabled{cursor:default;color:#4a5468}",
    ".bdw-card[data-suggestion-kind=holding_notice]{border-left-color:#7c5cff}",
    ".bdw-card[data-suggestion-kind=holding_notice] .bdw-card-icon{background:#f1edff;color:#6a48f0}",
    ".bdw-card[data-suggestion-kind=campaign]{border-left-color:#0ea5a4}",
    ".bdw-card[data-suggestion-kind=campaign] .bdw-card-icon{background:#e6f8f8;color:#0b8584}",
    ".bdw-card[data-suggestion-kind=fraud_alert]{background:var(--bdw-warn-soft);border-color:#f6c590;border-left-color:#ea580c}",
    ".bdw-card[data-suggestion-kind=fraud_alert] .bdw-card-icon{background:#ffe3c7;color:#d2470a}",
    ".bdw-card[data-suggestion-kind=fraud_alert] .bdw-card-title{color:#9a3412}",
    ".bdw-card[data-suggestion-kind=fraud_alert] .bdw-card-kind{color:#b23a0a;font-weight:600}",
    ".bdw-card[data-suggestion-kind=fraud_alert] .bdw-quick-btn{border-color:#f3b27a;color:#a8380a}",
    ".bdw-rating{align-self:stretch;text-align:center;border-left:1px solid var(--bdw-line);align-items:center}",
    ".bdw-stars{display:flex;gap:4px;justify-content:center}",
    ".bdw-star{width:max(34px,var(--bdw-target));height:max(34px,var(--bdw-target));padding:3px;color:#c3c9d4;",
    "display:inline-flex;align-items:center;justify-content:center;transition:transform .1s,color .1s}",
    ".bdw-star svg{width:2em;height:2em}",
    ".bdw-star:hover{transform:scale(1.1)}",
    ".bdw-star[data-lit=true]{color:#f5a623}",
    ".bdw-rating-label{font-size:.857em;color:var(--bdw-muted);min-height:1.6em}",
    ".bdw-rating textarea{width:100%;min-height:56px;resize:none;border:1px solid var(--bdw-line);border-radius:8px;",
    "padding:8px 10px;font:inherit;font-size:.929em;color:var(--bdw-text);background:#fafbfd}",
    ".bdw-primary-btn{padding:7px 18px;border-radius:8px;background:var(--bdw-primary);color:#fff;font-weight:500;min-height:var(--bdw-target)}",
    ".bdw-primary-btn:disabled{opacity:.55;cursor:default}",
    ".bdw-typing{display:flex;align-items:center;gap:8px;margin:10px 0 2px;font-size:.857em;color:var(--bdw-muted)}",
    ".bdw-typing[hidden]{display:none}",
    ".bdw-dots{display:inline-flex;gap:3px;padding:8px 12px;background:#fff;border:1px solid var(--bdw-line);border-radius:4px 12px 12px 12px}",
    ".bdw-dots i{width:6px;height:6px;border-radius:50%;background:#a9b2c3;animation:bdw-bounce 1.2s infinite}",
    ".bdw-dots i:nth-child(2){animation-delay:.15s}.bdw-dots i:nth-child(3){animation-delay:.3s}",
    ".bdw-failed{display:flex;flex-direction:column;align-items:center;gap:8px;padding:12px;margin-top:8px;",
    "background:#fff;border:1px solid #f3c5c1;border-radius:12px;color:#a1261c;font-size:.929em;text-align:center}",
    ".bdw-failed[hidden]{display:none}",
    ".bdw-composer{flex:none;border-top:1px solid var(--bdw-line);background:#fff;padding:8px 12px 8px}",
    ".bdw-person-bar{display:flex;align-items:center;flex-wrap:wrap;gap:6px 10px;margin:0 0 8px}",
    ".bdw-person-bar[data-person=agent]{display:none}",
    ".bdw-person{display:inline-flex;align-items:center;gap:6px;padding:4px 12px 4px 8px;border-radius:999px;",
    "border:1px solid #bccbf2;background:#fff;color:var(--bdw-primary);font-size:.929em;line-height:1.4;",
    "min-height:max(30px,var(--bdw-target));transition:background .15s}",
    ".bdw-person:hover:not(:disabled){background:var(--bdw-primary-soft)}",
    ".bdw-person:disabled{opacity:.6;cursor:default}",
    ".bdw-person-icon{width:1.3em;height:1.3em;flex:none}",
    ".bdw-person-bar[data-person=queued] .bdw-person{display:none}",
    ".bdw-wait{display:flex;align-items:flex-start;gap:8px;font-size:.857em;color:#0b6b49;background:var(--bdw-agent-soft);",
    "border:1px solid #bfe8d6;border-radius:10px;padding:6px 10px;flex:1;min-width:0}",
    ".bdw-wait[hidden]{display:none}",
    ".bdw-wait-icon{width:1.4em;height:1.4em;flex:none;margin-top:.1em}",
    ".bdw-wait-text{min-width:0;overflow-wrap:anywhere}",
    ".bdw-input-wrap{display:flex;align-items:flex-end;gap:8px;background:var(--bdw-bg);border:1px solid #c9d0dc;",
    "border-radius:20px;padding:5px 5px 5px 14px;transition:border-color .15s,background .15s}",
    ".bdw-input-wrap:focus-within{border-color:var(--bdw-primary-2);background:#fff}",
    ".bdw-input{flex:1;min-width:0;border:0;outline:0;background:transparent;resize:none;font:inherit;font-size:1em;",
    "line-height:1.45;max-height:8.6em;padding:5px 0;color:var(--bdw-text);min-height:max(2.1em,var(--bdw-target))}",
    ".bdw-input::placeholder{color:#6b7385}",
    ".bdw-send{width:max(34px,var(--bdw-target));height:max(34px,var(--bdw-target));border-radius:50%;padding:8px;",
    "background:var(--bdw-primary);color:#fff;flex:none;display:flex;align-items:center;justify-content:center;transition:opacity .15s}",
    ".bdw-send svg{width:1.3em;height:1.3em}",
    ".bdw-send:disabled{opacity:.45;cursor:default}",
    ".bdw-footer{display:flex;justify-content:space-between;gap:8px;font-size:.786em;color:var(--bdw-faint);padding:6px 4px 0}",
    ".bdw-count[data-over=true]{color:#b3261e}",
    ".bdw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}",
    // Phones (and short landscape screens): the open panel fills the screen, inside the safe areas,
    // its height the visual viewport's (set from visualViewport while the keyboard is up).
    "@media (max-width:480px),(max-height:500px){",
    ".bdw-panel,.bdw[data-launcher-side=left] .bdw-panel{left:0;right:0;top:var(--bdw-vv-top,0px);bottom:auto;width:100%;",
    "height:100%;height:var(--bdw-vv-height,100dvh);border-radius:0;box-shadow:none}",
    ".bdw-panel[data-open=false]{transform:translateY(16px)}",
    ".bdw-header{padding:calc(10px + env(safe-area-inset-top,0px)) calc(8px + env(safe-area-inset-right,0px)) 10px calc(14px + env(safe-area-inset-left,0px))}",
    ".bdw-body{padding-left:calc(12px + env(safe-area-inset-left,0px));padding-right:calc(12px + env(safe-area-inset-right,0px))}",
    ".bdw-composer{padding:8px calc(10px + env(safe-area-inset-right,0px)) calc(6px + env(safe-area-inset-bottom,0px)) calc(10px + env(safe-area-inset-left,0px))}",
    ".bdw-col{max-width:86%}",
    ".bdw-launcher{width:56px;height:56px}",
    ".bdw-launcher[aria-expanded=true]{display:none}}",
    // Touch: every control at least 44 x 44 CSS px.
    "@media (max-width:480px),(max-height:500px),(pointer:coarse){.bdw{--bdw-target:44px}}",
    // Elderly-friendly mode: larger text, stronger contrast, fewer things on screen, no motion.
    ".bdw[data-elderly=true]{--bdw-primary:#0b3fa8;--bdw-primary-2:#0b3fa8;--bdw-primary-soft:#e6edfb;--bdw-text:#0b0f17;",
    "--bdw-muted:#2f3747;--bdw-faint:#2f3747;--bdw-line:#8a93a5;--bdw-bg:#fff;--bdw-agent:#075c3d;--bdw-focus:#b5420d;",
    "--bdw-target:max(48px,1.8em);font-size:clamp(18px,1.125rem,36px);line-height:1.65}",
    "@media (min-width:481px) and (min-height:501px){.bdw[data-elderly=true] .bdw-panel{width:min(440px,calc(100vw - 32px))}}",
    ".bdw[data-elderly=true] .bdw-title{font-size:1em}",
    ".bdw[data-elderly=true] :is(.bdw-thumbs,.bdw-time,.bdw-avatar,.bdw-header-avatar,.bdw-count,.bdw-sources-label,.bdw-spinner){display:none}",
    ".bdw[data-elderly=true] .bdw-col{max-width:100%}",
    // With the times and thumbs gone, a row's meta line shows only a sending or failed state.
    ".bdw[data-elderly=true] .bdw-meta:not(:has(.bdw-state:not(:empty))){display:none}",
    ".bdw[data-elderly=true] .bdw-row-investor .bdw-col{max-width:92%}",
    ".bdw[data-elderly=true] :is(.bdw-bubble,.bdw-intro,.bdw-card,.bdw-quick-btn,.bdw-person,.bdw-wait,.bdw-input-wrap){border-width:2px}",
    ".bdw[data-elderly=true] .bdw-bubble{padding:10px 14px}",
    ".bdw[data-elderly=true] :is(.bdw-name,.bdw-system,.bdw-notice,.bdw-meta,.bdw-wait,.bdw-card-kind,.bdw-source){font-size:.889em}",
    ".bdw[data-elderly=true] :is(.bdw-status,.bdw-footer){font-size:.778em}",
    ".bdw[data-elderly=true] .bdw-person-bar[data-person=bot] .bdw-person{width:100%;justify-content:center;",
    "background:var(--bdw-primary);border-color:var(--bdw-primary);color:#fff;font-weight:600}",
    ".bdw[data-elderly=true] .bdw-person-bar[data-person=bot] .bdw-person:hover:not(:disabled){background:#08328a}",
    ".bdw[data-elderly=true] .bdw-status-dot{width:10px;height:10px}",
    "@keyframes bdw-in{from{opacity:0;transform:translateY(4px)}to{opacity:1;transform:none}}",
    "@keyframes bdw-bounce{0%,60%,100%{transform:none;opacity:.6}30%{transform:translateY(-4px);opacity:1}}",
    "@keyframes bdw-spin{to{transform:rotate(360deg)}}",
    "@keyframes bdw-blink{50%{opacity:0}}",
    "@keyframes bdw-pulse{50%{opacity:.45}}",
    ".bdw[data-elderly=true] *{animation:none !important;transition:none !important}",
    "@media (prefers-reduced-motion:reduce){.bdw *{animation:none !important;transition:none !important}}"
  ].join("\n");

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "html") node.innerHTML = value; // only our own constant icons
        else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function icon(name, cls) {
    return el("span", { class: cls || "", html: ICONS[name] || "", "aria-hidden": "true" });
  }

  function newClientMsgId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(12);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); });
    return "m-" + Date.now().toString(36) + "-" + hex.join("");
  }

  function clockTime(at) {
    var d = at ? new Date(at) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function initialOf(name) {
    var s = String(name || "").trim();
    return s ? Array.from(s)[0].toUpperCase() : "?";
  }

  // --- persisted session (sessionStorage: survives a reload, not a new tab) -------------------

  var saved = loadSaved();

  function emptySaved() {
    return {
      conversationId: null, lastSeq: 0, frames: [], outbox: [], thumbs: {}, rated: {}, muted: {}, opened: {}
    };
  }

  function loadSaved() {
    try {
      var raw = window.sessionStorage.getItem(storageKey);
      if (!raw) return emptySaved();
      var parsed = JSON.parse(raw);
      var base = emptySaved();
      Object.keys(base).forEach(function (k) { if (parsed[k] !== undefined) base[k] = parsed[k]; });
      return base;
    } catch (e) {
      return emptySaved();
    }
  }

  function persist() {
    try {
      if (saved.frames.length > MAX_CACHED_FRAMES) saved.frames = saved.frames.slice(-MAX_CACHED_FRAMES);
      window.sessionStorage.setItem(storageKey, JSON.stringify(saved));
    } catch (e) {
      // Storage full or disabled: the live session still works, a reload starts from the server.
    }
  }

  // --- DOM -------------------------------------------------------------------------------

  var host = el("div", { id: "brokerdesk-widget", "data-testid": "bdw-root" });
  var root = host.attachShadow({ mode: "open" });
  var ui = {};

  function buildUi() {
    // A constructed stylesheet, not a <style> element: host pages whose CSP forbids
    // inline style (ours among them) still style the widget. Older browsers: <style>.
    var sheet = null;
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      sheet = null;
    }
    if (!sheet) root.appendChild(el("style", { text: CSS }));
    ui.wrap = el("div", {
      class: "bdw", lang: lang === "zh" ? "zh-CN" : "en", "data-elderly": elderly ? "true" : "false",
      "data-draggable": draggable ? "true" : "false"
    });

    ui.unread = el("span", { class: "bdw-unread", "data-testid": "bdw-unread", hidden: true, "aria-hidden": "true" });
    ui.launcher = el("button", {
      class: "bdw-launcher", type: "button", "data-testid": "bdw-bubble",
      "aria-label": T.openChat, "aria-expanded": "false", "aria-controls": "bdw-panel",
      onclick: function () {
        if (launcherDrag.moved) { launcherDrag.moved = false; return; } // the end of a drag
        toggle();
      }
    }, icon("chat", "bdw-launcher-icon bdw-launcher-icon-open"),
      icon("chevron", "bdw-launcher-icon bdw-launcher-icon-close"), ui.unread);

    ui.title = el("h2", { class: "bdw-title", id: "bdw-title", "data-testid": "bdw-title", text: displayTitle });
    ui.agentName = el("span", { class: "bdw-agent-name", "data-testid": "bdw-agent-name", hidden: true });
    ui.statusLabel = el("span", { class: "bdw-status-label", text: T.status.idle });
    ui.status = el("div", {
      class: "bdw-status", "data-testid": "bdw-status", "data-status": "idle", role: "status"
    }, el("span", { class: "bdw-status-dot", "aria-hidden": "true" }), ui.statusLabel);
    ui.headerAvatar = icon("bot", "bdw-header-avatar");
    ui.header = el("div", { class: "bdw-header" },
      ui.headerAvatar,
      el("div", { class: "bdw-header-main" },
        el("div", { class: "bdw-title-line" }, ui.title, ui.agentName), ui.status),
      el("button", {
        class: "bdw-icon-btn", type: "button", "data-testid": "bdw-close", "aria-label": T.closeChat,
        html: ICONS.close, onclick: function () { close(); ui.launcher.focus(); }
      }));

    ui.intro = el("div", { class: "bdw-intro" },
      el("p", { class: "bdw-intro-title", text: T.introTitle }),
      el("p", { class: "bdw-intro-text", text: T.introText }),
      el("div", { class: "bdw-quick" }, T.starters.map(function (q) {
        return el("button", {
          class: "bdw-quick-btn", type: "button", "data-testid": "bdw-starter", text: q,
          onclick: function () { send(q); }
        });
      }).reduce(function (frag, b) { frag.appendChild(b); return frag; }, document.createDocumentFragment())));

    // Not a live region: replies are announced once each through ui.announcer, so a
    // re-rendered stream, a restored transcript or an investor's own message is never read out.
    ui.transcript = el("div", { class: "bdw-transcript", "data-testid": "bdw-transcript" });
    ui.announcer = el("div", {
      class: "bdw-sr", "data-testid": "bdw-announcer", "aria-live": "polite", "aria-atomic": "false",
      "aria-relevant": "additions"
    });
    ui.typingLabel = el("span", { class: "bdw-sr" });
    ui.typing = el("div", { class: "bdw-typing", "data-testid": "bdw-typing", hidden: true },
      el("span", { class: "bdw-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
      ui.typingLabel);
    ui.failedText = el("div", { text: T.fatal.generic });
    ui.failed = el("div", { class: "bdw-failed", hidden: true, role: "alert" }, ui.failedText,
      el("button", {
        class: "bdw-primary-btn", type: "button", "data-testid": "bdw-retry", text: T.retry,
        onclick: function () { conn.restart(); }
      }));
    // The scrolling part, a labelled region that takes the focus so the keyboard can scroll it.
    ui.body = el("div", {
      class: "bdw-body", role: "region", "aria-label": T.transcriptLabel, tabindex: "0"
    }, ui.intro, ui.transcript, ui.typing, ui.failed);

    ui.personLabel = el("span", { text: T.person });
    ui.person = el("button", {
      class: "bdw-person", type: "button", "data-testid": "bdw-person",
      onclick: function () { talkToPerson(); }
    }, icon("headset", "bdw-person-icon"), ui.personLabel);
    ui.waitText = el("span", { class: "bdw-wait-text" });
    ui.wait = el("div", { class: "bdw-wait", "data-testid": "bdw-wait", role: "status", hidden: true },
      icon("headset", "bdw-wait-icon"), ui.waitText);
    ui.personBar = el("div", { class: "bdw-person-bar", "data-testid": "bdw-person-bar", "data-person": "bot" },
      ui.person, ui.wait);

    var touch = window.matchMedia("(pointer: coarse)").matches;
    ui.input = el("textarea", {
      class: "bdw-input", rows: "1", "data-testid": "bdw-input",
      placeholder: elderly || touch || COMPACT.matches ? T.placeholderShort : T.placeholder,
      "aria-label": T.inputLabel, maxlength: String(MAX_TEXT + 200), enterkeyhint: "send"
    });
    ui.sendBtn = el("button", {
      class: "bdw-send", type: "button", "data-testid": "bdw-send", "aria-label": T.send,
      title: T.send, html: ICONS.send, disabled: true, onclick: function () { submitInput(); }
    });
    ui.count = el("span", { class: "bdw-count" });
    ui.composer = el("div", { class: "bdw-composer" },
      ui.personBar,
      el("div", { class: "bdw-input-wrap" }, ui.input, ui.sendBtn),
      el("div", { class: "bdw-footer" }, el("span", { text: T.footer }), ui.count));

    ui.panel = el("section", {
      class: "bdw-panel", id: "bdw-panel", "data-testid": "bdw-panel", "data-open": "false",
      role: "dialog", "aria-labelledby": "bdw-title", "aria-hidden": "true", tabindex: "-1"
    }, ui.header, ui.body, ui.composer, ui.announcer);

    // The launcher first: it is the way in, so it comes before the panel in the focus order.
    ui.wrap.appendChild(ui.launcher);
    ui.wrap.appendChild(ui.panel);
    root.appendChild(ui.wrap);
    placeLauncher(launcherPlace());
    if (draggable) makeDraggable();
    setModal();
    if (COMPACT.addEventListener) COMPACT.addEventListener("change", function () { setModal(); fitToViewport(); });
    if (window.visualViewport) {
      window.visualViewport.addEventListener("resize", fitToViewport);
      window.visualViewport.addEventListener("scroll", fitToViewport);
    }
    // A phone turned sideways: keep the launcher on the screen.
    window.addEventListener("resize", function () { placeLauncher(launcherPlace()); });

    ui.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submitInput();
      }
    });
    ui.input.addEventListener("input", function () { onInputChanged(); conn.typing(true); });
    ui.input.addEventListener("blur", function () { conn.typing(false); });
    ui.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); close(); ui.launcher.focus(); return; }
      if (e.key === "Tab" && COMPACT.matches) keepFocusInside(e);
    });
  }

  // --- phones: full-screen panel, the keyboard, the focus -----------------------------------

  /** Full screen, the panel is modal: the page behind it cannot be reached. */
  function setModal() {
    if (COMPACT.matches) ui.panel.setAttribute("aria-modal", "true");
    else ui.panel.removeAttribute("aria-modal");
  }

  function focusables() {
    var nodes = ui.panel.querySelectorAll("button, textarea, input, select, a[href], [tabindex='0']");
    return Array.prototype.filter.call(nodes, function (node) {
      return !node.disabled && node.getClientRects().length > 0;
    });
  }

  /** Tab and Shift+Tab wrap around inside the full-screen panel. */
  function keepFocusInside(e) {
    var list = focusables();
    if (!list.length) return;
    var first = list[0];
    var last = list[list.length - 1];
    var active = root.activeElement;
    if (e.shiftKey && (active === first || active === ui.panel || list.indexOf(active) < 0)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || list.indexOf(active) < 0)) {
      e.preventDefault();
      first.focus();
    }
  }

  /** The on-screen keyboard shrinks the visual viewport, not the layout one (iOS, and Android
   * Chrome by default): the full-screen panel follows the visual viewport so the input stays
   * above the keyboard. */
  function fitToViewport() {
    var vv = window.visualViewport;
    var style = ui.panel.style;
    if (!vv || !view.open || !COMPACT.matches || Math.abs(vv.scale - 1) > 0.01) {
      style.removeProperty("--bdw-vv-height");
      style.removeProperty("--bdw-vv-top");
      return;
    }
    var stick = nearBottom();
    style.setProperty("--bdw-vv-height", Math.round(vv.height) + "px");
    style.setProperty("--bdw-vv-top", Math.round(vv.offsetTop) + "px");
    if (stick) scrollToBottom();
  }

  // --- the launcher: where the host puts it, where the investor drags it -----------------------

  var launcherDrag = { pointer: null, moved: false, dx: 0, dy: 0, x0: 0, y0: 0 };

  function launcherPlace() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(launcherKey) || "null");
      if (draggable && stored && (stored.side === "left" || stored.side === "right") &&
          typeof stored.bottom === "number") {
        return { side: stored.side, bottom: stored.bottom };
      }
    } catch (e) {
      // Storage disabled: the host's placement.
    }
    return launcherHome;
  }

  function placeLauncher(place) {
    var highest = Math.max(0, window.innerHeight - LAUNCHER_SIZE - 8);
    ui.wrap.setAttribute("data-launcher-side", place.side);
    ui.wrap.style.setProperty("--bdw-launcher-y", Math.min(place.bottom, highest) + "px");
  }

  function makeDraggable() {
    var b = ui.launcher;
    b.addEventListener("pointerdown", function (e) {
      if (e.button !== 0 || launcherDrag.pointer !== null) return;
      var rect = b.getBoundingClientRect();
      launcherDrag.pointer = e.pointerId;
      launcherDrag.moved = false;
      launcherDrag.x0 = e.clientX;
      launcherDrag.y0 = e.clientY;
      launcherDrag.dx = e.clientX - rect.left;
      launcherDrag.dy = e.clientY - rect.top;
    });
    b.addEventListener("pointermove", function (e) {
      if (e.pointerId !== launcherDrag.pointer) return;
      if (!launcherDrag.moved) {
        // A tap that wobbles a little is still a tap.
        if (Math.abs(e.clientX - launcherDrag.x0) + Math.abs(e.clientY - launcherDrag.y0) < 10) return;
        launcherDrag.moved = true;
        b.setAttribute("data-dragging", "true");
        try { b.setPointerCapture(e.pointerId); } catch (err) { /* the pointer is already gone */ }
      }
      var size = b.offsetWidth;
      b.style.left = clamp(e.clientX - launcherDrag.dx, 0, window.innerWidth - size) + "px";
      b.style.top = clamp(e.clientY - launcherDrag.dy, 0, window.innerHeight - size) + "px";
      b.style.right = "auto";
      b.style.bottom = "auto";
    });
    function end(e) {
      if (e.pointerId !== launcherDrag.pointer) return;
      launcherDrag.pointer = null;
      if (!launcherDrag.moved) return;
      var rect = b.getBoundingClientRect();
      var place = {
        side: rect.left + rect.width / 2 < window.innerWidth / 2 ? "left" : "right",
        bottom: Math.round(clamp(window.innerHeight - rect.bottom, 8, window.innerHeight - rect.height - 8))
      };
      ["left", "top", "right", "bottom"].forEach(function (k) { b.style.removeProperty(k); });
      b.removeAttribute("data-dragging");
      placeLauncher(place);
      try { window.localStorage.setItem(launcherKey, JSON.stringify(place)); } catch (err) { /* not kept */ }
      // A touch drag may end without a click; a mouse drag ends with one, which must not toggle.
      setTimeout(function () { launcherDrag.moved = false; }, 400);
    }
    b.addEventListener("pointerup", end);
    b.addEventListener("pointercancel", end);
  }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function onInputChanged() {
    var value = ui.input.value;
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + "px";
    var length = Array.from(value).length;
    ui.sendBtn.disabled = !value.trim() || length > MAX_TEXT;
    ui.count.textContent = length > MAX_TEXT - 200 ? length + "/" + MAX_TEXT : "";
    ui.count.setAttribute("data-over", length > MAX_TEXT ? "true" : "false");
  }

  function submitInput() {
    var text = ui.input.value;
    if (!text.trim()) return;
    if (send(text) !== null) {
      ui.input.value = "";
      onInputChanged();
      conn.typing(false);
    }
    ui.input.focus();
  }

  // --- transcript ------------------------------------------------------------------------

  var view = {
    open: false,
    unread: 0,
    agentName: null,
    bubbles: new Map(), // client_msg_id -> investor row
    streams: new Map(), // stream_id -> {row, textNode, chunks: Map<index, delta>}
    finishedStreams: new Set(),
    typingTimer: null,
    person: "bot", // bot | queued | agent: who the investor is talking to, or waiting for
    queue: null, // the latest queue_status frame while queued
    personAsked: false, // the person control was used and its reply has not come yet
    convLang: lang, // the language of the latest reply: the person control speaks it
    announced: new Set() // seqs already read out
  };

  function nearBottom() {
    var b = ui.body;
    return b.scrollHeight - b.scrollTop - b.clientHeight < 96;
  }

  function scrollToBottom() {
    ui.body.scrollTop = ui.body.scrollHeight;
  }

  function append(node, opts) {
    var stick = (opts && opts.own) || nearBottom();
    ui.transcript.appendChild(node);
    ui.intro.hidden = true;
    if (stick) scrollToBottom();
    if (opts && opts.live && !view.open && !opts.own) {
      view.unread += 1;
      renderUnread();
    }
  }

  function renderUnread() {
    ui.unread.hidden = view.unread === 0;
    ui.unread.textContent = view.unread > 99 ? "99+" : String(view.unread);
    ui.launcher.setAttribute("aria-label", view.open ? T.closeChat
      : T.openChat + (view.unread ? T.unreadCount(view.unread) : ""));
  }

  function messageText(text) {
    return el("div", { class: "bdw-bubble", "data-testid": "bdw-message-text", text: text });
  }

  function quickReplies(list) {
    if (!list || !list.length) return null;
    var box = el("div", { class: "bdw-quick" });
    list.forEach(function (q) {
      box.appendChild(el("button", {
        class: "bdw-quick-btn", type: "button", "data-testid": "bdw-quick-reply", text: q,
        onclick: function () {
          if (send(q) === null) return;
          Array.prototype.forEach.call(box.children, function (b) { b.disabled = true; });
        }
      }));
    });
    return box;
  }

  function sourcesBlock(sources) {
    if (!sources || !sources.length) return null;
    var list = el("ul", { class: "bdw-source-list" });
    sources.forEach(function (s, i) {
      list.appendChild(el("li", {
        class: "bdw-source", "data-testid": "bdw-source", "data-source-id": s.id,
        title: s.title + (s.source ? " — " + s.source : "")
      }, el("span", { class: "bdw-source-n", text: String(i + 1) }),
        el("span", { class: "bdw-source-t", text: s.title })));
    });
    return el("div", { class: "bdw-sources" },
      el("div", { class: "bdw-sources-label", text: T.sources }), list);
  }

  function thumbs(seq) {
    var box = el("span", { class: "bdw-thumbs" });
    function make(kind, label, iconName) {
      return el("button", {
        class: "bdw-thumb bdw-thumb-" + kind, type: "button", "data-testid": "bdw-thumb-" + kind,
        "aria-label": label, title: label, "aria-pressed": saved.thumbs[seq] === kind ? "true" : "false",
        html: ICONS[iconName],
        onclick: function (e) {
          var btn = e.currentTarget;
          if (btn.getAttribute("aria-pressed") === "true") return;
          Array.prototype.forEach.call(box.children, function (b) { b.setAttribute("aria-pressed", "false"); });
          btn.setAttribute("aria-pressed", "true");
          saved.thumbs[seq] = kind;
          persist();
          conn.feedback({ type: "feedback", seq: seq, thumbs: kind });
        }
      });
    }
    box.appendChild(make("up", T.helpful, "thumbUp"));
    box.appendChild(make("down", T.notHelpful, "thumbDown"));
    return box;
  }

  // The reply text carries a plain-text source legend line (for channels without chips);
  // the widget shows the same sources as chips, so it hides that line.
  var SOURCE_LEGEND = /\n(?:参考资料：|Sources: )[^\n]*/;

  function displayText(f) {
    return f.sources && f.sources.length ? f.text.replace(SOURCE_LEGEND, "") : f.text;
  }

  function botRow(f) {
    var flags = (f.flags || []).join(" ");
    // Thumbs rate answers; a flow question or a hand-over notice is not one.
    var rateable = f.action === "answer" || f.action === "clarify";
    var col = el("div", { class: "bdw-col" }, messageText(displayText(f)), sourcesBlock(f.sources),
      quickReplies(f.quick_replies),
      el("div", { class: "bdw-meta" }, el("span", { class: "bdw-time", text: clockTime(f.at) }),
        rateable ? thumbs(f.seq) : null));
    return el("div", {
      class: "bdw-row bdw-row-bot", "data-testid": "bdw-message", "data-kind": "bot",
      "data-seq": f.seq, "data-action": f.action, "data-intent": f.intent || null,
      "data-flags": flags || null
    }, icon("bot", "bdw-avatar"), col);
  }

  function investorRow(clientMsgId, text, state, seq, at) {
    var stateBox = el("span", { class: "bdw-state" });
    var row = el("div", {
      class: "bdw-row bdw-row-investor", "data-testid": "bdw-message", "data-kind": "investor",
      "data-client-msg-id": clientMsgId, "data-state": state, "data-seq": seq || null
    }, el("div", { class: "bdw-col" }, messageText(text),
      el("div", { class: "bdw-meta" }, stateBox, el("span", { class: "bdw-time", text: clockTime(at) }))));
    row._stateBox = stateBox;
    setInvestorState(row, state);
    return row;
  }

  function setInvestorState(row, state) {
    row.setAttribute("data-state", state);
    var box = row._stateBox;
    box.textContent = "";
    if (state === "pending") {
      box.appendChild(el("span", { class: "bdw-spinner", "aria-hidden": "true" }));
      box.appendChild(document.createTextNode(T.sending));
    } else if (state === "failed") {
      box.appendChild(el("button", {
        class: "bdw-state-failed", type: "button", text: T.sendFailed,
        onclick: function () { outbox.retry(row.getAttribute("data-client-msg-id")); }
      }));
    }
  }

  function agentRow(f) {
    return el("div", {
      class: "bdw-row bdw-row-agent", "data-testid": "bdw-message", "data-kind": "agent", "data-seq": f.seq
    }, el("span", { class: "bdw-avatar bdw-avatar-agent", text: initialOf(f.agent_name), "aria-hidden": "true" }),
      el("div", { class: "bdw-col" },
        el("div", { class: "bdw-name" }, el("b", { text: f.agent_name }), " · " + T.agentRole),
        messageText(f.text),
        el("div", { class: "bdw-meta" }, el("span", { class: "bdw-time", text: clockTime(f.at) }))));
  }

  function systemRow(text, seq, tone) {
    return el("div", {
      class: "bdw-system", "data-testid": "bdw-message", "data-kind": "system",
      "data-seq": seq || null, "data-tone": tone || null, text: text
    });
  }

  function suggestionCard(f) {
    var kindLabel = T.suggestionKinds[f.kind] || f.kind;
    return el("div", {
      class: "bdw-card", "data-testid": "bdw-message", "data-kind": "suggestion",
      "data-suggestion-kind": f.kind, "data-seq": f.seq, role: f.kind === "fraud_alert" ? "alert" : null
    }, el("div", { class: "bdw-card-head" }, icon(f.kind in ICONS ? f.kind : "campaign", "bdw-card-icon"),
      el("div", {}, el("div", { class: "bdw-card-kind", text: kindLabel }),
        el("div", { class: "bdw-card-title", "data-testid": "bdw-suggestion-title", text: f.title }))),
      el("div", { class: "bdw-card-text", "data-testid": "bdw-message-text", text: f.text }),
      quickReplies(f.quick_replies), suggestionFooter(f));
  }

  // "Why am I seeing this" and, except on fraud alerts (a safety warning), a way to mute
  // the kind: the server then sends no more of it.
  function suggestionFooter(f) {
    var why = f.why ? el("details", { class: "bdw-why", "data-testid": "bdw-suggestion-why" },
      el("summary", { text: T.why }), el("div", { text: f.why })) : null;
    if (f.kind === "fraud_alert") return why;
    var mute = el("button", {
      class: "bdw-mute-btn", type: "button", "data-testid": "bdw-mute", "data-mute-kind": f.kind,
      text: saved.muted[f.kind] ? T.muted : T.mute, disabled: !!saved.muted[f.kind],
      onclick: function () {
        conn.feedback({ type: "mute", kind: f.kind });
        saved.muted[f.kind] = true;
        persist();
        var same = root.querySelectorAll('[data-testid=bdw-mute][data-mute-kind="' + f.kind + '"]');
        Array.prototype.forEach.call(same, function (b) { b.disabled = true; b.textContent = T.muted; });
      }
    });
    return el("div", { class: "bdw-card-foot" }, why, mute);
  }

  // --- opened pushes: a suggestion counts as seen once half of it (or half the transcript's
  // height, for a card taller than that) is in view in the open panel, the page visible.

  var openedWatch = { cards: new Map(), observer: null };

  function watchOpened(card, seq) {
    if (typeof seq !== "number") return;
    if (saved.opened[seq]) card.setAttribute("data-opened", "true");
    if (saved.opened[seq] || !("IntersectionObserver" in window)) return;
    if (!openedWatch.observer) {
      openedWatch.observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          var root = entry.rootBounds;
          var seen = entry.intersectionRatio >= 0.5 ||
            (root && entry.intersectionRect.height >= root.height / 2);
          if (entry.isIntersecting && seen) markOpened(Number(entry.target.getAttribute("data-seq")));
        });
      }, { root: ui.body, threshold: [0, 0.25, 0.5, 0.75, 1] });
    }
    openedWatch.cards.set(seq, card);
    openedWatch.observer.observe(card);
  }

  function markOpened(seq) {
    var card = openedWatch.cards.get(seq);
    if (!card || !view.open || document.visibilityState !== "visible") return;
    openedWatch.cards.delete(seq);
    openedWatch.observer.unobserve(card);
    card.setAttribute("data-opened", "true");
    if (saved.opened[seq]) return;
    saved.opened[seq] = true;
    persist();
    conn.feedback({ type: "opened", seq: seq });
  }

  /** The panel opened or the page came back: look again at the cards not yet seen (observing
   * anew reports where each stands now). */
  function recheckOpened() {
    if (!openedWatch.observer) return;
    openedWatch.cards.forEach(function (card) {
      openedWatch.observer.unobserve(card);
      openedWatch.observer.observe(card);
    });
  }

  function forgetOpened() {
    openedWatch.cards.forEach(function (card) { openedWatch.observer.unobserve(card); });
    openedWatch.cards.clear();
  }

  function ratingCard(f) {
    var card = el("div", {
      class: "bdw-card bdw-rating", "data-testid": "bdw-message", "data-kind": "rating", "data-seq": f.seq
    });
    var done = saved.rated[f.seq];
    if (done) {
      renderRated(card, done);
      return card;
    }
    var chosen = 0;
    var label = el("div", { class: "bdw-rating-label", "aria-live": "polite" });
    var stars = el("div", { class: "bdw-stars", role: "group", "aria-label": T.ratingTitle });
    var comment = el("textarea", {
      "data-testid": "bdw-rating-comment", placeholder: T.ratingComment, "aria-label": T.ratingComment,
      maxlength: "500"
    });
    var submit = el("button", {
      class: "bdw-primary-btn", type: "button", "data-testid": "bdw-rating-submit", text: T.ratingSubmit,
      disabled: true,
      onclick: function () {
        if (!chosen) return;
        var frame = { type: "feedback", score: chosen };
        var c = comment.value.trim();
        if (c) frame.comment = c.slice(0, 500);
        conn.feedback(frame);
        saved.rated[f.seq] = chosen;
        persist();
        renderRated(card, chosen);
      }
    });
    function light(n) {
      Array.prototype.forEach.call(stars.children, function (s, i) {
        s.setAttribute("data-lit", i < n ? "true" : "false");
      });
      label.textContent = n ? T.ratingLabels[n] : "";
    }
    for (var n = 1; n <= 5; n++) {
      (function (score) {
        stars.appendChild(el("button", {
          class: "bdw-star", type: "button", "data-testid": "bdw-star", "data-score": score,
          "aria-label": T.star(score), "aria-pressed": "false", html: ICONS.star,
          onmouseenter: function () { light(score); },
          onfocus: function () { light(score); },
          onclick: function () {
            chosen = score;
            Array.prototype.forEach.call(stars.children, function (s, i) {
              s.setAttribute("aria-pressed", i + 1 === score ? "true" : "false");
            });
            light(score);
            submit.disabled = false;
          }
        }));
      })(n);
    }
    stars.addEventListener("mouseleave", function () { light(chosen); });
    card.appendChild(el("div", { class: "bdw-card-title", text: T.ratingTitle }));
    card.appendChild(el("div", { class: "bdw-card-kind", text: T.ratingHint }));
    card.appendChild(stars);
    card.appendChild(label);
    card.appendChild(comment);
    card.appendChild(submit);
    return card;
  }

  function renderRated(card, score) {
    card.textContent = "";
    var stars = el("div", { class: "bdw-stars", "aria-label": T.star(score) });
    for (var i = 1; i <= 5; i++) {
      stars.appendChild(el("span", { class: "bdw-star", "data-lit": i <= score ? "true" : "false", html: ICONS.star }));
    }
    card.appendChild(el("div", { class: "bdw-card-title", "data-testid": "bdw-rating-thanks", text: T.ratingThanks }));
    card.appendChild(stars);
  }

  function clearNotice(code) {
    ui.transcript.querySelectorAll('[data-testid="bdw-notice"][data-code="' + code + '"]')
      .forEach(function (node) { node.remove(); });
  }

  function notice(code, text) {
    var last = ui.transcript.lastElementChild;
    if (last && last.getAttribute("data-testid") === "bdw-notice" && last.getAttribute("data-code") === code) {
      last.remove();
    }
    var node = el("div", { class: "bdw-notice", "data-testid": "bdw-notice", "data-code": code, role: "status" },
      icon("warn", "bdw-notice-icon"), el("span", { text: text }));
    append(node);
    setTimeout(function () { if (node.isConnected) node.remove(); }, 12000);
  }

  function setAgent(name) {
    view.agentName = name || null;
    setPerson(name ? "agent" : view.person === "agent" ? "bot" : view.person);
    ui.agentName.hidden = !name;
    ui.agentName.textContent = name || "";
    ui.header.setAttribute("data-agent", name ? "true" : "false");
    ui.title.textContent = name ? T.agentRole : displayTitle;
    ui.headerAvatar.innerHTML = name ? ICONS.headset : ICONS.bot;
  }

  /** Who the investor talks to: the person control shows while the bot does, the wait
   * while a person is awaited, nothing while a person is there. */
  function setPerson(person) {
    if (person !== "queued") view.queue = null;
    view.person = person;
    renderPerson();
  }

  function renderPerson() {
    var words = STRINGS[view.convLang] || T;
    ui.personBar.setAttribute("data-person", view.person);
    ui.personLabel.textContent = words.person;
    ui.person.setAttribute("lang", view.convLang === "zh" ? "zh-CN" : "en");
    ui.person.setAttribute("aria-label", words.personLabel);
    ui.person.disabled = view.personAsked;
    ui.wait.hidden = view.person !== "queued";
    var parts = [T.queued];
    if (view.queue && typeof view.queue.ahead === "number") parts.push(T.ahead(view.queue.ahead));
    if (view.queue && typeof view.queue.typical_wait_s === "number") parts.push(T.typicalWait(view.queue.typical_wait_s));
    var text = parts.join(lang === "zh" ? "，" : "; ");
    // A live region reads every change: only a real one.
    if (ui.waitText.textContent !== text) ui.waitText.textContent = text;
  }

  /** The same escalation as typing 转人工: the words go to the server as the investor's message. */
  function talkToPerson() {
    if (view.person !== "bot" || view.personAsked) return null;
    var id = send((STRINGS[view.convLang] || T).person);
    if (id !== null) {
      view.personAsked = true;
      renderPerson();
      setTimeout(function () { if (view.personAsked) { view.personAsked = false; renderPerson(); } }, 20000);
    }
    return id;
  }

  /** Read ``text`` out once for transcript entry ``seq``, while the investor has the chat open. */
  function announce(seq, text) {
    if (!view.open || !text || view.announced.has(seq)) return;
    view.announced.add(seq);
    var item = el("p", { "data-seq": seq, text: text });
    ui.announcer.appendChild(item);
    // Read once, then gone; additions only are announced, so the removal is silent.
    setTimeout(function () { item.remove(); }, 15000);
  }

  function showTyping(who, active) {
    clearTimeout(view.typingTimer);
    if (!active) { ui.typing.hidden = true; return; }
    var stick = nearBottom();
    ui.typing.hidden = false;
    ui.typing.setAttribute("data-who", who);
    ui.typingLabel.textContent = T.typing[who] || T.typing.bot;
    if (stick) scrollToBottom();
    view.typingTimer = setTimeout(function () { ui.typing.hidden = true; }, 15000);
  }

  /** Render one sequenced frame; ``live`` is false for frames restored from sessionStorage. */
  function renderSequenced(f, live) {
    switch (f.type) {
      case "investor_message": {
        var own = view.bubbles.get(f.client_msg_id);
        if (own) {
          own.querySelector("[data-testid=bdw-message-text]").textContent = f.text;
          own.setAttribute("data-seq", f.seq);
          setInvestorState(own, "sent");
          outbox.settle(f.client_msg_id);
        } else {
          var row = investorRow(f.client_msg_id, f.text, "sent", f.seq, f.at);
          view.bubbles.set(f.client_msg_id, row);
          append(row, { own: true });
        }
        break;
      }
      case "reply": {
        showTyping("bot", false);
        clearNotice("reply_delayed"); // the delayed answer is here
        if (f.lang === "zh" || f.lang === "en") view.convLang = f.lang;
        view.personAsked = false;
        if (f.action === "escalate" && view.person !== "agent") setPerson("queued");
        else renderPerson();
        var rowBot = botRow(f);
        var stream = f.stream_id ? view.streams.get(f.stream_id) : null;
        if (stream) {
          var stick = nearBottom();
          stream.row.replaceWith(rowBot);
          view.streams.delete(f.stream_id);
          if (stick) scrollToBottom();
        } else {
          append(rowBot, { live: live });
        }
        if (f.stream_id) view.finishedStreams.add(f.stream_id);
        if (live) announce(f.seq, T.said(T.assistant, displayText(f)));
        break;
      }
      case "agent_joined": {
        setAgent(f.agent_name);
        var joined = T.agentJoined(f.agent_name);
        append(systemRow(joined, f.seq, "agent"), { live: live });
        if (live) announce(f.seq, joined);
        break;
      }
      case "agent_left": {
        setAgent(null);
        var left = f.outcome === "resolved" ? T.agentLeftResolved(f.agent_name)
          : T.agentLeftHandedBack(f.agent_name);
        append(systemRow(left, f.seq), { live: live });
        if (live) announce(f.seq, left);
        break;
      }
      case "agent_message":
        showTyping("agent", false);
        if (!view.agentName) setAgent(f.agent_name);
        append(agentRow(f), { live: live });
        if (live) announce(f.seq, T.said(lang === "zh" ? zhAgent(f.agent_name) : f.agent_name, f.text));
        break;
      case "suggestion": {
        var card = suggestionCard(f);
        append(card, { live: live });
        watchOpened(card, f.seq);
        if (live) announce(f.seq, T.said(T.suggestionKinds[f.kind] || f.kind, f.title + "\n" + f.text));
        break;
      }
      case "rating_request":
        append(ratingCard(f), { live: live });
        if (live) announce(f.seq, T.ratingTitle);
        break;
      default:
        break;
    }
  }

  function renderChunk(f) {
    if (view.finishedStreams.has(f.stream_id)) return;
    showTyping("bot", false);
    var stream = view.streams.get(f.stream_id);
    if (!stream) {
      var textNode = messageText("");
      var row = el("div", {
        class: "bdw-row bdw-row-bot", "data-testid": "bdw-message", "data-kind": "bot",
        "data-streaming": "true", "data-stream-id": f.stream_id
      }, icon("bot", "bdw-avatar"), el("div", { class: "bdw-col" }, textNode));
      stream = { row: row, textNode: textNode, chunks: new Map() };
      view.streams.set(f.stream_id, stream);
      append(row, { live: true });
    }
    if (f.reset) stream.chunks.clear();
    if (f.delta) stream.chunks.set(f.index, f.delta);
    var keys = Array.from(stream.chunks.keys()).sort(function (a, b) { return a - b; });
    var stick = nearBottom();
    stream.textNode.textContent = keys.map(function (k) { return stream.chunks.get(k); }).join("");
    // A reset stream shows nothing until its whole reply (or a later one) replaces it.
    stream.row.hidden = stream.textNode.textContent === "";
    if (stick) scrollToBottom();
  }

  // The server could not store the reply these chunks were building (reply_delayed):
  // they are not the answer of record, which comes later under its own stream.
  function dropUnfinishedStreams() {
    view.streams.forEach(function (stream) { stream.row.remove(); });
    view.streams.clear();
  }

  function clearTranscript() {
    ui.transcript.textContent = "";
    view.bubbles.clear();
    view.streams.clear();
    view.finishedStreams.clear();
    view.announced.clear();
    ui.intro.hidden = false;
    setAgent(null);
    setPerson("bot");
  }

  // --- outgoing messages -----------------------------------------------------------------

  var outbox = {
    retryTimers: new Map(),

    add: function (text) {
      var id = newClientMsgId();
      saved.outbox.push({ id: id, text: text, attempts: 0 });
      persist();
      var row = investorRow(id, text, "pending", null, null);
      view.bubbles.set(id, row);
      append(row, { own: true });
      conn.sendMessage(id, text);
      return id;
    },

    find: function (id) {
      for (var i = 0; i < saved.outbox.length; i++) if (saved.outbox[i].id === id) return saved.outbox[i];
      return null;
    },

    settle: function (id) {
      var before = saved.outbox.length;
      saved.outbox = saved.outbox.filter(function (m) { return m.id !== id; });
      clearTimeout(this.retryTimers.get(id));
      this.retryTimers.delete(id);
      if (saved.outbox.length !== before) persist();
    },

    /** The server refused it without storing it: send again later, give up after a few tries. */
    later: function (id, delaySeconds) {
      var item = this.find(id);
      if (!item) return;
      item.attempts = (item.attempts || 0) + 1;
      persist();
      var row = view.bubbles.get(id);
      if (item.attempts > 5) {
        if (row) setInvestorState(row, "failed");
        return;
      }
      clearTimeout(this.retryTimers.get(id));
      var self = this;
      this.retryTimers.set(id, setTimeout(function () {
        self.retryTimers.delete(id);
        if (self.find(id)) conn.sendMessage(id, item.text);
      }, Math.max(0.5, delaySeconds || 2) * 1000));
    },

    retry: function (id) {
      var item = this.find(id);
      if (!item) return;
      item.attempts = 0;
      persist();
      var row = view.bubbles.get(id);
      if (row) setInvestorState(row, "pending");
      conn.sendMessage(id, item.text);
    },

    flush: function () {
      saved.outbox.forEach(function (m) {
        var row = view.bubbles.get(m.id);
        if (row && row.getAttribute("data-state") === "failed") return;
        conn.sendMessage(m.id, m.text);
      });
    }
  };

  function send(text) {
    var value = String(text === undefined || text === null ? "" : text).replace(/^\s+|\s+$/g, "");
    if (!value) return null;
    if (Array.from(value).length > MAX_TEXT) {
      notice("too_long", T.notices.too_long);
      return null;
    }
    if (conn.status === "idle") conn.start();
    return outbox.add(value);
  }

  // --- the connection --------------------------------------------------------------------

  var conn = {
    status: "idle",
    socket: null,
    generation: 0,
    welcomed: false,
    connecting: false,
    attempt: 0,
    token: null,
    tokenExpiresAt: 0,
    forceToken: false,
    reconnectTimer: null,
    heartbeatTimer: null,
    lastFrameAt: 0,
    heartbeatS: 25,
    replayLeft: 0,
    replayTimer: null,
    feedbackQueue: [],
    closeAction: null,
    resets: 0,
    authRetries: 0,
    lastError: null,
    typingSentAt: 0,
    typingActive: false,
    stopped: false,

    setStatus: function (status) {
      this.status = status;
      ui.status.setAttribute("data-status", status);
      ui.statusLabel.textContent = T.status[status] || status;
      ui.failed.hidden = status !== "failed";
    },

    start: function () {
      if (this.socket || this.connecting || this.stopped) return;
      this.connect();
    },

    restart: function () {
      this.stopped = false;
      this.attempt = 0;
      this.resets = 0;
      this.authRetries = 0;
      this.forceToken = true;
      this.drop(true);
    },

    obtainToken: async function (force) {
      var hook = window.BrokerDesk && window.BrokerDesk.getToken;
      if (typeof hook === "function") {
        var supplied = await hook.call(window.BrokerDesk, { investorId: investorId, force: !!force });
        if (typeof supplied !== "string" || !supplied) throw new Error("getToken returned no token");
        return supplied;
      }
      if (!force && this.token && Date.now() < this.tokenExpiresAt - 60000) return this.token;
      if (!tokenUrl) throw new Error("no token source: set data-token-url or window.BrokerDesk.getToken");
      var response = await fetch(tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ investor_id: investorId })
      });
      if (!response.ok) throw new Error("token request failed: HTTP " + response.status);
      var body = await response.json();
      if (!body || typeof body.token !== "string") throw new Error("token response without token");
      this.token = body.token;
      var expires = body.expires_at;
      var when = typeof expires === "number" ? (expires < 1e12 ? expires * 1000 : expires) : Date.parse(expires || "");
      this.tokenExpiresAt = isNaN(when) ? Date.now() + 50 * 60000 : when;
      return this.token;
    },

    connect: async function () {
      this.connecting = true;
      clearTimeout(this.reconnectTimer);
      this.setStatus(this.attempt > 0 ? "reconnecting" : "connecting");
      var generation = ++this.generation;
      var token;
      try {
        token = await this.obtainToken(this.forceToken);
        this.forceToken = false;
      } catch (e) {
        if (generation !== this.generation) return;
        this.connecting = false;
        this.lastError = { code: "token", message: String(e && e.message || e) };
        this.scheduleReconnect();
        return;
      }
      if (generation !== this.generation) return;
      var socket;
      try {
        socket = new WebSocket(wsUrl);
      } catch (e) {
        this.connecting = false;
        this.lastError = { code: "socket", message: String(e && e.message || e) };
        this.scheduleReconnect();
        return;
      }
      this.socket = socket;
      this.connecting = false;
      this.welcomed = false;
      this.closeAction = null;
      var self = this;
      socket.onopen = function () {
        if (generation !== self.generation) return;
        var hello = { type: "hello", v: PROTOCOL_VERSION, token: token, last_seq: saved.lastSeq, lang: lang };
        if (saved.conversationId) hello.conversation_id = saved.conversationId;
        else hello.last_seq = 0;
        self.raw(hello);
      };
      socket.onmessage = function (event) {
        if (generation !== self.generation) return;
        self.lastFrameAt = Date.now();
        var frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        if (frame && typeof frame.type === "string") self.handle(frame);
      };
      socket.onclose = function (event) {
        if (generation !== self.generation) return;
        self.onClosed(event.code);
      };
    },

    raw: function (frame) {
      if (!this.socket || this.socket.readyState !== 1) return false;
      this.socket.send(JSON.stringify(frame));
      return true;
    },

    sendMessage: function (id, text) {
      if (!this.welcomed) { this.start(); return; }
      this.raw({ type: "message", client_msg_id: id, text: text });
    },

    feedback: function (frame) {
      if (this.welcomed && this.raw(frame)) return;
      this.feedbackQueue.push(frame);
      this.start();
    },

    typing: function (active) {
      if (!this.welcomed) return;
      var now = Date.now();
      if (active && this.typingActive && now - this.typingSentAt < 3000) return;
      if (!active && !this.typingActive) return;
      this.typingActive = active;
      this.typingSentAt = now;
      this.raw({ type: "typing", active: active });
    },

    handle: function (f) {
      if (f.type === "welcome") return this.onWelcome(f);
      if (SEQUENCED[f.type]) return this.onSequenced(f);
      switch (f.type) {
        case "ack": {
          var row = view.bubbles.get(f.client_msg_id);
          if (row) {
            setInvestorState(row, "sent");
            row.setAttribute("data-seq", f.seq);
          }
          outbox.settle(f.client_msg_id);
          break;
        }
        case "reply_chunk":
          renderChunk(f);
          break;
        case "typing":
          showTyping(f.who, f.active !== false);
          break;
        case "queue_status":
          if (view.person === "agent") break; // taken meanwhile
          view.person = "queued";
          view.queue = f;
          renderPerson();
          break;
        case "error":
          this.onError(f);
          break;
        default:
          break; // pong, or a frame type from a newer server
      }
    },

    onWelcome: function (f) {
      var resumed = saved.conversationId;
      if (resumed && f.conversation_id !== resumed) {
        // The server gave us another conversation: what we showed belongs to the old one.
        var sentSeq = saved.lastSeq;
        this.startNewConversation(f.conversation_id);
        if (sentSeq > 0 && f.last_seq > 0) {
          this.drop(false, true);
          return;
        }
      }
      saved.conversationId = f.conversation_id;
      persist();
      this.welcomed = true;
      this.attempt = 0;
      this.resets = 0;
      this.authRetries = 0;
      this.lastError = null;
      this.stopped = false;
      this.setStatus("online");
      setAgent(f.agent_name || null);
      this.heartbeatS = Math.max(2, Number(f.heartbeat_s) || 25);
      this.startHeartbeat();
      var self = this;
      this.feedbackQueue.splice(0).forEach(function (frame) { self.raw(frame); });
      // Re-send un-acked messages once the replay is in (its echoes settle those already stored).
      this.replayLeft = Number(f.replaying) || 0;
      clearTimeout(this.replayTimer);
      if (this.replayLeft <= 0) outbox.flush();
      else this.replayTimer = setTimeout(function () { self.replayLeft = 0; outbox.flush(); }, 1500);
    },

    onSequenced: function (f) {
      if (typeof f.seq !== "number") return;
      // Already shown. Gaps are normal: staff-only notes take seqs the investor never sees.
      if (f.seq <= saved.lastSeq) return;
      saved.lastSeq = f.seq;
      saved.frames.push(f);
      persist();
      renderSequenced(f, true);
      if (this.replayLeft > 0) {
        this.replayLeft -= 1;
        if (this.replayLeft === 0) {
          clearTimeout(this.replayTimer);
          outbox.flush();
        }
      }
    },

    onError: function (f) {
      this.lastError = { code: f.code, message: f.message };
      var code = f.code;
      if (!f.fatal) {
        if (code === "rate_limited") {
          notice(code, T.notices.rate_limited);
          if (f.client_msg_id) outbox.later(f.client_msg_id, f.retry_after_s || 5);
        } else if (code === "storage_unavailable") {
          notice(code, T.notices.storage_unavailable);
          if (f.client_msg_id) outbox.later(f.client_msg_id, f.retry_after_s || 2);
        } else if (code === "reply_delayed") {
          dropUnfinishedStreams();
          notice(code, T.notices.reply_delayed); // stored and acked: nothing to re-send
        } else if (code === "conversation_closed") {
          notice(code, T.notices.conversation_closed);
          this.closeAction = "new_conversation";
          this.drop(false, true);
        } else if (f.client_msg_id) {
          // bad_frame and the like: this message will never be accepted as it is.
          var row = view.bubbles.get(f.client_msg_id);
          outbox.settle(f.client_msg_id);
          if (row) setInvestorState(row, "failed");
          notice(code, T.notices.generic);
        }
        return;
      }
      // Fatal: the server closes next; decide now what the close means.
      if (code === "token_expired" || code === "unauthorized") this.closeAction = "auth";
      else if ((code === "forbidden" || code === "not_found" || code === "out_of_order") && saved.conversationId) this.closeAction = "new_conversation";
      else if (code === "forbidden" || code === "unsupported_version") this.closeAction = "fail";
      else if (code === "conversation_closed") this.closeAction = "new_conversation";
      else if (code === "rate_limited" || code === "storage_unavailable") {
        notice(code, T.notices[code]);
        this.closeAction = { delay: f.retry_after_s };
      } else this.closeAction = "retry";
    },

    onClosed: function (code) {
      this.stopHeartbeat();
      this.socket = null;
      this.welcomed = false;
      this.connecting = false;
      showTyping("bot", false);
      var action = this.closeAction;
      this.closeAction = null;
      if (!action) {
        if (code === 4401) action = "auth";
        else if ((code === 4403 || code === 4404 || code === 4409) && saved.conversationId) action = "new_conversation";
        else if (code === 4403 || code === 4406) action = "fail";
      }
      if (action === "auth") {
        this.authRetries += 1;
        if (this.authRetries > 2) return this.fail(this.lastError && this.lastError.code);
        this.forceToken = true;
        return this.scheduleReconnect(0);
      }
      if (action === "new_conversation") {
        this.resets += 1;
        if (this.resets > 2) return this.fail();
        this.startNewConversation(null);
        return this.scheduleReconnect(0);
      }
      if (action === "fail") return this.fail(this.lastError ? this.lastError.code : code === 4403 ? "forbidden" : null);
      if (action && typeof action === "object" && action.delay) return this.scheduleReconnect(action.delay * 1000);
      this.scheduleReconnect();
    },

    startNewConversation: function (conversationId) {
      var hadTranscript = saved.frames.length > 0;
      saved.conversationId = conversationId;
      saved.lastSeq = 0;
      saved.frames = [];
      saved.thumbs = {};
      saved.rated = {};
      saved.opened = {};
      persist();
      forgetOpened();
      view.streams.clear();
      view.finishedStreams.clear();
      view.announced.clear();
      setAgent(null);
      setPerson("bot");
      if (hadTranscript) append(el("div", { class: "bdw-divider", text: T.newConversation }));
    },

    fail: function (code) {
      this.stopped = true;
      this.setStatus("failed");
      ui.failedText.textContent = (code && T.fatal[code]) || T.fatal.generic;
    },

    scheduleReconnect: function (delayMs) {
      if (this.stopped) return;
      clearTimeout(this.reconnectTimer);
      var delay = delayMs;
      if (delay === undefined || delay === null) {
        // Exponential back-off with "equal jitter": half fixed, half random, capped at 30 s.
        var cap = Math.min(30000, 500 * Math.pow(2, this.attempt));
        delay = cap / 2 + Math.random() * cap / 2;
      }
      this.attempt += 1;
      this.setStatus(navigator.onLine === false ? "offline" : "reconnecting");
      var self = this;
      this.reconnectTimer = setTimeout(function () { self.connect(); }, delay);
    },

    /** Drop the socket as a network failure would; ``now`` reconnects without back-off. */
    drop: function (now, quiet) {
      var socket = this.socket;
      this.generation += 1;
      this.socket = null;
      this.connecting = false;
      this.welcomed = false;
      this.stopHeartbeat();
      if (socket) { try { socket.close(); } catch (e) { /* already closing */ } }
      if (quiet) {
        var action = this.closeAction;
        this.closeAction = null;
        if (action === "new_conversation") this.startNewConversation(null);
        return this.scheduleReconnect(0);
      }
      this.scheduleReconnect(now ? 0 : undefined);
    },

    startHeartbeat: function () {
      this.stopHeartbeat();
      var self = this;
      var every = this.heartbeatS * 1000 * 0.9;
      this.heartbeatTimer = setInterval(function () {
        if (Date.now() - self.lastFrameAt > self.heartbeatS * 2000 + 5000) {
          self.drop(false); // nothing heard for two heartbeats: the socket is dead
          return;
        }
        self.raw({ type: "ping", nonce: String(Date.now()) });
      }, every);
    },

    stopHeartbeat: function () {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
  };

  // --- panel -----------------------------------------------------------------------------

  function open() {
    if (view.open) return;
    view.open = true;
    ui.panel.setAttribute("data-open", "true");
    ui.panel.removeAttribute("aria-hidden");
    ui.launcher.setAttribute("aria-expanded", "true");
    view.unread = 0;
    renderUnread();
    conn.start();
    fitToViewport();
    scrollToBottom();
    recheckOpened();
    // On a touch screen the keyboard would cover half the chat before the investor reads it:
    // the dialog takes the focus there, the input everywhere else.
    var touch = window.matchMedia("(pointer: coarse)").matches;
    setTimeout(function () { if (view.open) (touch ? ui.panel : ui.input).focus(); }, 60);
  }

  function close() {
    if (!view.open) return;
    view.open = false;
    ui.panel.setAttribute("data-open", "false");
    ui.panel.setAttribute("aria-hidden", "true");
    ui.launcher.setAttribute("aria-expanded", "false");
    renderUnread();
    fitToViewport();
  }

  function toggle() { if (view.open) close(); else open(); }

  function restore() {
    saved.frames.forEach(function (f) { renderSequenced(f, false); });
    saved.outbox.forEach(function (m) {
      var row = investorRow(m.id, m.text, m.attempts > 5 ? "failed" : "pending", null, null);
      view.bubbles.set(m.id, row);
      append(row, { own: true });
    });
  }

  function mount() {
    buildUi();
    document.body.appendChild(host);
    restore();
    renderPerson();
    renderUnread();
    window.addEventListener("online", function () {
      if (!conn.socket && !conn.connecting && !conn.stopped && conn.status !== "idle") {
        conn.attempt = 0;
        conn.scheduleReconnect(0);
      }
    });
    window.addEventListener("offline", function () {
      if (!conn.welcomed) conn.setStatus("offline");
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") recheckOpened();
      if (document.visibilityState === "visible" && !conn.socket && !conn.connecting &&
          !conn.stopped && conn.status !== "idle") {
        conn.scheduleReconnect(0);
      }
    });
    if (data.open === "true") open();
    if (connectOn === "load" || saved.outbox.length) conn.start();
  }

  window.BrokerDeskWidget = {
    open: open,
    close: close,
    toggle: toggle,
    send: send,
    talkToPerson: talkToPerson,
    get state() {
      return {
        open: view.open,
        status: conn.status,
        connected: conn.welcomed,
        conversationId: saved.conversationId,
        lastSeq: saved.lastSeq,
        agentName: view.agentName,
        pending: saved.outbox.map(function (m) { return m.id; }),
        unread: view.unread,
        lang: lang,
        error: conn.lastError,
        person: view.person,
        queue: view.queue && { ahead: view.queue.ahead, typicalWaitS: view.queue.typical_wait_s },
        elderly: elderly
      };
    },
    get root() { return root; },
    drop: function () { conn.drop(false); },
    reconnect: function () { conn.restart(); },
    reset: function () {
      saved = emptySaved();
      persist();
      forgetOpened();
      clearTranscript();
      conn.restart();
    }
  };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
