// Live status of a harvest run: polls the run's JSON state and updates the page.
// Without JavaScript the page has a « Refresh » link.
(function () {
  "use strict";
  var box = document.getElementById("run-status");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  function update(state) {
    document.querySelectorAll("[data-field]").forEach(function (el) {
      var name = el.getAttribute("data-field");
      if (!(name in state)) { return; }
      if (el.tagName === "PROGRESS") {
        if (state.percent !== null) { el.value = state.percent; el.textContent = state.percent + " %"; }
      } else {
        el.textContent = state[name];
      }
    });
    if (state.finished) { window.location.reload(); return; }
    window.setTimeout(poll, 1000);
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { update(state); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
