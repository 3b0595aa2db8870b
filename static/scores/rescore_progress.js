// Keeps rescoring progress bars current without a reload: each element with
// data-progress-url polls its job's JSON until the job is done, failed or superseded.
(function () {
  "use strict";
  var INTERVAL_MS = 1500;
  var MAX_POLLS = 2400; // an hour at most, whatever happens

  function render(element, data) {
    var bar = element.querySelector("progress");
    var text = element.querySelector(".cx-rescore-text");
    if (bar) { bar.value = data.percent; }
    if (text) { text.textContent = data.done + " of " + data.total + " responses · " + data.label; }
    element.dataset.finished = data.finished ? "true" : "false";
    if (data.error && !element.querySelector(".errornote")) {
      var reason = document.createElement("div");
      reason.className = "errornote";
      reason.textContent = data.error;
      element.appendChild(reason);
    }
  }

  function poll(element, count) {
    if (element.dataset.finished === "true" || count > MAX_POLLS) { return; }
    window.setTimeout(function () {
      fetch(element.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) { render(element, data); }
          poll(element, count + 1);
        })
        .catch(function () { poll(element, count + 1); });
    }, INTERVAL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress-url]").forEach(function (element) { poll(element, 0); });
  });
})();
