// Keyboard shortcuts of the desk (docs/power-tools.md): j/k move in the queue, Enter opens, r reply, n note,
// m macro, ? the list. Keys typed into a field, or with Ctrl/Alt/Meta, are left alone.
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    if (event.ctrlKey || event.altKey || event.metaKey) { return true; }
    if (!el || !el.tagName) { return false; }
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-results table.queue tbody tr"));
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var current = all.findIndex(function (row) { return row.classList.contains("kbd-current"); });
    var next = current < 0 ? 0 : Math.min(all.length - 1, Math.max(0, current + step));
    all.forEach(function (row) { row.classList.remove("kbd-current"); row.removeAttribute("aria-selected"); });
    all[next].classList.add("kbd-current");
    all[next].setAttribute("aria-selected", "true");
    all[next].scrollIntoView({ block: "nearest" });
    var link = all[next].querySelector("a[href]");
    if (link) { link.focus({ preventScroll: true }); }
  }

  function open() {
    var row = document.querySelector("#queue-results tr.kbd-current a[href]");
    if (row) { window.location.href = row.href; }
  }

  function reply(kind) {
    var form = document.querySelector("form.reply-form");
    if (!form) { return; }
    var radio = form.querySelector("input[name=kind][value=" + kind + "]");
    if (radio && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var box = form.querySelector("textarea");
    if (box) { box.focus(); }
  }

  function macro() {
    var picker = document.querySelector("[data-macro-picker]");
    if (picker) { picker.focus(); }
  }

  function help() {
    var dialog = document.getElementById("keyboard-help");
    if (!dialog) { return; }
    if (dialog.open) { dialog.close(); } else if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
  }

  var keys = {
    j: function () { move(1); },
    k: function () { move(-1); },
    Enter: open,
    r: function () { reply("reply"); },
    n: function () { reply("note"); },
    m: macro,
    "?": help
  };

  document.addEventListener("keydown", function (event) {
    if (typing(event)) { return; }
    var action = keys[event.key];
    if (!action) { return; }
    if (event.key === "Enter" && !document.querySelector("#queue-results tr.kbd-current")) { return; }
    event.preventDefault();
    action();
  });
})();
