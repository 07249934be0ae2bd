// greatgame serve: live updates and the turn clock. Pages work without this script (plain forms and links);
// with it, they refresh their live parts when the server says a turn was adjudicated or a message arrived.
(function () {
  "use strict";
  var live = document.body.getAttribute("data-live");
  function busy() {
    var a = document.activeElement;
    return a && a.form && (a.tagName === "TEXTAREA" || a.tagName === "INPUT" || a.tagName === "SELECT");
  }
  function refresh() {
    fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) { return; }
        var doc = new DOMParser().parseFromString(text, "text/html");
        var parts = document.querySelectorAll("[data-part]");
        for (var i = 0; i < parts.length; i++) {
          var el = parts[i];
          var fresh = doc.getElementById(el.id);
          if (!fresh) { continue; }
          // Keep a form the reader is filling in; refresh everything else.
          if (el.getAttribute("data-part") === "form" && (busy() && el.contains(document.activeElement))) { continue; }
          el.replaceWith(fresh);
        }
        tick();
      });
  }
  function tick() {
    var c = document.getElementById("clock");
    if (!c) { return; }
    var now = Date.now();
    var opened = Number(c.getAttribute("data-opened"));
    var e = c.querySelector(".elapsed");
    if (e && opened) { e.textContent = Math.floor((now - opened) / 60000) + " min"; }
    var d = c.getAttribute("data-deadline");
    var l = c.querySelector(".left");
    if (l && d) {
      var s = Math.max(0, Math.round((Number(d) - now) / 1000));
      l.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    }
  }
  if (live && window.EventSource) {
    var es = new EventSource(live);
    ["turn", "message", "orders", "clock"].forEach(function (k) {
      es.addEventListener(k, refresh);
    });
  }
  setInterval(tick, 1000);
  tick();
})();
