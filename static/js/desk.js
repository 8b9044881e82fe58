// Small progressive enhancements; every form works without this file.
(function () {
  "use strict";

  function autosubmit(event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  }

  // The reply box looks different while it writes an internal note, so nobody sends a note to a customer by mistake.
  function syncReplyKind(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    var isNote = checked && checked.value === "note";
    form.classList.toggle("is-note", !!isNote);
    var then = form.querySelector("[data-reply-only]");
    if (then) { then.hidden = !!isNote; }
    var submit = form.querySelector("button[type=submit]");
    if (submit && submit.dataset.labelReply) {
      submit.textContent = isNote ? submit.dataset.labelNote : submit.dataset.labelReply;
    }
  }

  document.addEventListener("change", function (event) {
    autosubmit(event);
    var form = event.target.closest && event.target.closest("form.reply-form");
    if (form && event.target.name === "kind") { syncReplyKind(form); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.reply-form").forEach(syncReplyKind);
  });
  // Content swapped in by htmx (an action's answer) gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    if (root.querySelectorAll) { root.querySelectorAll("form.reply-form").forEach(syncReplyKind); }
  });

  // After htmx puts a canned response in the reply box, move the focus there for editing.
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = document.getElementById("id_body");
    if (box && event.detail.target && event.detail.target.id === "reply-body") {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }
  });
})();

// Refreshes a page makes on its own (hx-trigger="every ...") say so: they do not keep an idle session alive
// (tickets/signin_middleware.py).
document.addEventListener("htmx:configRequest", function (event) {
  var trigger = event.detail.elt.getAttribute && event.detail.elt.getAttribute("hx-trigger");
  if (trigger && /^every\s/.test(trigger)) { event.detail.headers["X-Desk-Background"] = "1"; }
});

// Tag autocomplete: an input with data-tag-autocomplete="<url>" fills its <datalist> with the names the desk API
// suggests for the last comma-separated part typed. Suggestions are text nodes (option values): never markup.
(function () {
  "use strict";
  var timer = null;

  function lastPart(value) {
    var parts = value.split(",");
    return { head: parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean), last: parts[parts.length - 1].trim() };
  }

  function suggest(input) {
    var list = input.list;
    if (!list) { return; }
    var parts = lastPart(input.value);
    var url = input.dataset.tagAutocomplete + "?q=" + encodeURIComponent(parts.last);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        var prefix = parts.head.length ? parts.head.join(", ") + ", " : "";
        (body.results || []).forEach(function (name) {
          var option = document.createElement("option");
          option.value = prefix + name;
          list.appendChild(option);
        });
      })
      .catch(function () { /* no suggestions: the field still works */ });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-tag-autocomplete]")) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(input); }, 150);
  });
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[data-tag-autocomplete]")) { suggest(input); }
  });
})();

// The queue's bulk form: "select all on this page" ticks every row; while rows are ticked the queue does not refresh
// itself (the refresh would replace the form and lose the choice).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[data-select-page]")) {
      var form = box.closest("form");
      form.querySelectorAll("input[name=references]").forEach(function (row) { row.checked = box.checked; });
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.elt;
    if (target && target.id === "queue-results" && target.querySelector("input[name=references]:checked, input[name=all_matching]:checked, input[data-select-page]:checked")) {
      event.preventDefault();
    }
  });
})();

// Lists with checkboxes (the alerts page): a header box selects every row on the page, and the page's own refresh
// waits while rows are selected, so that it never throws away a selection.
document.addEventListener("change", function (event) {
  var all = event.target;
  if (!all.matches || !all.matches("input[data-select-all]")) { return; }
  var form = all.closest("form");
  if (!form) { return; }
  form.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]').forEach(function (box) {
    box.checked = all.checked;
  });
});
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail.elt;
  var trigger = elt.getAttribute && elt.getAttribute("hx-trigger");
  if (trigger && /^every\s/.test(trigger) && elt.querySelector("input[type=checkbox]:checked")) {
    event.preventDefault();
  }
});

// Money moves and irreversible steps ask first: a form (or a submit button) with data-confirm="question".
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.dataset && button.dataset.confirm) || (form.dataset && form.dataset.confirm);
  if (form.dataset && form.dataset.confirmIf) {
    // Only when a field has the value that makes the step irreversible, e.g. data-confirm-if="passed=false".
    var parts = form.dataset.confirmIf.split("=");
    var field = form.elements[parts[0]];
    var value = field && (field.type === "checkbox" ? String(field.checked) : field.value);
    if (!field || value !== parts[1]) { question = null; }
  }
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
