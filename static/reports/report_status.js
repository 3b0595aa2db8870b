// Keeps report status elements up to date without reloading the page: every element
// with data-status-url polls its report's JSON status until the report is ready or
// failed, then shows the download link or the reason it failed.
(function () {
  "use strict";
  var INTERVAL_MS = 2000;
  var MAX_POLLS = 900; // half an hour at most, whatever happens

  function render(element, data) {
    element.textContent = data.label;
    element.className = "cx-report-status cx-report-" + data.status;
    element.dataset.finished = data.finished ? "true" : "false";
    var holder = element.parentNode;
    if (data.download_url && !holder.querySelector("a.cx-report-download")) {
      var link = document.createElement("a");
      link.href = data.download_url;
      link.className = "cx-report-download";
      link.textContent = "Download PDF";
      holder.appendChild(document.createTextNode(" "));
      holder.appendChild(link);
    }
    if (data.error && !holder.querySelector(".cx-report-error")) {
      var reason = document.createElement("div");
      reason.className = "cx-report-error errornote";
      reason.textContent = data.error;
      holder.appendChild(reason);
    }
  }

  function poll(element, count) {
    if (element.dataset.finished === "true" || count > MAX_POLLS) {
      return;
    }
    window.setTimeout(function () {
      fetch(element.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) { render(element, data); }
          poll(element, count + 1);
        })
        .catch(function () { poll(element, count + 1); });
    }, INTERVAL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-status-url]").forEach(function (element) {
      poll(element, 0);
    });
  });
})();
