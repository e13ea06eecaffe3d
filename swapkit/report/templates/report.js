// The record explorer. Every piece of model output is written with textContent:
// nothing from the data is ever parsed as HTML, so <script>, </textarea> or
// javascript: links in an answer stay inert text.
(function () {
  "use strict";
  var rows = JSON.parse(document.getElementById("swapkit-records").textContent);
  var PAGE = 25;
  var state = { page: 0, list: rows, focus: -1 };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function haystack(r) {
    if (r._hay === undefined) {
      r._hay = [r.id, r.segment || "", r.prompt, r.reference || "", r.baseline.answer,
                r.candidate.answer, r.flags.join(" ")].join("\n").toLowerCase();
    }
    return r._hay;
  }

  function apply() {
    var q = $("search").value.trim().toLowerCase();
    var seg = $("segment").value, status = $("status").value, flag = $("flag").value;
    var list = rows.filter(function (r) {
      if (seg && (r.segment || "(none)") !== seg) return false;
      if (status && r.candidate.status !== status) return false;
      if (flag && r.flags.indexOf(flag) < 0) return false;
      return !q || haystack(r).indexOf(q) >= 0;
    });
    var sort = $("sort").value;
    list.sort(function (a, b) {
      return sort === "position" ? a.position - b.position
        : (b.blocking - a.blocking) || (b.regression - a.regression) ||
          (a.position - b.position);
    });
    state.list = list; state.page = 0; state.focus = -1;
    render();
  }

  function diffText(runs, keep) {
    var box = el("div", "text");
    runs.forEach(function (run) {
      if (run[0] === "=") box.appendChild(document.createTextNode(run[1]));
      else if (run[0] === keep) box.appendChild(el(keep === "+" ? "ins" : "del", "", run[1]));
    });
    return box;
  }

  function side(title, answer, runs, keep) {
    var col = el("div");
    col.appendChild(el("div", "label", title + " · " + (answer.status || "")));
    if (answer.error) col.appendChild(el("div", "text", answer.error));
    if (runs.length) col.appendChild(diffText(runs, keep));
    else if (answer.answer) col.appendChild(el("div", "text", answer.answer));
    answer.tool_calls.forEach(function (call) {
      col.appendChild(el("div", "text", call.name + "(" + call.arguments + ")"));
    });
    if (answer.reasoning) {
      var d = el("details"); d.appendChild(el("summary", "", "reasoning"));
      d.appendChild(el("div", "text", answer.reasoning)); col.appendChild(d);
    }
    var facts = [];
    // Numbers arrive formatted by the report's one formatting module (latency_text, ...).
    if (answer.latency_text) facts.push("latency " + answer.latency_text);
    if (answer.cost_text) facts.push(answer.cost_text);
    if (answer.cut) facts.push("text cut for the report");
    if (facts.length) col.appendChild(el("div", "label", facts.join(" · ")));
    return col;
  }

  function table(head, body) {
    var t = el("table"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", "", h)); });
    t.appendChild(tr);
    body.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (c) { row.appendChild(el("td", "", c)); });
      t.appendChild(row);
    });
    return t;
  }

  function card(r) {
    var c = el("article", "card"); c.tabIndex = 0;
    var h = el("header");
    h.appendChild(el("span", "id", r.id));
    h.appendChild(el("span", "badge", r.segment || "(none)"));
    h.appendChild(el("span", "badge", "regression " + r.regression));
    r.flags.forEach(function (f) { h.appendChild(el("span", "badge flag", f)); });
    c.appendChild(h);
    c.appendChild(el("div", "label", "prompt (last user turn)"));
    c.appendChild(el("div", "text", r.prompt));
    if (r.conversation.length > 1) {
      var conv = el("details"); conv.appendChild(el("summary", "", "whole conversation (" +
        r.conversation.length + " messages)"));
      r.conversation.forEach(function (m) { conv.appendChild(el("div", "text", m.role + ": " + m.text)); });
      c.appendChild(conv);
    }
    if (r.reference) {
      c.appendChild(el("div", "label", "reference"));
      c.appendChild(el("div", "text", r.reference));
    }
    var sides = el("div", "sides");
    sides.appendChild(side("baseline", r.baseline, r.diff, "-"));
    sides.appendChild(side("candidate", r.candidate, r.diff, "+"));
    c.appendChild(sides);
    if (r.json_diff && r.json_diff.length) {
      c.appendChild(el("div", "label", "JSON fields that differ"));
      c.appendChild(table(["field", "baseline", "candidate"], r.json_diff));
    }
    var scoreRows = Object.keys(r.scores_text).map(function (m) {
      var v = r.scores_text[m];
      return [m, v[0], v[1], r.details[m] || ""];
    });
    if (scoreRows.length) {
      var d = el("details"); d.appendChild(el("summary", "", "scores"));
      d.appendChild(table(["metric", "baseline", "candidate", "what differs"], scoreRows));
      c.appendChild(d);
    }
    return c;
  }

  function render() {
    var list = state.list, box = $("records");
    box.textContent = "";
    var pages = Math.max(1, Math.ceil(list.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    list.slice(state.page * PAGE, state.page * PAGE + PAGE).forEach(function (r) {
      box.appendChild(card(r));
    });
    $("count").textContent = list.length + " of " + rows.length + " records · page " +
      (state.page + 1) + " of " + pages;
  }

  function move(step) {
    var cards = document.querySelectorAll("#records .card");
    if (!cards.length) return;
    state.focus = Math.max(0, Math.min(cards.length - 1, state.focus + step));
    cards[state.focus].focus(); cards[state.focus].scrollIntoView({ block: "start" });
  }

  function page(step) {
    var pages = Math.max(1, Math.ceil(state.list.length / PAGE));
    state.page = Math.max(0, Math.min(pages - 1, state.page + step));
    state.focus = -1; render();
  }

  ["search", "segment", "status", "flag", "sort"].forEach(function (id) {
    $(id).addEventListener(id === "search" ? "input" : "change", apply);
  });
  $("prev").addEventListener("click", function () { page(-1); });
  $("next").addEventListener("click", function () { page(1); });
  document.addEventListener("keydown", function (e) {
    if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "SELECT")) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (e.key === "j") move(1); else if (e.key === "k") move(-1);
    else if (e.key === "n") page(1); else if (e.key === "p") page(-1);
    else if (e.key === "/") { e.preventDefault(); $("search").focus(); }
  });
  apply();
})();
