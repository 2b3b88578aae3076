// The demo host page (channels/static/demo.html): embeds /widget.js as the page's
// investor, with the development token issuer. A file, not inline, for the page's CSP.
(function () {
  var params = new URLSearchParams(location.search);
  var investor = params.get("investor") || "INV-1001";
  var lang = params.get("lang") === "en" ? "en" : "zh";
  var tag = document.createElement("script");
  tag.src = "/widget.js";
  tag.dataset.tokenUrl = "/api/dev/token";
  tag.dataset.investor = investor;
  tag.dataset.lang = lang;
  if (params.get("open") === "true") tag.dataset.open = "true";
  var elderly = params.get("elderly") === "true";
  if (elderly) tag.dataset.elderly = "true";
  document.getElementById("demo-user").textContent =
    (investor === "INV-1001" ? "王示例 · " : "") + investor;
  document.getElementById("demo-embed-snippet").textContent =
    '<script src="' + location.origin + '/widget.js"\n  data-server="' + location.origin + '"\n' +
    '  data-token-url="/api/dev/token"\n  data-investor="' + investor + '"\n  data-lang="' + lang +
    '"' + (elderly ? '\n  data-elderly="true"' : '') + '><\/script>';
  document.body.appendChild(tag);
})();
