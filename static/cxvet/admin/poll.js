// Polls a JSON status URL for an element until the status says it has finished, calling
// render(element, data) with each answer. Shared by the report status and the rescoring
// progress, which differ only in how they draw what they receive.
window.cxPoll = function (selector, urlOf, render, options) {
  "use strict";
  var interval = options.intervalMs;
  var maxPolls = options.maxPolls; // a bound whatever happens on the server

  function poll(element, count) {
    if (element.dataset.finished === "true" || count > maxPolls) { return; }
    window.setTimeout(function () {
      fetch(urlOf(element), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) {
            render(element, data);
            element.dataset.finished = data.finished ? "true" : "false";
          }
          poll(element, count + 1);
        })
        .catch(function () { poll(element, count + 1); });
    }, interval);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(selector).forEach(function (element) { poll(element, 0); });
  });
};
