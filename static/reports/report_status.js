// Keeps report status elements up to date without reloading the page: every element
// with data-status-url polls its report's JSON status (cxvet/admin/poll.js) until the
// report is ready or failed, then shows the download link or the reason it failed.
(function () {
  "use strict";

  function render(element, data) {
    element.textContent = data.label;
    element.className = "cx-report-status cx-report-" + data.status;
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

  window.cxPoll("[data-status-url]", function (element) { return element.dataset.statusUrl; },
    render, { intervalMs: 2000, maxPolls: 900 }); // half an hour at most
})();
