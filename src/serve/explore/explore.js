// greatgame serve, Explore page: keep a running run's progress bar current, and reload the page when the run
// ends (its results, or its error). Without this script the run's page reloads itself every two seconds.
(function () {
  "use strict";
  var bar = document.getElementById("explore-progress");
  var text = document.getElementById("progress-text");
  if (bar && bar.getAttribute("data-progress") && window.fetch) {
    var url = bar.getAttribute("data-progress");
    var poll = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) { setTimeout(poll, 2000); return; }
          bar.max = p.total;
          bar.value = p.done;
          bar.textContent = p.percent + "%";
          if (text) {
            text.textContent = p.phase === "writing"
              ? p.done + " of " + p.total + " trials done; writing the tables and charts\u2026"
              : p.done + " of " + p.total + " trials (" + p.percent + "%)";
          }
          if (p.phase === "done" || p.phase === "failed") {
            window.location.reload();
          } else {
            setTimeout(poll, 500);
          }
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    poll();
  }
  var form = document.getElementById("explore-form");
  if (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("button[type=submit]");
      if (b) { b.disabled = true; b.textContent = "Starting\u2026"; }
    });
    // A page restored from the back-forward cache gets its button back.
    window.addEventListener("pageshow", function () {
      var b = form.querySelector("button[type=submit]");
      if (b) { b.disabled = false; b.textContent = "Run"; }
    });
  }
})();
