// The live ticket page (docs/live.md): new events appear without a reload and without touching the reply box, and
// the bar above the page says who else has the ticket open and who is replying. A websocket brings the news; when
// it cannot connect, the page checks every 10 seconds instead and says so.
(function () {
  "use strict";

  var bar = document.getElementById("live");
  if (!bar || !window.WebSocket) { return; }
  var POLL_MS = 10000;
  var socket = null;
  var opened = false;
  var retries = 0;
  var pollTimer = null;
  var fetching = null;
  var replying = false;

  function lastEventId() {
    var page = document.getElementById("ticket-page");
    return page ? parseInt(page.dataset.lastEventId || "0", 10) : 0;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function setStatus(text) {
    document.getElementById("live-status").textContent = text || "";
  }

  // The page again, in the background; its timeline and header replace this page's. Forms are left alone: what the
  // agent is typing stays, and so does the event id their actions send (the collision guard).
  function refresh() {
    if (fetching) { return fetching; }
    fetching = fetch(window.location.pathname, {
      credentials: "same-origin",
      headers: { "X-Desk-Background": "1" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var freshPage = fresh.getElementById("ticket-page");
      var page = document.getElementById("ticket-page");
      if (!freshPage || !page) { return; }
      var before = lastEventId();
      [["#timeline", "#timeline"], [".ticket-head", ".ticket-head"]].forEach(function (pair) {
        var mine = page.querySelector(pair[0]);
        var theirs = freshPage.querySelector(pair[1]);
        if (mine && theirs) { mine.replaceWith(document.importNode(theirs, true)); }
      });
      page.dataset.lastEventId = freshPage.dataset.lastEventId;
      if (parseInt(freshPage.dataset.lastEventId || "0", 10) > before && opened) { setStatus(bar.dataset.tNew); }
    }).catch(function () { /* the next message or poll tries again */ }).then(function () { fetching = null; });
    return fetching;
  }

  function showPresence(people) {
    var line = document.getElementById("live-presence");
    var typing = people.filter(function (person) { return person.replying; });
    var parts = [];
    if (people.length) {
      parts.push(format(bar.dataset.tViewing, { names: people.map(function (p) { return p.name; }).join(", ") }));
    }
    typing.forEach(function (person) { parts.push(format(bar.dataset.tReplying, { name: person.name })); });
    line.textContent = parts.join(" · ");
    line.classList.toggle("is-replying", typing.length > 0);
  }

  function startPolling() {
    if (pollTimer) { return; }
    setStatus(bar.dataset.tOffline);
    pollTimer = window.setInterval(refresh, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
  }

  function url() {
    var base = bar.dataset.liveUrl;
    if (!base) { base = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host; }
    return base + bar.dataset.wsPath;
  }

  function sendReplying() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "replying", replying: replying }));
    }
  }

  function connect() {
    socket = new WebSocket(url());
    socket.addEventListener("open", function () {
      opened = true;
      retries = 0;
      stopPolling();
      setStatus("");
      if (replying) { sendReplying(); }
      refresh(); // whatever happened while the socket was closed
    });
    socket.addEventListener("message", function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.type === "changed" && data.event_id > lastEventId()) { refresh(); }
      if (data.type === "presence") { showPresence(data.people || []); }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      showPresence([]);
      startPolling();
      if (event.code === 4403) { return; } // refused: not a page this user may follow
      retries += 1;
      window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, retries)));
    });
  }

  // "Replying" while the reply box holds a draft; the box may be swapped by htmx, so the listener is on the document.
  document.addEventListener("input", function (event) {
    if (event.target && event.target.name === "body" && event.target.closest("form.reply-form")) {
      var now = event.target.value.trim() !== "";
      if (now !== replying) { replying = now; sendReplying(); }
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    var box = document.querySelector("form.reply-form textarea[name=body]");
    var now = !!(box && box.value.trim() !== "");
    if (now !== replying) { replying = now; sendReplying(); }
  });

  connect();
})();
