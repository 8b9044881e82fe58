// Live SLA countdowns: every element with data-countdown (an ISO deadline) is rewritten once a second as
// "3 h 5 min 12 s left" or "overdue by 4 min 3 s", and its badge class follows the state. The wording comes from the
// page (data-left-text / data-overdue-text, translated server-side) and the units from Django's JavaScript catalog
// (/jsi18n/, the djangojs domain), so the countdown speaks the user's language.
(function () {
  "use strict";
  if (window.slaCountdownStarted) return;
  window.slaCountdownStarted = true;

  // The catalog's gettext/interpolate when it loaded; English otherwise.
  var gettext = typeof window.gettext === "function" ? window.gettext : function (text) { return text; };
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function span(seconds) {
    var d = Math.floor(seconds / 86400);
    var h = Math.floor((seconds % 86400) / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = Math.floor(seconds % 60);
    if (d) return fill(gettext("%(days)s d %(hours)s h"), { days: d, hours: h });
    if (h) return fill(gettext("%(hours)s h %(minutes)s min"), { hours: h, minutes: m });
    return fill(gettext("%(minutes)s min %(seconds)s s"), { minutes: m, seconds: s });
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
