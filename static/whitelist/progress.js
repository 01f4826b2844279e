// Live progress of the whitelist sync: polls the progress endpoint and updates the counters in place.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("wl-progress");
    if (!box) return;
    var url = box.getAttribute("data-url");
    function lookup(obj, path) {
      return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj);
    }
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          document.querySelectorAll("[data-key]").forEach(function (el) {
            var v = lookup(data, el.getAttribute("data-key"));
            if (v !== undefined) el.textContent = String(v);
          });
        })
        .catch(function () { /* the next tick tries again */ });
    }
    setInterval(tick, 3000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
