/*!
 * BrokerDesk agent console. Plain JavaScript, no dependencies, no build step.
 * Talks to the console REST API (/api/console/...) with the bd_staff cookie and listens on
 * /ws/console for {type: "queue"}, {type: "event"} and {type: "investor_typing"} frames.
 *
 * DOM hooks for browser tests are listed at the top of console.html (data-testid attributes:
 * login-username, login-password, login-submit, login-error, queue-item[data-conversation-id],
 * claim, claim-error, reply-input, reply-send, note-toggle, canned-select, resolve, handback,
 * transcript-entry[data-kind][data-seq], profile, ticket, ticket-history-entry, logout, ...).
 * window.BrokerDeskConsole.state (getter) gives {me, lang, socket, selected, queue, seqs} for tests.
 */
(function () {
  "use strict";

  var STRINGS = {
    zh: {
      brand: "坐席工作台", brandSub: "示例证券 · 在线客服", loginTitle: "坐席登录",
      username: "用户名", password: "密码", signIn: "登录", signingIn: "正在登录…", signOut: "退出登录",
      connecting: "连接中…", online: "实时连接", reconnecting: "连接中断，正在重连…",
      queue: "会话队列", mine: "我的会话", waiting: "等待接入", others: "其他坐席处理中",
      emptyMine: "暂无进行中的会话", emptyWaiting: "当前没有等待接入的会话",
      pickConversation: "从左侧队列选择一个会话", handoverSummary: "转人工摘要",
      investorTyping: "投资者正在输入…", queuedHint: "该会话正在等待人工接入", claim: "接入会话",
      claiming: "接入中…", alreadyClaimed: "已被其他坐席接入", canned: "常用回复…",
      internalNote: "内部备注", handback: "转回智能助手", resolve: "结束会话", send: "发送",
      addNote: "添加备注", noteHint: "备注仅坐席可见，不会发送给投资者",
      replyPlaceholder: "输入回复，Enter 发送，Shift+Enter 换行",
      notePlaceholder: "输入内部备注（投资者不可见）",
      profile: "投资者信息", tickets: "工单", noProfile: "未选择会话", noTickets: "暂无工单",
      profileMissing: "未找到该投资者的资料",
      heldBy: function (n) { return "该会话由 " + n + " 处理中"; },
      closed: "会话已结束", botHandling: "智能助手服务中，投资者未请求人工",
      waitingFor: "等待", handling: "处理中", unknownInvestor: "投资者",
      investor: "投资者", bot: "智能助手", agent: "坐席", note: "内部备注", system: "系统",
      sources: "引用来源",
      status: { bot: "智能助手", queued: "等待接入", agent: "人工处理中", resolved: "已结束" },
      reasons: {}, // hand-over reasons' labels: from the server when signed in
      priority: { urgent: "紧急", high: "高", medium: "中", low: "低" },
      agentJoined: function (n) { return n + " 已接入会话"; },
      agentLeftResolved: function (n) { return n + " 已结束会话"; },
      agentLeftHandedBack: function (n) { return n + " 已将会话转回智能助手"; },
      ratingRequested: "已邀请投资者评价",
      suggestionKinds: { ipo_reminder: "新股申购提醒", holding_notice: "持仓提醒", fraud_alert: "防诈骗提醒", campaign: "活动通知" },
      risk: { C1: "保守型", C2: "谨慎型", C3: "稳健型", C4: "积极型", C5: "激进型" },
      riskUnknown: "未评估",
      permissions: { chinext: "创业板", star: "科创板", margin: "融资融券", hk_connect: "港股通", bse: "北交所", options: "股票期权" },
      permissionsTitle: "已开通权限", noPermissions: "未开通特殊权限", holdings: "持仓", noHoldings: "无持仓", quantity: "股",
      riskLevel: "风险等级", phone: "手机", name: "姓名", investorId: "客户号",
      ticketStatus: { open: "待处理", in_progress: "处理中", resolved: "已解决" },
      ticketKind: { escalation: "转人工", complaint: "投诉" },
      slaDue: "SLA 截止", slaLeft: function (m) { return "剩余 " + m; }, slaOver: function (m) { return "已超时 " + m; },
      history: "处理记录",
      ticketActions: { opened: "创建工单", claimed: "接入", replied: "回复", handed_back: "转回智能助手", resolved: "解决", note: "备注", escalated: "转人工", reopened: "重新打开", reply_blocked: "回复被合规拦截" },
      errors: {
        invalid_credentials: "用户名或密码错误", rate_limited: "尝试次数过多，请稍后再试",
        not_holder: "您已不再持有该会话", session_expired: "登录已过期，请重新登录",
        network: "网络异常，请稍后重试", generic: "操作失败，请稍后重试", empty: "请输入用户名和密码",
        compliance_blocked: "合规拦截，未发送：回复含承诺收益或荐股表述，请修改后再发送",
        invalid_window: "统计区间无效", nothing_to_draft: "该会话中没有坐席回复可用，请自行填写答案",
        drafts_sheet_mismatch: "草稿表的列与 FAQ 格式不符，请联系管理员"
      },
      violationKinds: {
        return_promise: "承诺收益", security_recommendation: "推荐证券", personalised_advice: "个性化投资建议"
      },
      minutes: function (m) { return m + " 分钟"; },
      hoursMinutes: function (h, m) { return h + " 小时 " + m + " 分"; },
      langToggle: "English",
      languageTag: { zh: "中文", en: "English" },
      offline: "未连接",
      navConversations: "会话", navQuality: "服务质量", qualityTitle: "服务质量",
      window24h: "近 24 小时", window7d: "近 7 天", window30d: "近 30 天", refresh: "刷新",
      qualityLoading: "正在统计…", qualityWindow: "统计区间",
      escalationReasons: "转人工原因", topIntents: "热门意图",
      gapsTitle: "待补充到知识库的问题", gapsHint: "未答好或低置信度的问题，按语义聚类，问得最多的在前",
      colQuestion: "问题（代表问法与示例）", colAsked: "次数", colWhy: "原因", colIntent: "意图", colAction: "操作",
      metrics: {
        containment: "自助解决率", escalation: "转人工率", csat: "满意度 (CSAT)",
        thumbs: "回答评价", attention: "未答好占比", volume: "会话量", pushes: "主动提醒"
      },
      pushesValue: function (n) { return "送达 " + n + " 条"; },
      pushesDetail: function (opened, followed, quick, muted) {
        return "已查看 " + opened + " · 后续对话 " + followed + " · 快捷回复 " + quick + " · 屏蔽 " + muted + " 次";
      },
      containedOf: function (n, total) { return n + " / " + total + " 个会话无需人工"; },
      escalatedCount: function (n) { return n + " 个会话转人工"; },
      csatDetail: function (n, share) { return n + " 份评分 · 4–5 分占 " + share; },
      thumbsValue: function (up, down) { return "赞 " + up + " · 踩 " + down; },
      thumbsDetail: function (share) { return "好评率 " + share; },
      attentionDetail: function (n, total) { return total + " 轮中 " + n + " 轮未答好"; },
      volumeValue: function (c, t) { return c + " 个会话 · " + t + " 轮"; },
      volumeDetail: function (engaged, p50, p95) { return engaged + " 个有提问 · 响应 p50 " + p50 + " / p95 " + p95; },
      noData: "窗口内暂无数据", noGaps: "窗口内没有未答好的问题",
      staleTitle: "待复核的知识条目", colEntryId: "编号", colEntry: "问题与依据", colDue: "复核截止", colOverdue: "逾期天数",
      staleSummary: function (n, total, days) { return n + " / " + total + " 条 FAQ 已过复核日期（未填复核日期的按更新时间后 " + days + " 天计）"; },
      noStale: "所有 FAQ 条目都在复核期内", staleBasis: "依据：", staleDefaultAge: "默认期限",
      attentionReasons: {
        out_of_scope: "超出范围", low_confidence_handoff: "低置信转人工", clarify: "需要澄清",
        no_source: "无知识来源", uncertain: "置信度低"
      },
      examples: "示例", agentAnswered: "坐席已回复", draftFaq: "起草 FAQ", drafted: "已起草",
      draftTitle: "起草 FAQ 条目", draftQuestion: "问题", draftAnswer: "答案", draftOwn: "自行填写答案",
      draftCategory: "分类", draftSimilar: "相似问法", draftSave: "保存草稿", cancel: "取消",
      draftHint: "草稿追加到草稿表，审核后用 assistant ingest 导入知识库。",
      draftFromAgent: function (question, id) { return "坐席对“" + question + "”的回复 · 会话 " + id; },
      draftOwnPlaceholder: "输入标准答案", draftCategoryPlaceholder: "默认：识别出的意图",
      draftSaved: function (sheet) { return "已加入 " + sheet + "，审核后导入知识库"; },
      draftNeedsAnswer: "请选择坐席回复或填写答案"
    },
    en: {
      brand: "Agent Console", brandSub: "Sample Securities · Support", loginTitle: "Agent sign-in",
      username: "Username", password: "Password", signIn: "Sign in", signingIn: "Signing in…", signOut: "Sign out",
      connecting: "Connecting…", online: "Live", reconnecting: "Disconnected, reconnecting…",
      queue: "Queue", mine: "My conversations", waiting: "Waiting", others: "With other agents",
      emptyMine: "No active conversations", emptyWaiting: "Nobody is waiting",
      pickConversation: "Pick a conversation from the queue", handoverSummary: "Hand-over summary",
      investorTyping: "Investor is typing…", queuedHint: "This conversation is waiting for an agent", claim: "Claim",
      claiming: "Claiming…", alreadyClaimed: "Already claimed by another agent", canned: "Canned replies…",
      internalNote: "Internal note", handback: "Hand back to assistant", resolve: "Resolve", send: "Send",
      addNote: "Add note", noteHint: "Notes are visible to staff only, never to the investor",
      replyPlaceholder: "Type a reply (Enter to send, Shift+Enter for a new line)",
      notePlaceholder: "Internal note (not shown to the investor)",
      profile: "Investor", tickets: "Tickets", noProfile: "No conversation selected", noTickets: "No tickets",
      profileMissing: "No profile found for this investor",
      heldBy: function (n) { return "Handled by " + n; },
      closed: "This conversation is closed", botHandling: "The assistant is handling this conversation",
      waitingFor: "Waiting", handling: "Handling", unknownInvestor: "Investor",
      investor: "Investor", bot: "Assistant", agent: "Agent", note: "Internal note", system: "System",
      sources: "Sources",
      status: { bot: "Assistant", queued: "Waiting", agent: "With agent", resolved: "Resolved" },
      reasons: {}, // hand-over reasons' labels: from the server when signed in
      priority: { urgent: "Urgent", high: "High", medium: "Medium", low: "Low" },
      agentJoined: function (n) { return n + " joined"; },
      agentLeftResolved: function (n) { return n + " resolved the conversation"; },
      agentLeftHandedBack: function (n) { return n + " handed back to the assistant"; },
      ratingRequested: "Rating requested from the investor",
      suggestionKinds: { ipo_reminder: "IPO reminder", holding_notice: "Holding notice", fraud_alert: "Anti-fraud alert", campaign: "Announcement" },
      risk: { C1: "Conservative", C2: "Cautious", C3: "Balanced", C4: "Growth", C5: "Aggressive" },
      riskUnknown: "Not assessed",
      permissions: { chinext: "ChiNext", star: "STAR Market", margin: "Margin trading", hk_connect: "Stock Connect", bse: "BSE", options: "Options" },
      permissionsTitle: "Permissions", noPermissions: "No special permissions", holdings: "Holdings", noHoldings: "No holdings", quantity: "sh",
      riskLevel: "Risk level", phone: "Phone", name: "Name", investorId: "Investor ID",
      ticketStatus: { open: "Open", in_progress: "In progress", resolved: "Resolved" },
      ticketKind: { escalation: "Escalation", complaint: "Complaint" },
      slaDue: "SLA due", slaLeft: function (m) { return m + " left"; }, slaOver: function (m) { return "overdue by " + m; },
      history: "History",
      ticketActions: { opened: "Opened", claimed: "Claimed", replied: "Replied", handed_back: "Handed back", resolved: "Resolved", note: "Note", escalated: "Escalated", reopened: "Reopened", reply_blocked: "Reply blocked by compliance" },
      errors: {
        invalid_credentials: "Wrong username or password", rate_limited: "Too many attempts, try again later",
        not_holder: "You no longer hold this conversation", session_expired: "Your session expired, please sign in again",
        network: "Network problem, please try again", generic: "That didn't work, please try again", empty: "Enter your username and password",
        compliance_blocked: "Not sent: the reply promises returns or recommends a trade; please rephrase it",
        invalid_window: "That window is not valid", nothing_to_draft: "No agent reply to take here; write the answer instead",
        drafts_sheet_mismatch: "The drafts sheet has other columns; ask an administrator"
      },
      violationKinds: {
        return_promise: "promises returns", security_recommendation: "recommends a security", personalised_advice: "personalised advice"
      },
      minutes: function (m) { return m + " min"; },
      hoursMinutes: function (h, m) { return h + " h " + m + " min"; },
      langToggle: "中文",
      languageTag: { zh: "ZH", en: "EN" },
      offline: "Offline",
      navConversations: "Conversations", navQuality: "Quality", qualityTitle: "Service quality",
      window24h: "24 hours", window7d: "7 days", window30d: "30 days", refresh: "Refresh",
      qualityLoading: "Counting…", qualityWindow: "Window",
      escalationReasons: "Escalation reasons", topIntents: "Top intents",
      gapsTitle: "Questions to add to the knowledge base", gapsHint: "Not answered well or with low confidence, clustered by meaning, most asked first",
      colQuestion: "Question (representative and examples)", colAsked: "Asked", colWhy: "Why", colIntent: "Intent", colAction: "Action",
      metrics: {
        containment: "Containment", escalation: "Escalation rate", csat: "Satisfaction (CSAT)",
        thumbs: "Reply ratings", attention: "Not answered well", volume: "Volume", pushes: "Proactive pushes"
      },
      pushesValue: function (n) { return n + " delivered"; },
      pushesDetail: function (opened, followed, quick, muted) {
        return opened + " opened · " + followed + " followed by a conversation · " + quick + " quick replies · " +
          muted + " muted";
      },
      containedOf: function (n, total) { return n + " of " + total + " conversations without a person"; },
      escalatedCount: function (n) { return n + " handed to a person"; },
      csatDetail: function (n, share) { return n + " scores · " + share + " gave 4–5"; },
      thumbsValue: function (up, down) { return up + " up · " + down + " down"; },
      thumbsDetail: function (share) { return share + " thumbs up"; },
      attentionDetail: function (n, total) { return n + " of " + total + " turns"; },
      volumeValue: function (c, t) { return c + " conv. · " + t + " turns"; },
      volumeDetail: function (engaged, p50, p95) { return engaged + " with a question · p50 " + p50 + " / p95 " + p95; },
      noData: "Nothing in this window", noGaps: "No unanswered questions in this window",
      staleTitle: "Knowledge due for review", colEntryId: "Id", colEntry: "Question and basis", colDue: "Review by", colOverdue: "Days over",
      staleSummary: function (n, total, days) { return n + " of " + total + " FAQ entries are past their review date (without one: " + days + " days after the last update)"; },
      noStale: "Every FAQ entry is within its review date", staleBasis: "Basis: ", staleDefaultAge: "default age",
      attentionReasons: {
        out_of_scope: "Out of scope", low_confidence_handoff: "Low-confidence handoff", clarify: "Clarified",
        no_source: "No source", uncertain: "Low confidence"
      },
      examples: "Examples", agentAnswered: "Agent replied", draftFaq: "Draft FAQ", drafted: "Drafted",
      draftTitle: "Draft an FAQ entry", draftQuestion: "Question", draftAnswer: "Answer", draftOwn: "Write the answer myself",
      draftCategory: "Category", draftSimilar: "Similar questions", draftSave: "Save draft", cancel: "Cancel",
      draftHint: "Drafts are appended to the drafts sheet; review them, then load them with assistant ingest.",
      draftFromAgent: function (question, id) { return "Agent's reply to “" + question + "” · conversation " + id; },
      draftOwnPlaceholder: "Type the answer", draftCategoryPlaceholder: "Default: the recognised intent",
      draftSaved: function (sheet) { return "Added to " + sheet + "; review it before ingesting"; },
      draftNeedsAnswer: "Pick an agent reply or write an answer"
    }
  };

  var S = {
    lang: "zh",
    me: null,
    csrf: null,
    queue: [],
    queueAt: 0,
    selected: null,
    detail: null,
    seqs: new Set(),
    unread: new Set(),
    canned: [],
    socket: null,
    socketGeneration: 0,
    socketAttempt: 0,
    reconnectTimer: null,
    pingTimer: null,
    typingTimer: null,
    refreshTimer: null,
    claimError: null,
    loadToken: 0,
    view: "conversations",
    quality: { window: "7d", report: null, token: 0, drafted: {}, error: null },
    draft: null
  };
  try { S.lang = localStorage.getItem("brokerdesk.console.lang") === "en" ? "en" : "zh"; } catch (e) { /* private mode */ }

  function T() { return STRINGS[S.lang]; }
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), value);
        // Through the CSSOM: the page's CSP refuses inline style attributes.
        else if (key === "style") node.style.cssText = value;
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

  function pad(n) { return ("0" + n).slice(-2); }

  function formatTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var now = new Date();
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (d.toDateString() === now.toDateString()) return hm;
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + hm;
  }

  function formatClock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
  }

  function formatSpan(ms) {
    var minutes = Math.max(0, Math.round(Math.abs(ms) / 60000));
    if (minutes < 60) return T().minutes(minutes);
    return T().hoursMinutes(Math.floor(minutes / 60), minutes % 60);
  }

  function priorityTier(p) {
    p = Number(p) || 0;
    if (p >= 85) return "urgent";
    if (p >= 70) return "high";
    if (p >= 50) return "medium";
    return "low";
  }

  function priorityBadge(p, testid) {
    var tier = priorityTier(p);
    return el("span", {
      class: "prio prio-" + tier, "data-testid": testid || null, title: "P" + (Number(p) || 0)
    }, T().priority[tier] + " " + (Number(p) || 0));
  }

  // The hand-over reasons are declared on the server (intents/handover.py; their labels in
  // assistant/escalation.py), which sends the labels with the signed-in agent (sign-in, /me).
  function useReasonLabels(labels) {
    Object.keys(STRINGS).forEach(function (lang) {
      if (labels && labels[lang]) STRINGS[lang].reasons = labels[lang];
    });
  }

  function reasonLabel(reason) {
    if (!reason) return "";
    return T().reasons[reason] || reason;
  }

  /** A canned reply's field in ``language``: ``text``/``title`` hold Chinese, ``*_en`` English
   * (when the API passes them on); a {zh, en} object is accepted as well. */
  function localized(item, field, language) {
    var value = item[field];
    if (language === "en" && item[field + "_en"]) return String(item[field + "_en"]);
    if (value && typeof value === "object") return value[language] || value.zh || value.en || "";
    return value === null || value === undefined ? "" : String(value);
  }

  /** The most useful one-liner of a hand-over summary (its first question, else the latest line). */
  function summaryExcerpt(item) {
    var summary = item.summary || "";
    var lines = summary.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    var first = null;
    var recent = null;
    lines.forEach(function (line) {
      if (line.indexOf("first question:") === 0) first = line.slice(15).trim();
      else if (line.indexOf("recent:") === 0) recent = line.slice(7).trim();
    });
    var plain = lines.filter(function (l) { return !/^[a-z ]+:/.test(l); }).join(" ");
    return item.last_message || first || recent || plain || summary;
  }

  // --- REST ------------------------------------------------------------------------------

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  async function api(method, path, body) {
    var response;
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    // Every change carries the session's CSRF token (from the sign-in or /me answer).
    if (method !== "GET" && S.csrf) headers["X-CSRF-Token"] = S.csrf;
    try {
      response = await fetch(path, {
        method: method,
        credentials: "same-origin",
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body)
      });
    } catch (e) {
      throw new ApiError(0, "network", String(e && e.message || e));
    }
    var payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    if (response.ok && payload && payload.csrf_token) S.csrf = payload.csrf_token;
    if (!response.ok) {
      var err = payload && payload.error;
      var detail = payload && payload.detail;
      var code = (err && err.code) || (detail && typeof detail === "object" && detail.code) || null;
      var message = (err && err.message) || (typeof detail === "string" ? detail : "") || response.statusText;
      if (response.status === 401 && path !== "/api/console/login" && S.me) sessionExpired();
      var failure = new ApiError(response.status, code, message);
      failure.details = (err && Array.isArray(err.details)) ? err.details : [];
      throw failure;
    }
    return payload;
  }

  function errorText(e) {
    var errors = T().errors;
    if (!e) return errors.generic;
    if (e.code === "compliance_blocked") {
      var kinds = T().violationKinds;
      var found = (e.details || []).map(function (d) {
        return (kinds[d.kind] || d.kind) + "：“" + d.evidence + "”";
      });
      return errors.compliance_blocked + (found.length ? "（" + found.join("；") + "）" : "");
    }
    if (e.code && errors[e.code]) return errors[e.code];
    if (e.status === 0) return errors.network;
    if (e.status === 401) return errors.invalid_credentials;
    if (e.status === 429) return errors.rate_limited;
    return e.message || errors.generic;
  }

  function toast(text) {
    var node = $("toast");
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { node.hidden = true; }, 4000);
  }

  // --- language --------------------------------------------------------------------------

  function applyLang() {
    var t = T();
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.title = t.brand + " · BrokerDesk";
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (node) {
      var value = t[node.getAttribute("data-i18n")];
      if (typeof value === "string") node.textContent = value;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=toggle-lang]"), function (node) {
      node.textContent = t.langToggle;
    });
    $("reply-input").placeholder = $("note-toggle").checked ? t.notePlaceholder : t.replyPlaceholder;
    $("canned-select").setAttribute("aria-label", t.canned);
    $("quality-windows").setAttribute("aria-label", t.qualityWindow);
    setSocketStatus($("console-status").getAttribute("data-status"));
    renderQueue();
    renderCanned();
    if (S.detail) renderDetail();
    if (S.quality.report || S.quality.error) renderQuality();
  }

  function toggleLang() {
    S.lang = S.lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("brokerdesk.console.lang", S.lang); } catch (e) { /* private mode */ }
    applyLang();
  }

  // --- sign in / out ---------------------------------------------------------------------

  function showLogin(message) {
    $("app-view").hidden = true;
    $("login-view").hidden = false;
    var error = $("login-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("login-password").value = "";
    setTimeout(function () { $("login-username").focus(); }, 0);
  }

  async function showApp(staff) {
    S.me = staff;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    var name = staff.display_name || staff.username || "";
    $("agent-name").textContent = name;
    $("agent-avatar").textContent = Array.from(name)[0] || "?";
    connectSocket();
    loadCanned();
    if (location.hash === "#quality") showView("quality");
    try {
      var queue = await api("GET", "/api/console/queue");
      if (!S.queueAt && queue && queue.items) onQueue(queue.items);
    } catch (e) { /* the socket's first frame brings the queue too */ }
  }

  async function onLoginSubmit(event) {
    event.preventDefault();
    var username = $("login-username").value.trim();
    var password = $("login-password").value;
    var error = $("login-error");
    if (!username || !password) {
      error.textContent = T().errors.empty;
      error.hidden = false;
      return;
    }
    var button = $("login-submit");
    button.disabled = true;
    button.textContent = T().signingIn;
    try {
      var result = await api("POST", "/api/console/login", { username: username, password: password });
      error.hidden = true;
      useReasonLabels(result && result.reason_labels);
      await showApp(result.staff || result);
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
      $("login-password").select();
    } finally {
      button.disabled = false;
      button.textContent = T().signIn;
    }
  }

  function resetSession() {
    S.me = null;
    S.csrf = null;
    S.queue = [];
    S.queueAt = 0;
    S.selected = null;
    S.detail = null;
    S.seqs = new Set();
    S.unread = new Set();
    S.claimError = null;
    closeSocket();
    setSocketStatus("offline");
    renderQueue();
    $("conversation-body").hidden = true;
    $("conversation-empty").hidden = false;
    $("profile").textContent = "";
    $("tickets").textContent = "";
    closeDraft();
    S.quality = { window: S.quality.window, report: null, token: S.quality.token + 1, drafted: {}, error: null };
    $("quality-view").setAttribute("data-state", "idle");
    showView("conversations");
  }

  async function logout() {
    try { await api("POST", "/api/console/logout"); } catch (e) { /* signed out either way */ }
    resetSession();
    showLogin(null);
  }

  function sessionExpired() {
    if (!S.me) return;
    resetSession();
    showLogin(T().errors.session_expired);
  }

  // --- the console websocket ---------------------------------------------------------------

  function setSocketStatus(status) {
    var node = $("console-status");
    node.setAttribute("data-status", status || "connecting");
    node.querySelector(".conn-label").textContent = T()[status] || T().connecting;
  }

  function connectSocket() {
    closeSocket();
    var generation = ++S.socketGeneration;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/console";
    setSocketStatus(S.socketAttempt ? "reconnecting" : "connecting");
    var socket;
    try { socket = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    S.socket = socket;
    socket.onopen = function () {
      if (generation !== S.socketGeneration) return;
      S.socketAttempt = 0;
      setSocketStatus("online");
      clearInterval(S.pingTimer);
      S.pingTimer = setInterval(function () {
        if (socket.readyState === 1) socket.send(JSON.stringify({ type: "ping" }));
      }, 25000);
      if (S.selected) refreshDetail(); // catch up on anything missed while disconnected
    };
    socket.onmessage = function (event) {
      if (generation !== S.socketGeneration) return;
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (!frame) return;
      if (frame.type === "queue") onQueue(frame.items || []);
      else if (frame.type === "event") onEvent(frame.conversation_id, frame.event);
      else if (frame.type === "investor_typing") onInvestorTyping(frame.conversation_id);
    };
    socket.onclose = function (event) {
      if (generation !== S.socketGeneration) return;
      S.socket = null;
      clearInterval(S.pingTimer);
      if (event.code === 4401 || event.code === 1008) { sessionExpired(); return; }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (!S.me) return;
    clearTimeout(S.reconnectTimer);
    var cap = Math.min(30000, 1000 * Math.pow(2, S.socketAttempt));
    S.socketAttempt += 1;
    setSocketStatus("reconnecting");
    S.reconnectTimer = setTimeout(async function () {
      try { await api("GET", "/api/console/me"); } catch (e) {
        if (e.status === 401) return; // sessionExpired() already ran
      }
      if (S.me) connectSocket();
    }, cap / 2 + Math.random() * cap / 2);
  }

  function closeSocket() {
    S.socketGeneration += 1;
    clearTimeout(S.reconnectTimer);
    clearInterval(S.pingTimer);
    if (S.socket) { try { S.socket.close(); } catch (e) { /* already closed */ } }
    S.socket = null;
  }

  // --- queue -----------------------------------------------------------------------------

  function onQueue(items) {
    var previous = S.queue.find(function (i) { return i.conversation_id === S.selected; });
    S.queue = items;
    S.queueAt = Date.now();
    renderQueue();
    if (!S.selected) return;
    var current = items.find(function (i) { return i.conversation_id === S.selected; });
    if (!previous && !current) return;
    var moved = !previous || !current || previous.status !== current.status ||
      previous.agent_id !== current.agent_id;
    // Events reach us live only for conversations we hold; refresh the others when they change.
    var spoke = previous && current && previous.last_message !== current.last_message;
    if (moved || (spoke && !isMine(current))) scheduleRefresh();
  }

  function isMine(item) {
    return !!(S.me && item.agent_id && item.agent_id === S.me.id);
  }

  function renderQueue() {
    var mine = [], waiting = [], others = [];
    S.queue.forEach(function (item) {
      if (isMine(item)) mine.push(item);
      else if (item.status === "queued" || !item.agent_id) waiting.push(item);
      else others.push(item);
    });
    var byUrgency = function (a, b) {
      return (Number(b.priority) || 0) - (Number(a.priority) || 0) || (Number(b.waiting_s) || 0) - (Number(a.waiting_s) || 0);
    };
    waiting.sort(byUrgency);
    mine.sort(byUrgency);
    fillList($("queue-mine"), mine, T().emptyMine);
    fillList($("queue-waiting"), waiting, T().emptyWaiting);
    fillList($("queue-others"), others, "");
    $("mine-count").textContent = mine.length;
    $("waiting-count").textContent = waiting.length;
    $("others-count").textContent = others.length;
    $("others-group").hidden = others.length === 0;
    document.title = (waiting.length ? "(" + waiting.length + ") " : "") + T().brand + " · BrokerDesk";
    tick();
  }

  function fillList(list, items, emptyText) {
    list.textContent = "";
    if (!items.length) {
      if (emptyText) list.appendChild(el("div", { class: "queue-empty", role: "listitem", text: emptyText }));
      return;
    }
    items.forEach(function (item) {
      list.appendChild(el("div", { class: "queue-entry", role: "listitem" }, queueItem(item)));
    });
  }

  function queueItem(item) {
    var since = S.queueAt - (Number(item.waiting_s) || 0) * 1000;
    if (!item.waiting_s && item.escalated_at) since = Date.parse(item.escalated_at) || S.queueAt;
    var mine = isMine(item);
    var top = el("div", { class: "qi-top" },
      priorityBadge(item.priority, "queue-priority"),
      item.reason ? el("span", { class: "qi-reason reason-" + item.reason, "data-testid": "queue-reason", text: reasonLabel(item.reason) }) : null,
      el("span", { class: "qi-wait", "data-testid": "queue-wait", "data-since": since, title: T().waitingFor }));
    var who = el("div", { class: "qi-investor" },
      el("span", { "data-testid": "queue-investor", text: item.investor_id || T().unknownInvestor }),
      item.language ? el("span", { class: "qi-lang", text: T().languageTag[item.language === "en" ? "en" : "zh"] }) : null,
      !mine && item.agent_name ? el("span", { class: "qi-agent", text: T().heldBy(item.agent_name) }) : null,
      S.unread.has(item.conversation_id) ? el("span", { class: "qi-unread", "data-testid": "queue-unread", "aria-label": "new" }) : null);
    return el("button", {
      type: "button", class: "queue-item" + (item.status === "queued" ? " is-waiting" : ""),
      "data-testid": "queue-item", "data-conversation-id": item.conversation_id,
      "data-status": item.status, "data-mine": mine ? "true" : "false", "data-priority": item.priority,
      "data-reason": item.reason || null, "aria-current": item.conversation_id === S.selected ? "true" : null,
      onclick: function () { selectConversation(item.conversation_id); }
    }, top, who, el("div", { class: "qi-summary", "data-testid": "queue-summary", text: summaryExcerpt(item) }));
  }

  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll(".qi-wait[data-since]"), function (node) {
      node.textContent = formatClock((now - Number(node.getAttribute("data-since"))) / 1000);
      var minutes = (now - Number(node.getAttribute("data-since"))) / 60000;
      node.setAttribute("data-level", minutes >= 10 ? "late" : minutes >= 3 ? "warn" : "ok");
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-testid=ticket-sla][data-due]"), function (node) {
      var left = Number(node.getAttribute("data-due")) - now;
      var resolved = node.getAttribute("data-resolved") === "true";
      node.setAttribute("data-overdue", !resolved && left < 0 ? "true" : "false");
      var span = node.querySelector(".sla-left");
      if (span) span.textContent = resolved ? "" : left >= 0 ? T().slaLeft(formatSpan(left)) : T().slaOver(formatSpan(left));
    });
  }

  // --- one conversation ------------------------------------------------------------------

  function selectConversation(id) {
    if (S.selected !== id) {
      S.selected = id;
      S.detail = null;
      S.seqs = new Set();
      $("reply-input").value = "";
      $("note-toggle").checked = false;
      onNoteToggle();
      S.claimError = null;
      $("action-error").hidden = true;
      $("investor-typing").hidden = true;
    }
    S.unread.delete(id);
    renderQueue();
    loadDetail(id);
  }

  async function loadDetail(id) {
    var token = ++S.loadToken;
    try {
      var detail = await api("GET", "/api/console/conversations/" + encodeURIComponent(id));
      if (token !== S.loadToken || S.selected !== id) return;
      S.detail = detail;
      S.seqs = new Set((detail.events || []).map(function (e) { return e.seq; }));
      renderDetail();
      if (detail.tickets) loadTicketHistories(detail.tickets, id);
    } catch (e) {
      if (token !== S.loadToken) return;
      toast(errorText(e));
    }
  }

  function refreshDetail() { if (S.selected) loadDetail(S.selected); }

  function scheduleRefresh() {
    clearTimeout(S.refreshTimer);
    S.refreshTimer = setTimeout(refreshDetail, 250);
  }

  function renderClaimError() {
    var node = $("claim-error");
    var error = S.claimError;
    node.hidden = !error;
    node.textContent = !error ? "" : error.key ? T()[error.key] : error.text;
  }

  function heldState(conversation) {
    if (conversation.status !== "agent" || !conversation.agent_id) return "none";
    return S.me && conversation.agent_id === S.me.id ? "mine" : "other";
  }

  function queueEntry(id) {
    return S.queue.find(function (i) { return i.conversation_id === id; }) || null;
  }

  function renderDetail() {
    var detail = S.detail;
    if (!detail) return;
    var conversation = detail.conversation || {};
    var t = T();
    $("conversation-empty").hidden = true;
    $("conversation-body").hidden = false;
    var pane = $("conversation");
    var held = heldState(conversation);
    pane.setAttribute("data-conversation-id", conversation.id || S.selected);
    pane.setAttribute("data-status", conversation.status || "");
    pane.setAttribute("data-held", held);

    var profile = detail.profile;
    $("conv-investor").textContent = (profile && profile.name ? profile.name + " · " : "") + (conversation.investor_id || "");
    var status = $("conversation-status");
    status.textContent = t.status[conversation.status] || conversation.status || "";
    status.setAttribute("data-status", conversation.status || "");
    var reason = conversation.escalation_reason || conversation.reason;
    $("conv-reason").textContent = reasonLabel(reason);
    $("conv-reason").hidden = !reason;
    var prioNode = $("conv-priority");
    if (conversation.priority) {
      prioNode.replaceWith(Object.assign(priorityBadge(conversation.priority), { id: "conv-priority" }));
    } else {
      prioNode.textContent = "";
      prioNode.className = "prio";
    }
    $("conversation-summary").hidden = !conversation.summary;
    $("conv-summary-text").textContent = conversation.summary || "";

    var transcript = $("transcript");
    transcript.textContent = "";
    (detail.events || []).slice().sort(function (a, b) { return a.seq - b.seq; })
      .forEach(function (event) { transcript.appendChild(entry(event)); });
    transcript.scrollTop = transcript.scrollHeight;

    $("claim-bar").hidden = conversation.status !== "queued";
    renderClaimError();
    var other = $("held-by-other");
    other.hidden = held !== "other";
    var item = queueEntry(conversation.id);
    other.textContent = held === "other" ? t.heldBy((item && item.agent_name) || conversation.agent_name || conversation.agent_id) : "";
    var closed = $("conversation-closed");
    closed.hidden = !(conversation.status === "resolved" || conversation.status === "bot");
    closed.textContent = conversation.status === "resolved" ? t.closed : conversation.status === "bot" ? t.botHandling : "";
    var composer = $("composer");
    var wasHidden = composer.hidden;
    composer.hidden = held !== "mine";
    if (wasHidden && !composer.hidden) setTimeout(function () { $("reply-input").focus(); }, 0);

    renderProfile(profile, conversation);
    renderTickets(detail.tickets || []);
  }

  function speakerMeta(label, at, extra) {
    return el("div", { class: "entry-meta" }, el("b", { text: label }), extra || null,
      el("time", { text: formatTime(at) }));
  }

  function entry(event) {
    var t = T();
    var p = event.payload || {};
    var at = event.created_at || p.at;
    var base = { "data-testid": "transcript-entry", "data-kind": null, "data-seq": event.seq };
    var node;
    switch (event.kind) {
      case "investor_message":
        base["data-kind"] = "investor";
        node = el("div", Object.assign({ class: "entry entry-investor" }, base),
          speakerMeta(t.investor, at), el("div", { class: "entry-bubble", "data-testid": "entry-text", text: p.text || "" }));
        break;
      case "reply": {
        base["data-kind"] = "bot";
        var tags = el("span", { class: "entry-tags" },
          p.intent ? el("span", { class: "tag", text: p.intent }) : null,
          p.action && p.action !== "answer" ? el("span", { class: "tag tag-" + p.action, text: p.action }) : null,
          (p.flags || []).indexOf("fraud_warning") >= 0 ? el("span", { class: "tag tag-warn", text: "fraud_warning" }) : null);
        node = el("div", Object.assign({ class: "entry entry-bot" }, base),
          speakerMeta(t.bot, at, tags),
          el("div", { class: "entry-bubble", "data-testid": "entry-text", text: p.text || "" }),
          sourcesList(p.sources));
        break;
      }
      case "agent_message":
        base["data-kind"] = "agent";
        node = el("div", Object.assign({ class: "entry entry-agent" }, base),
          speakerMeta(p.agent_name || t.agent, at),
          el("div", { class: "entry-bubble", "data-testid": "entry-text", text: p.text || "" }));
        break;
      case "note":
        base["data-kind"] = "note";
        node = el("div", Object.assign({ class: "entry entry-note" }, base),
          speakerMeta(t.note + " · " + (p.author || p.agent_name || p.staff_name || p.username || t.agent), at),
          el("div", { class: "entry-bubble", "data-testid": "entry-text", text: p.text || "" }));
        break;
      case "suggestion":
        base["data-kind"] = "suggestion";
        node = el("div", Object.assign({ class: "entry entry-suggestion entry-suggestion-" + (p.kind || "") }, base),
          speakerMeta((t.suggestionKinds[p.kind] || p.kind || "") + (p.title ? " · " + p.title : ""), at),
          el("div", { class: "entry-bubble", "data-testid": "entry-text", text: p.text || "" }));
        break;
      default: {
        base["data-kind"] = "system";
        var text;
        if (event.kind === "agent_joined") text = t.agentJoined(p.agent_name || t.agent);
        else if (event.kind === "agent_left") text = p.outcome === "handed_back" ? t.agentLeftHandedBack(p.agent_name || t.agent) : t.agentLeftResolved(p.agent_name || t.agent);
        else if (event.kind === "rating_request") text = t.ratingRequested;
        else text = event.kind;
        node = el("div", Object.assign({ class: "entry entry-system" }, base),
          el("span", { "data-testid": "entry-text", text: text }), el("time", { text: formatTime(at) }));
      }
    }
    return node;
  }

  function sourcesList(sources) {
    if (!sources || !sources.length) return null;
    var list = el("ol", { class: "entry-sources", "aria-label": T().sources });
    sources.forEach(function (s) {
      list.appendChild(el("li", { "data-testid": "transcript-source", "data-source-id": s.id, title: s.source || "" },
        el("span", { class: "src-title", text: s.title || s.id }),
        s.source ? el("span", { class: "src-path", text: s.source }) : null,
        typeof s.score === "number" ? el("span", { class: "src-score", text: s.score.toFixed(2) }) : null));
    });
    return list;
  }

  function appendEvent(event) {
    if (!S.detail || S.seqs.has(event.seq)) return;
    S.seqs.add(event.seq);
    announceEvent(event);
    S.detail.events = (S.detail.events || []).concat([event]);
    var transcript = $("transcript");
    var stick = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 120;
    var node = entry(event);
    var after = null;
    Array.prototype.forEach.call(transcript.children, function (child) {
      if (!after && Number(child.getAttribute("data-seq")) > event.seq) after = child;
    });
    transcript.insertBefore(node, after);
    if (stick) transcript.scrollTop = transcript.scrollHeight;
  }

  /** Read out, once, what arrives live in the open conversation from someone else: the
   * transcript itself is not a live region (it is rebuilt whole when a conversation opens). */
  function announceEvent(event) {
    var t = T();
    var p = event.payload || {};
    var text = null;
    if (event.kind === "investor_message") text = t.investor + "：" + (p.text || "");
    else if (event.kind === "reply") text = t.bot + "：" + (p.text || "");
    else if (event.kind === "agent_left") text = p.outcome === "handed_back" ? t.agentLeftHandedBack(p.agent_name || t.agent) : t.agentLeftResolved(p.agent_name || t.agent);
    else if (event.kind === "rating_request") text = t.ratingRequested;
    if (!text) return;
    var node = el("p", { "data-seq": event.seq, text: text });
    $("console-announcer").appendChild(node);
    setTimeout(function () { node.remove(); }, 15000);
  }

  function onEvent(conversationId, event) {
    if (!event) return;
    if (conversationId !== S.selected) {
      if (event.kind === "investor_message") {
        S.unread.add(conversationId);
        renderQueue();
      }
      return;
    }
    if (event.kind === "investor_message") $("investor-typing").hidden = true;
    appendEvent(event);
    // Status changes (claim, resolve, hand back) change the panes around the transcript.
    if (event.kind === "agent_joined" || event.kind === "agent_left") scheduleRefresh();
  }

  function onInvestorTyping(conversationId) {
    if (conversationId !== S.selected) return;
    var node = $("investor-typing");
    node.hidden = false;
    clearTimeout(S.typingTimer);
    S.typingTimer = setTimeout(function () { node.hidden = true; }, 4000);
  }

  async function claim() {
    var id = S.selected;
    var button = $("claim");
    S.claimError = null;
    $("claim-error").hidden = true;
    button.disabled = true;
    button.textContent = T().claiming;
    try {
      await api("POST", "/api/console/conversations/" + encodeURIComponent(id) + "/claim");
    } catch (e) {
      S.claimError = e.status === 409 || e.code === "already_claimed" ? { key: "alreadyClaimed" } : { text: errorText(e) };
      renderClaimError();
    } finally {
      button.disabled = false;
      button.textContent = T().claim;
    }
    if (S.selected === id) await loadDetail(id);
  }

  async function sendReply(event) {
    if (event) event.preventDefault();
    var input = $("reply-input");
    var text = input.value.trim();
    if (!text || !S.selected) return;
    var isNote = $("note-toggle").checked;
    var id = S.selected;
    var button = $("reply-send");
    var error = $("action-error");
    button.disabled = true;
    error.hidden = true;
    try {
      var path = "/api/console/conversations/" + encodeURIComponent(id) + (isNote ? "/notes" : "/messages");
      var result = await api("POST", path, { text: text });
      // Only what was sent is cleared: the agent may have typed the next reply meanwhile.
      if (input.value.trim() === text) input.value = "";
      if (S.selected === id && result && typeof result.seq === "number") {
        var name = S.me.display_name || S.me.username;
        appendEvent({
          seq: result.seq, kind: isNote ? "note" : "agent_message",
          payload: isNote ? { text: text, author: name } : { agent_name: name, text: text },
          created_at: new Date().toISOString()
        });
      }
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
      if (e.status === 403) scheduleRefresh();
    } finally {
      button.disabled = false;
      input.focus();
    }
  }

  async function finish(action) {
    var id = S.selected;
    if (!id) return;
    var error = $("action-error");
    error.hidden = true;
    var buttons = [$("resolve"), $("handback")];
    buttons.forEach(function (b) { b.disabled = true; });
    try {
      await api("POST", "/api/console/conversations/" + encodeURIComponent(id) + "/" + action);
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    } finally {
      buttons.forEach(function (b) { b.disabled = false; });
    }
    if (S.selected === id) await loadDetail(id);
  }

  function onNoteToggle() {
    var note = $("note-toggle").checked;
    $("composer").setAttribute("data-note", note ? "true" : "false");
    $("note-hint").hidden = !note;
    $("reply-input").placeholder = note ? T().notePlaceholder : T().replyPlaceholder;
    $("reply-send").textContent = note ? T().addNote : T().send;
  }

  // --- canned replies --------------------------------------------------------------------

  async function loadCanned() {
    try {
      var result = await api("GET", "/api/console/canned");
      S.canned = (result && result.items) || [];
    } catch (e) {
      S.canned = [];
    }
    renderCanned();
  }

  function conversationLang() {
    var c = S.detail && S.detail.conversation;
    return c && c.language === "en" ? "en" : "zh";
  }

  function renderCanned() {
    var select = $("canned-select");
    while (select.options.length > 1) select.remove(1);
    S.canned.forEach(function (item) {
      select.appendChild(el("option", { value: item.id, text: localized(item, "title", S.lang) }));
    });
  }

  function onCannedChosen() {
    var select = $("canned-select");
    var item = S.canned.find(function (c) { return String(c.id) === select.value; });
    select.value = "";
    if (!item) return;
    var input = $("reply-input");
    var text = localized(item, "text", conversationLang());
    input.value = input.value.trim() ? input.value.replace(/\s+$/, "") + "\n" + text : text;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  // --- profile and tickets ---------------------------------------------------------------

  function row(label, value) {
    return el("div", { class: "kv" }, el("span", { class: "k", text: label }), el("span", { class: "v" }, value));
  }

  function renderProfile(profile, conversation) {
    var t = T();
    var box = $("profile");
    box.textContent = "";
    if (!profile) {
      box.appendChild(row(t.investorId, conversation.investor_id || ""));
      box.appendChild(el("p", { class: "muted", text: t.profileMissing }));
      return;
    }
    var name = profile.name || "";
    box.appendChild(el("div", { class: "profile-head" },
      el("span", { class: "profile-avatar", "aria-hidden": "true", text: Array.from(name)[0] || "?" }),
      el("div", {}, el("div", { class: "profile-name", "data-testid": "profile-name", text: name || profile.investor_id }),
        el("div", { class: "muted small", text: profile.investor_id }))));
    var risk = profile.risk_level;
    box.appendChild(row(t.riskLevel, el("span", {
      class: "risk risk-" + (risk || "none"), "data-testid": "profile-risk"
    }, risk ? risk + " " + (t.risk[risk] || "") : t.riskUnknown)));
    if (profile.phone_masked) box.appendChild(row(t.phone, profile.phone_masked));
    var perms = el("div", { class: "chips" });
    (profile.permissions || []).forEach(function (p) {
      perms.appendChild(el("span", { class: "chip chip-perm", "data-testid": "profile-permission", "data-permission": p, text: t.permissions[p] || p }));
    });
    if (!(profile.permissions || []).length) perms.appendChild(el("span", { class: "muted", text: t.noPermissions }));
    box.appendChild(el("div", { class: "sub-head", text: t.permissionsTitle }));
    box.appendChild(perms);
    box.appendChild(el("div", { class: "sub-head", text: t.holdings }));
    var holdings = profile.holdings || [];
    if (!holdings.length) {
      box.appendChild(el("p", { class: "muted", text: t.noHoldings }));
    } else {
      var list = el("ul", { class: "holdings" });
      holdings.forEach(function (h) {
        list.appendChild(el("li", { "data-testid": "profile-holding" },
          el("span", { class: "h-name", text: (h.name || "") }),
          el("span", { class: "h-code", text: h.code || "" }),
          el("span", { class: "h-qty", text: (h.quantity !== undefined ? Number(h.quantity).toLocaleString() + " " + t.quantity : "") })));
      });
      box.appendChild(list);
    }
  }

  function renderTickets(tickets) {
    var t = T();
    var box = $("tickets");
    box.textContent = "";
    if (!tickets.length) {
      box.appendChild(el("p", { class: "muted", text: t.noTickets }));
      return;
    }
    tickets.forEach(function (ticket) {
      var due = Date.parse(ticket.sla_due_at || "");
      var history = el("ol", { class: "history", "data-ticket-history": ticket.id });
      fillHistory(history, ticket.history || []);
      box.appendChild(el("article", {
        class: "ticket", "data-testid": "ticket", "data-ticket-id": ticket.id, "data-status": ticket.status
      },
        el("div", { class: "ticket-top" },
          el("span", { class: "ticket-id", text: "#" + ticket.id }),
          el("span", { class: "chip ticket-status ts-" + ticket.status, "data-testid": "ticket-status", text: t.ticketStatus[ticket.status] || ticket.status }),
          priorityBadge(ticket.priority)),
        el("div", { class: "ticket-kind" },
          (t.ticketKind[ticket.kind] || ticket.kind || "") + (ticket.category ? " · " + ticket.category : "") +
          (ticket.reason ? " · " + reasonLabel(ticket.reason) : "")),
        isNaN(due) ? null : el("div", {
          class: "sla", "data-testid": "ticket-sla", "data-due": due,
          "data-resolved": ticket.status === "resolved" ? "true" : "false", "data-overdue": "false"
        }, el("span", { text: t.slaDue + " " + formatTime(ticket.sla_due_at) }), el("span", { class: "sla-left" })),
        ticket.summary ? el("details", { class: "ticket-summary" },
          el("summary", { text: summaryExcerpt({ summary: ticket.summary }) }), el("pre", { text: ticket.summary })) : null,
        el("div", { class: "sub-head", text: t.history }),
        history));
    });
    tick();
  }

  function fillHistory(list, history) {
    var t = T();
    list.textContent = "";
    history.forEach(function (h) {
      list.appendChild(el("li", { "data-testid": "ticket-history-entry", "data-action": h.action },
        el("time", { text: formatTime(h.created_at) }),
        el("span", { class: "h-actor", text: h.actor || "" }),
        el("span", { class: "h-action", text: t.ticketActions[h.action] || h.action || "" }),
        h.detail ? el("span", { class: "h-detail", text: h.detail }) : null));
    });
  }

  async function loadTicketHistories(tickets, conversationId) {
    tickets.forEach(async function (ticket) {
      if (ticket.history) return;
      try {
        var result = await api("GET", "/api/console/tickets/" + encodeURIComponent(ticket.id));
        var history = (result && (result.history || (result.ticket && result.ticket.history))) || [];
        ticket.history = history;
        if (S.selected !== conversationId) return;
        var list = document.querySelector("[data-ticket-history='" + CSS.escape(String(ticket.id)) + "']");
        if (list) fillHistory(list, history);
      } catch (e) { /* the ticket itself is still shown */ }
    });
  }

  // --- quality (production report and FAQ drafts) ------------------------------------------

  function showView(view) {
    S.view = view === "quality" ? "quality" : "conversations";
    var quality = S.view === "quality";
    $("conversations-view").hidden = quality;
    $("quality-view").hidden = !quality;
    $("nav-conversations").setAttribute("aria-selected", quality ? "false" : "true");
    $("nav-quality").setAttribute("aria-selected", quality ? "true" : "false");
    if (history.replaceState) history.replaceState(null, "", quality ? "#quality" : location.pathname + location.search);
    if (quality && !S.quality.report && $("quality-view").getAttribute("data-state") !== "loading") loadQuality();
  }

  async function loadQuality() {
    var view = $("quality-view");
    var token = ++S.quality.token;
    var windowName = S.quality.window;
    view.setAttribute("data-state", "loading");
    view.setAttribute("data-window", windowName);
    $("quality-range").textContent = T().qualityLoading;
    $("quality-refresh").disabled = true;
    try {
      var report = await api("GET", "/api/console/quality?since=" + encodeURIComponent(windowName) + "&top=10");
      if (token !== S.quality.token) return;
      S.quality.report = report;
      S.quality.drafted = {};
      S.quality.error = null;
      renderQuality();
      view.setAttribute("data-state", "ready");
    } catch (e) {
      if (token !== S.quality.token) return;
      S.quality.error = e;
      renderQuality();
      view.setAttribute("data-state", "error");
    } finally {
      if (token === S.quality.token) $("quality-refresh").disabled = false;
    }
  }

  function chooseWindow(windowName) {
    S.quality.window = windowName;
    Array.prototype.forEach.call(document.querySelectorAll("[data-testid=quality-window]"), function (node) {
      node.setAttribute("aria-pressed", node.getAttribute("data-window") === windowName ? "true" : "false");
    });
    loadQuality();
  }

  function percent(value) {
    return typeof value === "number" ? (value * 100).toFixed(1) + "%" : "–";
  }

  function millis(value) {
    return typeof value === "number" ? Math.round(value) + " ms" : "–";
  }

  function formatStamp(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function renderQuality() {
    var t = T();
    var error = $("quality-error");
    error.hidden = !S.quality.error;
    error.textContent = S.quality.error ? errorText(S.quality.error) : "";
    var report = S.quality.report;
    if (!report) {
      $("quality-range").textContent = "";
      return;
    }
    $("quality-range").textContent = formatStamp(report.since) + " – " + formatStamp(report.until);
    renderMetrics(report);
    renderBars($("quality-reasons"), "quality-reason", report.escalation_reasons, reasonLabel);
    renderBars($("quality-intents"), "quality-intent", report.top_intents, null);
    renderClusters(report.clusters || []);
    renderStale(report.stale_knowledge);
  }

  function renderStale(freshness) {
    var t = T();
    var card = $("quality-stale");
    var body = $("quality-stale-entries");
    body.textContent = "";
    if (!freshness) {
      card.hidden = true;
      return;
    }
    card.hidden = false;
    card.setAttribute("data-count", String(freshness.stale_count));
    $("quality-stale-summary").textContent = t.staleSummary(freshness.stale_count, freshness.entries, freshness.max_age_days);
    if (!freshness.stale.length) {
      body.appendChild(el("tr", {}, el("td", { colspan: "4", class: "muted small empty-cell", text: t.noStale })));
      return;
    }
    freshness.stale.forEach(function (entry) {
      var byDefault = !entry.review_by;
      body.appendChild(el("tr", {
        "data-testid": "stale-entry", "data-entry-id": entry.id, "data-due": entry.due,
        "data-default-age": byDefault ? "true" : null
      },
        el("td", { class: "muted small", text: entry.id }),
        el("td", {},
          el("div", { "data-testid": "stale-title", text: entry.title }),
          entry.basis ? el("div", { class: "muted small", text: t.staleBasis + entry.basis }) : null),
        el("td", {},
          el("span", { text: entry.due }),
          byDefault ? " " : null,
          byDefault ? el("span", { class: "tag", text: t.staleDefaultAge }) : null),
        el("td", { class: "num", text: String(entry.days_overdue) })));
    });
  }

  function metricCard(metric, value, display, detail) {
    return el("article", {
      class: "metric metric-" + metric, "data-testid": "quality-metric", "data-metric": metric,
      "data-value": typeof value === "number" ? String(value) : ""
    },
      el("span", { class: "metric-label", text: T().metrics[metric] }),
      el("strong", { class: "metric-value", "data-testid": "quality-metric-value", text: display }),
      el("span", { class: "metric-detail", "data-testid": "quality-metric-detail", text: detail }));
  }

  function renderMetrics(report) {
    var t = T();
    var box = $("quality-metrics");
    var csat = report.csat || {};
    var thumbs = report.thumbs || {};
    box.textContent = "";
    box.appendChild(metricCard("containment", report.containment_rate, percent(report.containment_rate),
      t.containedOf(report.contained, report.engaged_conversations)));
    box.appendChild(metricCard("escalation", report.escalation_rate, percent(report.escalation_rate),
      t.escalatedCount(report.escalated)));
    box.appendChild(metricCard("csat", csat.mean_score,
      typeof csat.mean_score === "number" ? csat.mean_score.toFixed(2) + " / 5" : "–",
      t.csatDetail(csat.responses || 0, percent(csat.satisfied_share))));
    box.appendChild(metricCard("thumbs", thumbs.up_share, t.thumbsValue(thumbs.up || 0, thumbs.down || 0),
      t.thumbsDetail(percent(thumbs.up_share))));
    box.appendChild(metricCard("attention", report.attention_rate, percent(report.attention_rate),
      t.attentionDetail(report.attention_turns, report.turns)));
    box.appendChild(metricCard("volume", report.conversations, t.volumeValue(report.conversations, report.turns),
      t.volumeDetail(report.engaged_conversations, millis(report.latency_p50_ms), millis(report.latency_p95_ms))));
    var pushes = report.pushes;
    if (pushes) {
      box.appendChild(metricCard("pushes", pushes.delivered, t.pushesValue(pushes.delivered),
        t.pushesDetail(percent(pushes.opened_share), percent(pushes.followed_share),
          percent(pushes.quick_reply_share), pushes.muted)));
    }
  }

  function renderBars(box, testid, rows, label) {
    box.textContent = "";
    if (!rows || !rows.length) {
      box.appendChild(el("p", { class: "muted small", text: T().noData }));
      return;
    }
    rows.forEach(function (row) {
      var name = label ? label(row.name) : row.name;
      box.appendChild(el("div", { class: "bar-row", "data-testid": testid, "data-name": row.name, "data-count": row.count },
        el("span", { class: "bar-name", title: row.name, text: name }),
        el("span", { class: "bar-track", "aria-hidden": "true" },
          el("span", { class: "bar-fill", style: "width:" + Math.max(2, Math.round(row.share * 100)) + "%" })),
        el("span", { class: "bar-count", text: row.count }),
        el("span", { class: "bar-share", text: percent(row.share) })));
    });
  }

  function clusterKey(cluster) {
    var first = (cluster.examples || [])[0] || {};
    return first.conversation_id + "#" + first.seq;
  }

  function renderClusters(clusters) {
    var t = T();
    var body = $("quality-clusters");
    body.textContent = "";
    if (!clusters.length) {
      body.appendChild(el("tr", {}, el("td", { colspan: "6", class: "muted small empty-cell", text: t.noGaps })));
      return;
    }
    clusters.forEach(function (cluster, index) {
      var drafted = !!S.quality.drafted[clusterKey(cluster)];
      var examples = el("ul", { class: "cluster-examples" });
      (cluster.examples || []).forEach(function (example) {
        examples.appendChild(el("li", {},
          el("span", { text: example.question }),
          el("span", { class: "muted small", text: " · " + example.conversation_id.slice(0, 8) + "#" + example.seq }),
          example.agent_reply ? el("span", { class: "tag tag-agent", text: t.agentAnswered }) : null));
      });
      var reasons = el("span", { class: "entry-tags" });
      Object.keys(cluster.reasons || {}).forEach(function (reason) {
        reasons.appendChild(el("span", { class: "tag tag-" + reason, text: (t.attentionReasons[reason] || reason) + " " + cluster.reasons[reason] }));
      });
      body.appendChild(el("tr", {
        "data-testid": "quality-cluster", "data-count": cluster.count, "data-drafted": drafted ? "true" : null
      },
        el("td", { class: "num muted", text: String(index + 1) }),
        el("td", { class: "cluster-main" },
          el("div", { class: "cluster-question", "data-testid": "cluster-question", text: cluster.representative }),
          (cluster.examples || []).length > 1 || (cluster.examples[0] && cluster.examples[0].agent_reply)
            ? el("details", { class: "cluster-more" }, el("summary", { text: t.examples + " (" + cluster.examples.length + ")" }), examples)
            : null),
        el("td", { class: "num cluster-count", "data-testid": "cluster-count", text: String(cluster.count) }),
        el("td", {}, reasons),
        el("td", {}, cluster.top_intent ? el("span", { class: "tag", text: cluster.top_intent }) : el("span", { class: "muted", text: "–" })),
        el("td", { class: "cluster-action" }, drafted
          ? el("span", { class: "chip chip-done", "data-testid": "cluster-drafted", text: t.drafted })
          : !mayDraft() ? null : el("button", {
            class: "btn btn-ghost btn-sm", type: "button", "data-testid": "cluster-draft",
            onclick: function () { openDraft(index); }
          }, t.draftFaq))));
    });
  }

  // FAQ drafts are for supervisors and administrators; agents see the report only.
  function mayDraft() {
    return !!S.me && (S.me.role === "supervisor" || S.me.role === "admin");
  }

  function openDraft(index) {
    var report = S.quality.report;
    var cluster = report && report.clusters[index];
    if (!cluster) return;
    var t = T();
    // One option per distinct reply: an agent's one answer often follows several rephrasings.
    var offered = {};
    var replies = (cluster.examples || []).filter(function (e) {
      var key = e.conversation_id + "\n" + e.agent_reply;
      if (!e.agent_reply || offered[key]) return false;
      offered[key] = true;
      return true;
    });
    S.draft = { index: index, cluster: cluster };
    var options = $("draft-options");
    options.textContent = "";
    replies.forEach(function (example, n) {
      options.appendChild(el("label", { class: "draft-option" },
        el("input", {
          type: "radio", name: "draft-source", value: "agent", "data-testid": "draft-reply-option",
          "data-conversation-id": example.conversation_id, "data-seq": example.seq, checked: n === 0,
          onchange: renderDraftSource
        }),
        el("span", { class: "draft-option-body" },
          el("span", { class: "muted small", text: t.draftFromAgent(example.question, example.conversation_id.slice(0, 8)) }),
          el("span", { class: "draft-reply", text: example.agent_reply }))));
    });
    $("draft-own-option").checked = !replies.length;
    $("draft-answer").value = "";
    $("draft-answer").placeholder = t.draftOwnPlaceholder;
    $("draft-category").value = cluster.top_intent || "";
    $("draft-category").placeholder = t.draftCategoryPlaceholder;
    $("draft-error").hidden = true;
    $("draft-submit").disabled = false;
    renderDraftSource();
    $("draft-dialog").showModal();
  }

  /** The example the draft is taken from: the one whose agent reply is picked, else the
   * cluster's most typical question. */
  function draftExample() {
    var cluster = S.draft.cluster;
    var picked = document.querySelector("#draft-options input:checked");
    if (picked) {
      var seq = Number(picked.getAttribute("data-seq"));
      var id = picked.getAttribute("data-conversation-id");
      return cluster.examples.find(function (e) { return e.conversation_id === id && e.seq === seq; });
    }
    return cluster.examples[0];
  }

  function renderDraftSource() {
    if (!S.draft) return;
    var own = $("draft-own-option").checked;
    $("draft-error").hidden = true;
    $("draft-answer").hidden = !own;
    if (own) setTimeout(function () { $("draft-answer").focus(); }, 0);
    var example = draftExample();
    $("draft-question").textContent = example.question;
    var similar = $("draft-similar");
    similar.textContent = "";
    var others = otherQuestions(example);
    others.forEach(function (q) { similar.appendChild(el("span", { class: "chip", text: q })); });
    $("draft-similar-field").hidden = !others.length;
  }

  function otherQuestions(example) {
    var seen = {};
    seen[example.question.trim()] = true;
    return S.draft.cluster.examples.map(function (e) { return e.question.trim(); }).filter(function (q) {
      if (!q || seen[q]) return false;
      seen[q] = true;
      return true;
    });
  }

  async function submitDraft(event) {
    event.preventDefault();
    if (!S.draft) return;
    var own = $("draft-own-option").checked;
    var answer = $("draft-answer").value.trim();
    var error = $("draft-error");
    if (own && !answer) {
      error.textContent = T().draftNeedsAnswer;
      error.hidden = false;
      return;
    }
    var example = draftExample();
    var cluster = S.draft.cluster;
    var button = $("draft-submit");
    button.disabled = true;
    error.hidden = true;
    try {
      var result = await api("POST", "/api/console/quality/drafts", {
        conversation_id: example.conversation_id,
        seq: example.seq,
        answer: own ? answer : null,
        category: $("draft-category").value.trim() || null,
        also_asked: otherQuestions(example)
      });
      S.quality.drafted[clusterKey(cluster)] = true;
      closeDraft();
      renderClusters(S.quality.report.clusters || []);
      toast(T().draftSaved(result.sheet));
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function closeDraft() {
    S.draft = null;
    var dialog = $("draft-dialog");
    if (dialog.open) dialog.close();
  }

  // --- wiring ----------------------------------------------------------------------------

  function wire() {
    $("login-form").addEventListener("submit", onLoginSubmit);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=toggle-lang]"), function (node) {
      node.addEventListener("click", toggleLang);
    });
    $("logout").addEventListener("click", logout);
    $("claim").addEventListener("click", claim);
    $("composer").addEventListener("submit", sendReply);
    $("reply-input").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) sendReply(e);
    });
    $("note-toggle").addEventListener("change", onNoteToggle);
    $("canned-select").addEventListener("change", onCannedChosen);
    $("resolve").addEventListener("click", function () { finish("resolve"); });
    $("handback").addEventListener("click", function () { finish("handback"); });
    Array.prototype.forEach.call(document.querySelectorAll(".view-tab"), function (node) {
      node.addEventListener("click", function () { showView(node.getAttribute("data-view")); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-testid=quality-window]"), function (node) {
      node.addEventListener("click", function () { chooseWindow(node.getAttribute("data-window")); });
    });
    $("quality-refresh").addEventListener("click", loadQuality);
    $("draft-form").addEventListener("submit", submitDraft);
    $("draft-cancel").addEventListener("click", closeDraft);
    $("draft-own-option").addEventListener("change", renderDraftSource);
    $("draft-dialog").addEventListener("close", function () { S.draft = null; });
    setInterval(tick, 1000);
  }

  async function boot() {
    wire();
    applyLang();
    try {
      var me = await api("GET", "/api/console/me");
      useReasonLabels(me && me.reason_labels);
      await showApp((me && me.staff) || me);
    } catch (e) {
      showLogin(null);
    }
  }

  window.BrokerDeskConsole = {
    get state() {
      return {
        me: S.me, lang: S.lang, selected: S.selected,
        socket: $("console-status").getAttribute("data-status"),
        queue: S.queue.slice(), seqs: Array.from(S.seqs).sort(function (a, b) { return a - b; })
      };
    }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
