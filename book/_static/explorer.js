/* The word explorer of book/explorer.md: nearest neighbours, analogies and unknown-word
 * suggestions, computed in the browser the way glove_lite computes them.
 *
 * The vectors come from explorer-data.js (written by glove_lite.book.explorer at build time),
 * a script that assigns window.GLOVE_EXPLORER_DATA; it is loaded with a <script> tag after
 * the page's first paint, which works from file:// as well as over HTTP (fetch would not).
 * Plain JavaScript in one IIFE: the book's pages carry require.js, so no AMD/UMD here.
 */
(function () {
  "use strict";

  var K = 10;
  var DATA_FILE = "explorer-data.js";
  var GLOBAL = "GLOVE_EXPLORER_DATA";
  var script = document.currentScript;

  // ---------------------------------------------------------------- decoding

  function bytesOf(b64) {
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* A set's words and unit vectors (Float32Array, row-major), decoded on first use. */
  function decodeSet(raw, allWords) {
    var n = raw.n, d = raw.dim;
    var rows = new DataView(bytesOf(raw.rows).buffer);
    var codes = new Int8Array(bytesOf(raw.codes).buffer);
    var words = new Array(n), index = new Map(), unit = new Float32Array(n * d);
    for (var i = 0; i < n; i++) {
      words[i] = allWords[rows.getUint16(2 * i, true)];
      index.set(words[i], i);
      var norm = 0;
      for (var k = 0; k < d; k++) norm += codes[i * d + k] * codes[i * d + k];
      norm = Math.sqrt(norm) || 1;  // the per-row scale was dropped: a cosine ignores lengths
      for (k = 0; k < d; k++) unit[i * d + k] = codes[i * d + k] / norm;
    }
    return {id: raw.id, label: raw.label, note: raw.note, n: n, dim: d, words: words, index: index, unit: unit};
  }

  // ---------------------------------------------------------------- the library's queries

  /* The k rows most cosine-similar to query (any length), excluding the rows in exclude; ties go
   * to the lower row (vocabulary order), as WordVectors._top does. */
  function top(set, query, k, exclude) {
    var d = set.dim, qn = 0, i, j;
    for (j = 0; j < d; j++) qn += query[j] * query[j];
    qn = Math.sqrt(qn) || 1;
    var best = [];  // [sim, row], best first
    for (i = 0; i < set.n; i++) {
      if (exclude.indexOf(i) >= 0) continue;
      var s = 0, off = i * d;
      for (j = 0; j < d; j++) s += set.unit[off + j] * query[j];
      s /= qn;
      if (best.length === k && s <= best[k - 1][0]) continue;  // equal: the earlier row stays
      var at = best.length;
      while (at > 0 && s > best[at - 1][0]) at--;
      best.splice(at, 0, [s, i]);
      if (best.length > k) best.pop();
    }
    return best.map(function (b) { return {word: set.words[b[1]], cosine: b[0]}; });
  }

  function row(set, i) { return set.unit.subarray(i * set.dim, (i + 1) * set.dim); }

  function neighbours(set, i) { return top(set, row(set, i), K, [i]); }

  /* 3CosAdd: closest to b - a + c, the three query words excluded (WordVectors.analogy). */
  function analogy(set, ia, ib, ic) {
    var q = new Float32Array(set.dim), A = row(set, ia), B = row(set, ib), C = row(set, ic);
    for (var j = 0; j < set.dim; j++) q[j] = B[j] - A[j] + C[j];
    return top(set, q, K, [ia, ib, ic]);
  }

  function cosine(u, v) {
    var s = 0;
    for (var j = 0; j < u.length; j++) s += u[j] * v[j];
    return s;
  }

  // ---------------------------------------------------------------- suggestions: Python's difflib

  /* difflib.SequenceMatcher(None, a, b) as far as ratio() needs it (strings as code points). */
  function Matcher(a, b) {
    this.a = a; this.b = b;
    var b2j = new Map(), n = b.length, j;
    for (j = 0; j < n; j++) {
      if (!b2j.has(b[j])) b2j.set(b[j], []);
      b2j.get(b[j]).push(j);
    }
    if (n >= 200) {  // difflib's autojunk: drop the popular elements
      var ntest = Math.floor(n / 100) + 1;
      b2j.forEach(function (idx, elt) { if (idx.length > ntest) b2j.delete(elt); });
    }
    this.b2j = b2j;
  }

  Matcher.prototype.longest = function (alo, ahi, blo, bhi) {
    var a = this.a, b = this.b, besti = alo, bestj = blo, bestsize = 0, j2len = new Map();
    for (var i = alo; i < ahi; i++) {
      var newj2len = new Map(), js = this.b2j.get(a[i]) || [];
      for (var t = 0; t < js.length; t++) {
        var j = js[t];
        if (j < blo) continue;
        if (j >= bhi) break;
        var k = (j2len.get(j - 1) || 0) + 1;
        newj2len.set(j, k);
        if (k > bestsize) { besti = i - k + 1; bestj = j - k + 1; bestsize = k; }
      }
      j2len = newj2len;
    }
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) { besti--; bestj--; bestsize++; }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++;
    return [besti, bestj, bestsize];
  };

  Matcher.prototype.ratio = function () {
    var la = this.a.length, lb = this.b.length, queue = [[0, la, 0, lb]], matches = 0;
    while (queue.length) {
      var q = queue.pop(), m = this.longest(q[0], q[1], q[2], q[3]), i = m[0], j = m[1], k = m[2];
      if (k) {
        matches += k;
        if (q[0] < i && q[2] < j) queue.push([q[0], i, q[2], j]);
        if (i + k < q[1] && j + k < q[3]) queue.push([i + k, q[1], j + k, q[3]]);
      }
    }
    return la + lb ? 2 * matches / (la + lb) : 1;
  };

  Matcher.prototype.quickRatio = function () {
    var count = new Map(), matches = 0, t;
    for (t = 0; t < this.b.length; t++) count.set(this.b[t], (count.get(this.b[t]) || 0) + 1);
    for (t = 0; t < this.a.length; t++) {
      var c = count.get(this.a[t]) || 0;
      if (c > 0) { matches++; count.set(this.a[t], c - 1); }
    }
    var total = this.a.length + this.b.length;
    return total ? 2 * matches / total : 1;
  };

  /* difflib.get_close_matches(word, candidates, n, cutoff): best first, ties to the larger string. */
  function closeMatches(word, candidates, n, cutoff) {
    var b = Array.from(word), found = [];
    for (var i = 0; i < candidates.length; i++) {
      var a = Array.from(candidates[i]), total = a.length + b.length;
      if (total && 2 * Math.min(a.length, b.length) / total < cutoff) continue;  // real_quick_ratio
      var m = new Matcher(a, b);
      if (m.quickRatio() < cutoff) continue;
      var r = m.ratio();
      if (r >= cutoff) found.push([r, candidates[i]]);
    }
    found.sort(function (x, y) { return y[0] - x[0] || (x[1] < y[1] ? 1 : x[1] > y[1] ? -1 : 0); });
    return found.slice(0, n).map(function (f) { return f[1]; });
  }

  /* glove_lite.preprocess.suggest_words */
  function suggestWords(word, candidates, n) {
    n = n || 3;
    var out = [], lower = word.toLowerCase();
    if (lower !== word && candidates.indexOf(lower) >= 0) out.push(lower);
    closeMatches(lower, candidates, n, 0.75).forEach(function (w) { if (out.indexOf(w) < 0) out.push(w); });
    return out.slice(0, n);
  }

  /* Python's repr of a str, as the library's messages quote words. */
  function pyRepr(s) {
    var q = s.indexOf("'") >= 0 && s.indexOf('"') < 0 ? '"' : "'";
    return q + s.replace(/\\/g, "\\\\").split(q).join("\\" + q) + q;
  }

  // ---------------------------------------------------------------- the page

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function wordInput(id, label, value) {
    return el("input", {id: id, type: "text", value: value, "aria-label": label, autocomplete: "off",
      autocapitalize: "none", autocorrect: "off", spellcheck: "false", enterkeyhint: "search", disabled: ""});
  }

  function build(root) {
    root.textContent = "";
    var ui = {
      set: el("select", {id: "gx-set", disabled: ""}),
      note: el("p", {"class": "gx-note", id: "gx-note"}),
      word: wordInput("gx-word", "word", "liberty"),
      neighbours: el("div", {"class": "gx-result", id: "gx-neighbours", "aria-live": "polite"}),
      eras: el("p", {"class": "gx-eras", id: "gx-eras"}),
      a: wordInput("gx-a", "a", "he"), b: wordInput("gx-b", "b", "his"), c: wordInput("gx-c", "c", "she"),
      analogy: el("div", {"class": "gx-result", id: "gx-analogy", "aria-live": "polite"}),
      status: el("p", {"class": "gx-status", id: "gx-status", role: "status",
        text: "Loading the vectors (about 3 MB)\u2026"})
    };
    root.appendChild(el("div", {"class": "gx-row"}, [el("label", {"for": "gx-set", text: "Vectors"}), ui.set]));
    root.appendChild(ui.note);
    root.appendChild(el("p", {"class": "gx-heading", text: "Neighbours"}));
    root.appendChild(el("form", {"class": "gx-form", id: "gx-neighbours-form"}, [
      el("label", {"for": "gx-word", text: "Nearest neighbours of"}), ui.word,
      el("button", {type: "submit", text: "Show"})]));
    root.appendChild(ui.neighbours);
    root.appendChild(ui.eras);
    root.appendChild(el("p", {"class": "gx-heading", text: "Analogy"}));
    root.appendChild(el("form", {"class": "gx-form gx-analogy-form", id: "gx-analogy-form"}, [
      el("span", {"class": "gx-analogy-line"}, [ui.a, " is to ", ui.b]),
      el("span", {"class": "gx-analogy-line"}, [" as ", ui.c, " is to ?"]),
      el("button", {type: "submit", text: "Solve"})]));
    root.appendChild(ui.analogy);
    root.appendChild(ui.status);
    return ui;
  }

  function start(root) {
    var ui = build(root), data = null, sets = {}, allWords = null;

    function current() {
      var id = ui.set.value;
      if (!sets[id]) sets[id] = decodeSet(data.sets.filter(function (s) { return s.id === id; })[0], allWords);
      return sets[id];
    }

    function query(text) { return text.trim().toLowerCase(); }  // the book's tokens are lowercase

    /* The library's UnknownWordError message; each suggestion is a button that calls pick(word). */
    function unknown(set, word, pick) {
      var sugg = suggestWords(word, set.words), p = el("p", {"class": "gx-error"},
        ["unknown word " + pyRepr(word) + ": it is not in the vocabulary"]);
      if (sugg.length) {
        p.appendChild(document.createTextNode("; did you mean "));
        sugg.forEach(function (s, i) {
          if (i) p.appendChild(document.createTextNode(", "));
          var button = el("button", {type: "button", "class": "gx-suggestion", "data-word": s, text: pyRepr(s)});
          button.addEventListener("click", function () { pick(s); });
          p.appendChild(button);
        });
        p.appendChild(document.createTextNode("?"));
      }
      return p;
    }

    function list(results) {
      var ol = el("ol", {"class": "gx-list"});
      results.forEach(function (r) {
        var bar = el("span", {"class": "gx-bar"});
        bar.style.width = Math.max(0, Math.round(100 * r.cosine)) + "%";
        var word = el("button", {type: "button", "class": "gx-word", text: r.word, title: "neighbours of " + r.word});
        word.addEventListener("click", function () { ui.word.value = r.word; showNeighbours(); ui.word.focus(); });
        ol.appendChild(el("li", {"data-word": r.word, "data-cosine": r.cosine.toFixed(4)}, [
          word, el("span", {"class": "gx-track"}, [bar]), el("span", {"class": "gx-cos", text: r.cosine.toFixed(2)})]));
      });
      return ol;
    }

    function showNeighbours() {
      if (!data) return;
      var set = current(), word = query(ui.word.value), i = set.index.get(word);
      ui.neighbours.textContent = "";
      ui.eras.textContent = "";
      ui.neighbours.setAttribute("data-query", set.id + ":" + word);  // what is shown (for tests)
      if (!word) return;
      if (i === undefined) {
        ui.neighbours.appendChild(unknown(set, word, function (s) { ui.word.value = s; showNeighbours(); }));
        return;
      }
      ui.neighbours.appendChild(list(neighbours(set, i)));
      if (/^\d{4}-\d{4}$/.test(set.id)) showEras(set, word, i);
    }

    /* Aligned eras share one space: the cosine between a word's vectors in two eras says how far it moved. */
    function showEras(set, word, i) {
      var parts = [];
      data.sets.forEach(function (raw) {
        if (!/^\d{4}-\d{4}$/.test(raw.id) || raw.id === set.id) return;
        if (!sets[raw.id]) sets[raw.id] = decodeSet(raw, allWords);
        var other = sets[raw.id], j = other.index.get(word);
        parts.push(raw.id + " " + (j === undefined ? "\u2014" : cosine(row(set, i), row(other, j)).toFixed(2)));
      });
      ui.eras.textContent = "Cosine between \u201c" + word + "\u201d here and in the other eras: " + parts.join(" \u00b7 ");
    }

    function showAnalogy() {
      if (!data) return;
      var set = current(), words = [ui.a, ui.b, ui.c].map(function (x) { return query(x.value); });
      ui.analogy.textContent = "";
      ui.analogy.setAttribute("data-query", set.id + ":" + words.join(" "));
      if (words.some(function (w) { return !w; })) return;
      var boxes = [ui.a, ui.b, ui.c];
      for (var t = 0; t < 3; t++) {
        if (!set.index.has(words[t])) {  // the first unknown word, as WordVectors.analogy looks them up
          var box = boxes[t];
          ui.analogy.appendChild(unknown(set, words[t], function (s) { box.value = s; showAnalogy(); }));
          return;
        }
      }
      ui.analogy.appendChild(list(analogy(set, set.index.get(words[0]), set.index.get(words[1]), set.index.get(words[2]))));
    }

    function showSet() {
      var set = current();
      ui.note.textContent = set.note + " " + set.n.toLocaleString("en-US") + " words, " + set.dim + " dimensions.";
      showNeighbours();
      showAnalogy();
    }

    var timer = null;
    function soon(fn) { clearTimeout(timer); timer = setTimeout(fn, 120); }
    ui.word.addEventListener("input", function () { soon(showNeighbours); });
    [ui.a, ui.b, ui.c].forEach(function (x) { x.addEventListener("input", function () { soon(showAnalogy); }); });
    root.querySelector("#gx-neighbours-form").addEventListener("submit", function (e) { e.preventDefault(); showNeighbours(); });
    root.querySelector("#gx-analogy-form").addEventListener("submit", function (e) { e.preventDefault(); showAnalogy(); });
    ui.set.addEventListener("change", showSet);

    function ready() {
      data = window[GLOBAL];
      allWords = data.words.split("\n");
      data.sets.forEach(function (s) { ui.set.appendChild(el("option", {value: s.id, text: s.label})); });
      [ui.set, ui.word, ui.a, ui.b, ui.c].forEach(function (x) { x.removeAttribute("disabled"); });
      ui.status.textContent = "";
      root.setAttribute("data-ready", "true");
      showSet();
    }

    function load() {
      if (window[GLOBAL]) { ready(); return; }
      if (window.performance && performance.mark) performance.mark("explorer-data-requested");
      var tag = document.createElement("script");
      tag.src = new URL(DATA_FILE, script ? script.src : document.baseURI).href;
      tag.async = true;
      tag.onload = function () {
        if (window[GLOBAL]) ready();
        else ui.status.textContent = "The vectors file loaded but holds no data.";
      };
      tag.onerror = function () {
        ui.status.textContent = "The vectors (" + DATA_FILE + ") could not be loaded; rebuild the book with make book.";
      };
      document.head.appendChild(tag);
    }

    // After the first paint: the page's text shows before 3 MB of vectors are read.
    var started = false;
    function go() { if (!started) { started = true; load(); } }
    requestAnimationFrame(function () { setTimeout(go, 0); });
    setTimeout(go, 500);  // background tabs get no animation frames
  }

  function init() {
    var root = document.getElementById("glove-explorer");
    if (root) start(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
