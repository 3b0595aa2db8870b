// Keeps rescoring progress bars current without a reload: each element with
// data-progress-url polls its job's JSON (cxvet/admin/poll.js) until the job is done,
// failed or superseded.
(function () {
  "use strict";

  function render(element, data) {
    var bar = element.querySelector("progress");
    var text = element.querySelector(".cx-rescore-text");
    if (bar) { bar.value = data.percent; }
    if (text) { text.textContent = data.done + " of " + data.total + " responses · " + data.label; }
    if (data.error && !element.querySelector(".errornote")) {
      var reason = document.createElement("div");
      reason.className = "errornote";
      reason.textContent = data.error;
      element.appendChild(reason);
    }
  }

  window.cxPoll("[data-progress-url]", function (element) { return element.dataset.progressUrl; },
    render, { intervalMs: 1500, maxPolls: 2400 }); // an hour at most
})();
