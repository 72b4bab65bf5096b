// Measurements of the rendered page for tests/browser/test_citizen_pages.py (evaluated through
// the DevTools protocol; the CSP refuses a <script> tag). Defines window.__audit.
window.__audit = (function () {
  "use strict";

  function visible(el) {
    if (el.closest("[hidden], details:not([open]) > :not(summary)")) return false;
    var s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none") return false;
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }

  function blockOf(el) {
    var p = el.parentElement;
    while (p && getComputedStyle(p).display.indexOf("inline") === 0) p = p.parentElement;
    return p;
  }

  // WCAG 2.5.5's inline exception: a link inside a sentence (its block has other words).
  function inRunningText(a) {
    if (getComputedStyle(a).display !== "inline") return false;
    var block = blockOf(a);
    if (!block) return false;
    var rest = block.textContent.replace(a.textContent, "").replace(/[\s·|›,，。；：:;()（）]/g, "");
    return rest.length > 0;
  }

  // The box a finger can hit: a radio or checkbox is hit through its label too.
  function targetBox(el) {
    if (el.matches("input[type=radio], input[type=checkbox]")) {
      var label = el.closest("label") || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (label) return label.getBoundingClientRect();
    }
    return el.getBoundingClientRect();
  }

  function describe(el) {
    var text = (el.getAttribute("aria-label") || el.textContent || el.value || el.name || "").trim();
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") + " «" + text.slice(0, 30) + "»";
  }

  var TARGETS = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]";

  function smallTargets(min) {
    min = min || 44;
    var small = [];
    document.querySelectorAll(TARGETS).forEach(function (el) {
      if (!visible(el) && !el.matches(".skip")) return;
      if (el.matches("a") && inRunningText(el)) return;
      var r = targetBox(el);
      if (r.width < min - 0.5 || r.height < min - 0.5) {
        small.push(describe(el) + " " + Math.round(r.width) + "×" + Math.round(r.height));
      }
    });
    return small;
  }

  // --- colour contrast (WCAG relative luminance)
  function rgba(text) {
    var m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    var p = m[1].split(",").map(function (x) { return parseFloat(x); });
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  }
  function lum(c) {
    function ch(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  }
  function ratio(a, b) {
    var x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  // The colour behind an element's outline: the first ancestor that paints a background,
  // blended over the ones below it when translucent.
  function backgroundBehind(el) {
    var layers = [];
    for (var p = el.parentElement; p; p = p.parentElement) {
      var c = rgba(getComputedStyle(p).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    var base = { r: 255, g: 255, b: 255, a: 1 };
    for (var i = layers.length - 1; i >= 0; i--) {
      var c2 = layers[i];
      base = { r: c2.r * c2.a + base.r * (1 - c2.a), g: c2.g * c2.a + base.g * (1 - c2.a),
               b: c2.b * c2.a + base.b * (1 - c2.a), a: 1 };
    }
    return base;
  }

  // The focused element's indicator: its outline's width and contrast with what is behind it.
  function focusIndicator() {
    var el = document.activeElement;
    if (!el || el === document.body) return null;
    var s = getComputedStyle(el);
    var colour = rgba(s.outlineColor);
    var width = s.outlineStyle === "none" ? 0 : parseFloat(s.outlineWidth);
    var behind = backgroundBehind(el);
    return { what: describe(el), width: width, visible: visible(el),
             ratio: colour && width ? Math.round(ratio(colour, behind) * 100) / 100 : 0,
             colour: s.outlineColor, behind: "rgb(" + [behind.r, behind.g, behind.b].join(",") + ")" };
  }

  // WCAG 3.1.2: Chinese text on an English page sits inside an element marked lang="zh…".
  var CJK = /[\u3000-\u303f\u3400-\u9fff\uff01-\uff5e]/;
  function chineseOutsideZh() {
    var found = [];
    function zh(el) { var l = el && el.closest("[lang]"); return l && /^zh/i.test(l.getAttribute("lang")); }
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      var el = n.parentElement;
      if (!el || el.closest("script, style, template, [hidden]")) continue;
      if (CJK.test(n.nodeValue) && !zh(el)) found.push(n.nodeValue.trim().slice(0, 40) + " ← " + describe(el));
    }
    document.querySelectorAll("[aria-label], [title], [placeholder], [alt]").forEach(function (el) {
      ["aria-label", "title", "placeholder", "alt"].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v && CJK.test(v) && !zh(el)) found.push(a + "=" + v.slice(0, 40) + " ← " + describe(el));
      });
    });
    return found;
  }

  return { smallTargets: smallTargets, focusIndicator: focusIndicator,
           chineseOutsideZh: chineseOutsideZh, ratio: ratio };
})();
