// A little progressive enhancement; every page works without it.
(function () {
  "use strict";

  // "3 days 4 h 12 min left" next to every Cancel Pending final moment.
  function left(ms) {
    if (ms <= 0) return "the window has ended";
    var min = Math.floor(ms / 60000), d = Math.floor(min / 1440), h = Math.floor((min % 1440) / 60);
    var parts = [];
    if (d) parts.push(d + (d === 1 ? " day" : " days"));
    if (d || h) parts.push(h + " h");
    parts.push((min % 60) + " min");
    return parts.join(" ") + " left";
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-countdown"));
      if (!isNaN(at)) el.textContent = left(at - Date.now());
    });
  }

  // The feed comment and the email preview follow the reason as it is typed.
  function echoReason() {
    var reason = document.querySelector("#cancel textarea[name=reason]");
    var preview = document.querySelector("[data-comment-preview]");
    var echo = document.querySelector("[data-reason-echo]");
    if (!reason || !preview) return;
    reason.addEventListener("input", function () {
      var why = reason.value.trim() || "homeowner request";
      preview.textContent = "Workflow cancelled (Cancel Pending until " +
        preview.getAttribute("data-final") + "). Reason: " + why;
      if (echo) echo.textContent = why;
    });
  }

  // The postmark date matters for mail and telegram notices only.
  function postmark() {
    var kind = document.querySelector("[data-kind]");
    var box = document.querySelector("[data-postmark]");
    if (!kind || !box) return;
    function sync() { box.hidden = !/_notice$/.test(kind.value); }
    kind.addEventListener("change", sync);
    sync();
  }

  // "Other" needs its text; the other reasons do not.
  function otherReason() {
    var form = document.querySelector("[data-reason-form]");
    if (!form) return;
    var select = form.querySelector("select[name=reason]");
    var other = form.querySelector("[data-other]");
    function sync() {
      var isOther = select.value === "other";
      other.hidden = !isOther && !other.querySelector(".field-error");
      other.querySelector("textarea").required = isOther;
    }
    select.addEventListener("change", sync);
    sync();
  }

  // A form that cannot be taken back asks first (the installer's Cancel Workflow).
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
    echoReason();
    postmark();
    otherReason();
    confirmations();
  });
})();
