// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Registration: show only the fields of the chosen channel and class.
  function syncRegister() {
    var form = document.getElementById("register-form");
    if (!form) return;
    var channel = form.querySelector("[name=channel]");
    var klass = form.querySelector("[name=klass]");
    var collective = form.querySelector("[name=is_collective]");
    var joint = form.querySelector("[name=is_joint_letter]");
    form.querySelectorAll("[data-channel]").forEach(function (el) {
      el.hidden = channel && el.getAttribute("data-channel") !== channel.value;
    });
    form.querySelectorAll("[data-klass]").forEach(function (el) {
      el.hidden = klass && el.getAttribute("data-klass") !== klass.value;
    });
    // 集体访 for a visit, 联名信 for a letter: more petitioner rows.
    var many = channel && ((channel.value === "visit" && collective && collective.checked) ||
                           (channel.value === "letter" && joint && joint.checked));
    form.querySelectorAll("[data-collective]").forEach(function (el) {
      var filled = Array.prototype.some.call(el.querySelectorAll("input"), function (i) { return i.value; });
      el.hidden = !many && !filled;
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.closest && e.target.closest("#register-form")) syncRegister();
  });
  document.addEventListener("DOMContentLoaded", syncRegister);
  // Queue tabs: keep aria-current on the tab whose table htmx just loaded.
  document.addEventListener("htmx:afterRequest", function (e) {
    var link = e.detail.elt;
    if (!link || !link.matches || !link.matches(".tabs a")) return;
    document.querySelectorAll(".tabs a").forEach(function (a) { a.removeAttribute("aria-current"); });
    link.setAttribute("aria-current", "page");
  });
})();
// 获取验证码 is a submit button without JavaScript (the form comes back with the code sent).
// With JavaScript it only asks for the code and puts the answer in its status line (part of
// the code field's description). The portal loads no htmx (issue 20 item 8), so a small
// fetch does it, to the button's data-otp URL (or its hx-post) into its hx-target (or
// #otp-status); where htmx is loaded it does its own. Enter in a field still submits the form.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.fetch && !window.htmx) return;
  document.querySelectorAll("button[data-otp]").forEach(function (b) { b.type = "button"; });
});
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("button[data-otp]");
  if (!b || b.type === "submit" || !window.fetch) return;
  if (window.htmx && b.hasAttribute("hx-post")) return;
  var form = b.form;
  var status = document.querySelector(b.getAttribute("hx-target") || "#otp-status");
  var body = new FormData();
  if (form.elements.phone) body.append("phone", form.elements.phone.value);
  body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
  b.disabled = true;
  fetch(b.getAttribute("data-otp") || b.getAttribute("hx-post"), {
    method: "POST", body: body, credentials: "same-origin",
    headers: { "X-Requested-With": "fetch" } })
    .then(function (r) { return r.text(); })
    .then(function (html) { if (status) status.innerHTML = html; })
    .then(function () { b.disabled = false; }, function () {
      b.disabled = false; b.type = "submit"; b.click(); // offline or refused: the page way
    });
});
// 码上办: the print button (no inline handlers under the CSP).
document.addEventListener("click", function (e) {
  if (e.target.closest && e.target.closest("[data-print]")) window.print();
});
// Error summary (WCAG 3.3.1): focus it when the page arrives (autofocus may not fire after a
// POST in every browser); a link in it moves focus to its field and shows the field's label.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) summary.focus();
});
document.addEventListener("click", function (e) {
  var link = e.target.closest && e.target.closest("[data-error-summary] a[data-focus]");
  if (!link) return;
  var control = document.getElementById(link.getAttribute("data-focus"));
  if (!control) return;
  e.preventDefault();
  var details = control.closest("details");
  if (details) details.open = true;
  var label = document.querySelector('label[for="' + control.id + '"]') ||
    control.closest("fieldset") || control;
  label.scrollIntoView({ block: "start" });
  control.focus({ preventScroll: true });
});
// A table wider than the screen scrolls sideways in its .table-wrap: make that box reachable
// by keyboard (arrow keys scroll it) and name it after its table (WCAG 2.1.1).
(function () {
  "use strict";
  function reachable() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var t = box.querySelector("caption") || box.closest("section, figure, details") &&
          box.closest("section, figure, details").querySelector("h2, h3, summary");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", t ? t.textContent.trim() : document.title);
      } else if (!scrolls && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", reachable);
  window.addEventListener("resize", reachable);
  document.addEventListener("htmx:afterSettle", reachable);
  document.addEventListener("toggle", reachable, true);
})();
