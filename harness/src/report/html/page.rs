//! The page template: the self-contained HTML shell (its Content-Security-
//! Policy allows only the inline style and script, by hash), the matrix
//! page's CSS and script, and the escaper every string passes through. The
//! bench report uses the same shell. It renders no report data itself.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A self-contained page around `body`: its inline style and optional
/// script are the only ones the Content-Security-Policy allows (by hash),
/// and it may fetch nothing. The bench report uses it too.
pub fn page(title: &str, style: &str, body: &str, script: Option<&str>) -> String {
    let script_src = script.map_or("'none'".to_string(), |s| format!("'{}'", csp_hash(s)));
    let csp = format!(
        "default-src 'none'; style-src '{}'; script-src {script_src}; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(style),
    );
    let mut out = String::with_capacity(body.len() + style.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
        escape(&csp)
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(title)));
    out.push_str(&format!("<style>{style}</style>\n</head>\n<body>\n"));
    out.push_str(body);
    if let Some(script) = script {
        out.push_str(&format!("<script>{script}</script>\n"));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn csp_hash(inline: &str) -> String {
    let digest = Sha256::digest(inline.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

pub(super) const STYLE: &str = r##"
:root{--sec:#b00020;--err:#d84315;--ink:#1c1c1e;--muted:#666;--line:#d9d9de;color-scheme:light}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#f6f6f8}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
header{padding:14px 24px 10px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0 0 4px}
p{margin:4px 0}
.meta,.muted{color:var(--muted)}
.note{color:#5d4037}
.warn{color:#8a4b00;font-weight:600}
.alert{background:var(--sec);color:#fff;font-weight:700;padding:8px 12px;border-radius:4px;margin:8px 0;background-image:repeating-linear-gradient(135deg,rgba(255,255,255,.10) 0 8px,transparent 8px 16px)}
.alert code{color:#fff}
.alert-error{background-color:var(--err)}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;list-style:none;padding:0;margin:10px 0 4px}
.legend li{display:flex;align-items:center;gap:6px;color:#444}
.versions{margin-top:4px;color:#444}
.versions ul{margin:4px 0;padding-left:20px}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;font-weight:600;font-size:12.5px}
.t-alarm{background:var(--sec);color:#fff;font-weight:800;background-image:repeating-linear-gradient(135deg,rgba(255,255,255,.16) 0 5px,transparent 5px 10px);box-shadow:0 0 0 2px #ffd54f inset}
.t-harness-error{background:var(--err);color:#fff;font-weight:800}
.t-regression{background:#f6b7ad;color:#7f1409;font-weight:700}
.t-improvement{background:#d6e6fb;color:#0d47a1;font-weight:700}
.t-known{background:#fbecc8;color:#6d4c00}
.t-muted{background:#ececef;color:#6b6b73}
.t-good{background:#ddf2e1;color:#1b5e20}
.unexpected-sample,.cell.unexpected{outline:3px solid #111;outline-offset:-3px}
main{display:grid;grid-template-columns:min-content minmax(420px,1fr);gap:16px;padding:14px 24px;align-items:start}
@media (max-width:1100px){main{grid-template-columns:1fr}}
.filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
.filters fieldset{border:1px solid var(--line);border-radius:6px;background:#fff;padding:4px 10px 6px;margin:0}
.filters legend{font-size:12px;color:var(--muted);padding:0 4px}
.filters label{margin-right:10px;white-space:nowrap;cursor:pointer}
.filters output{color:var(--muted);margin-left:8px}
table.matrix{border-collapse:separate;border-spacing:3px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px}
.matrix thead th{font-size:12.5px;text-align:center;padding:4px 6px;white-space:nowrap}
.matrix thead th small{display:block;font-size:11px;color:#8a4b00}
.matrix caption{text-align:left;font-weight:600;padding:2px 4px 6px}
table.matrix+table.matrix{margin-top:14px}
.legend-words{font-size:12.5px}
.matrix thead th:first-child{text-align:left}
.matrix tbody th{text-align:left;font-weight:400;padding:3px 8px 3px 4px;max-width:360px}
.matrix tbody th code{font-weight:600}
.matrix .scenario-title{display:block;color:var(--muted);font-size:11.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:350px}
.matrix td{padding:0;min-width:112px;border-radius:4px;text-align:center}
.matrix td.absent{color:#aaa}
.cell button{all:unset;box-sizing:border-box;display:block;width:100%;padding:6px 8px;cursor:pointer;border-radius:4px;font-weight:inherit;text-align:center}
.cell button:focus-visible{outline:3px solid #1565c0;outline-offset:1px}
.cell small{display:block;font-size:11px;font-weight:600}
.cell .bang{font-size:15px}
.cell.dim{opacity:.18}
.cell.selected{box-shadow:0 0 0 3px #1565c0}
.cell:hover{filter:brightness(.94)}
.details{position:sticky;top:8px;max-height:calc(100vh - 16px);overflow:auto;background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 16px 14px}
.details .placeholder{color:var(--muted)}
.cell-detail h2{font-size:16px;margin:4px 0}
.cell-detail h3{font-size:13.5px;margin:14px 0 4px;border-bottom:1px solid var(--line);padding-bottom:2px}
.cell-detail .file{color:var(--muted)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.unexpected-note{color:#b00020;text-transform:uppercase;font-size:12px;margin-left:6px}
.evidence{background:#f6f6f8;border-left:3px solid #9e9e9e;padding:6px 8px;overflow-wrap:anywhere}
.steps,.observations{border-collapse:collapse;width:100%;font-size:12.5px}
.steps th,.steps td,.observations th,.observations td{border-bottom:1px solid #eee;padding:3px 5px;text-align:left;vertical-align:top}
.steps td.summary,.observations td:last-child{overflow-wrap:anywhere}
.steps td.phase{white-space:nowrap}
.rollback-note{color:#8a4b00}
.cell-detail .tone{color:var(--muted);font-size:12px}
.steps tr.not-ok td{background:#fff4f2}
.step-error{color:#9c2a1c;margin-top:2px;overflow-wrap:anywhere}
.requests summary{cursor:pointer;color:#1565c0}
.requests ol{margin:2px 0;padding-left:22px}
.requests code{overflow-wrap:anywhere;font-size:11.5px}
.log{background:#1e1e24;color:#e8e8ea;padding:8px 10px;border-radius:4px;overflow:auto;max-height:320px;white-space:pre-wrap;overflow-wrap:anywhere}
.chart text{font-size:12px;fill:var(--ink)}
.chart .chart-title{font-weight:600}
.chart rect{fill:#3f6fb5}
"##;

pub(super) const SCRIPT: &str = r##"
(function () {
  "use strict";
  var pane = document.getElementById("matrices");
  var tables = Array.prototype.slice.call(pane.querySelectorAll("table.matrix"));
  var panel = document.getElementById("details");
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(pane.querySelectorAll("table.matrix tbody tr"));
  var cells = Array.prototype.slice.call(pane.querySelectorAll(".cell"));
  var keys = ["area", "version", "outcome"];
  var selected = null;

  function boxes(key) {
    return Array.prototype.slice.call(document.querySelectorAll("#filter-" + key + " input[type=checkbox]"));
  }
  function chosen(key) {
    var out = {};
    boxes(key).forEach(function (b) { if (b.checked) { out[b.value] = true; } });
    return out;
  }
  function apply() {
    var areas = chosen("area"), versions = chosen("version"), outcomes = chosen("outcome");
    var onlyUnexpected = document.getElementById("filter-unexpected").checked;
    tables.forEach(function (table) {
      table.querySelectorAll("[data-version]").forEach(function (el) {
        el.hidden = !versions[el.getAttribute("data-version")];
      });
    });
    var shown = {}, all = {};
    rows.forEach(function (row) {
      var any = false;
      row.querySelectorAll(".cell").forEach(function (cell) {
        var d = cell.dataset;
        var match = !!(versions[d.version] && outcomes[d.outcome] &&
          (!onlyUnexpected || d.outcome !== d.expected));
        cell.classList.toggle("dim", !match);
        if (match) { any = true; }
      });
      row.hidden = !(areas[row.dataset.area] && any);
      all[row.dataset.scenario] = true;
      if (!row.hidden) { shown[row.dataset.scenario] = true; }
    });
    document.getElementById("shown-count").textContent =
      Object.keys(shown).length + " of " + Object.keys(all).length + " scenarios shown";
  }

  function readHash() {
    var state = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at < 0) { return; }
      try {
        state[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1));
      } catch (e) { /* a malformed fragment selects nothing */ }
    });
    return state;
  }
  function enc(v) {
    return encodeURIComponent(v).replace(/%2F/g, "/").replace(/%40/g, "@").replace(/%2C/g, ",");
  }
  function writeHash() {
    var parts = [];
    keys.forEach(function (key) {
      var all = boxes(key);
      var on = all.filter(function (b) { return b.checked; });
      if (on.length !== all.length) {
        parts.push(key + "=" + on.map(function (b) { return enc(b.value); }).join(","));
      }
    });
    if (document.getElementById("filter-unexpected").checked) { parts.push("unexpected=1"); }
    if (selected) { parts.push("open=" + enc(selected.dataset.scenario + "@" + selected.dataset.version)); }
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search); } catch (e) { /* file: URLs in some browsers */ }
  }
  function restore(state) {
    keys.forEach(function (key) {
      if (state[key] === undefined) { return; }
      var wanted = {};
      state[key].split(",").forEach(function (v) { wanted[v] = true; });
      boxes(key).forEach(function (b) { b.checked = !!wanted[b.value]; });
    });
    document.getElementById("filter-unexpected").checked = state.unexpected === "1";
    apply();
  }

  function open(cell, byUser) {
    var source = document.getElementById(cell.dataset.detail);
    if (!source) { return; }
    var copy = source.cloneNode(true);
    copy.removeAttribute("id");
    while (panel.firstChild) { panel.removeChild(panel.firstChild); }
    panel.appendChild(copy);
    panel.scrollTop = 0;
    if (selected) {
      selected.classList.remove("selected");
      selected.querySelector("button").setAttribute("aria-pressed", "false");
    }
    selected = cell;
    cell.classList.add("selected");
    cell.querySelector("button").setAttribute("aria-pressed", "true");
    writeHash();
    var box = panel.getBoundingClientRect();
    if (byUser && (box.top > window.innerHeight || box.bottom < 0)) { panel.scrollIntoView({ block: "start" }); }
  }

  pane.addEventListener("click", function (event) {
    var cell = event.target.closest(".cell");
    if (cell) { open(cell, event.isTrusted); }
  });
  form.addEventListener("change", function () { apply(); writeHash(); });
  form.addEventListener("reset", function () {
    setTimeout(function () { apply(); writeHash(); }, 0);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  function fromHash() {
    var state = readHash();
    restore(state);
    if (state.open) {
      var target = cells.filter(function (c) {
        return c.dataset.scenario + "@" + c.dataset.version === state.open;
      })[0];
      if (target) { target.click(); }
    }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
  document.documentElement.setAttribute("data-ready", "true");
})();
"##;
