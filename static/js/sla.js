// Live SLA countdowns: every element with data-countdown (an ISO deadline) is rewritten once a second as
// "3 h 5 min 12 s left" or "overdue by 4 min 3 s", and its badge class follows the state. The wording comes from the
// page (data-left-text / data-overdue-text, translated server-side) so the countdown speaks the user's language.
(function () {
  "use strict";
  if (window.slaCountdownStarted) return;
  window.slaCountdownStarted = true;

  function span(seconds) {
    var d = Math.floor(seconds / 86400);
    var h = Math.floor((seconds % 86400) / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = Math.floor(seconds % 60);
    if (d) return d + " d " + h + " h";
    if (h) return h + " h " + m + " min";
    return m + " min " + s + " s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.dataset.countdown);
      var warn = el.dataset.warn ? Date.parse(el.dataset.warn) : due;
      if (isNaN(due)) return;
      var overdue = due <= now;
      var seconds = Math.abs(due - now) / 1000;
      var template = overdue ? el.dataset.overdueText : el.dataset.leftText;
      el.textContent = (template || "%(span)s").replace("%(span)s", span(seconds));
      el.classList.toggle("badge-breached", overdue);
      el.classList.toggle("badge-at-risk", !overdue && warn <= now);
      el.classList.toggle("badge-on-track", !overdue && warn > now);
    });
  }

  tick();
  setInterval(tick, 1000);
})();
