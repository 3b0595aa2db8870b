// The comparison page's controls apply as they change: a changed profile, filter or
// order submits the form (a GET, so every view stays a link). Without JavaScript the
// Apply button does the same; with it the button is not needed, so it is hidden.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("comparison-controls");
    if (!form) { return; }
    var apply = form.querySelector("[data-cx-apply]");
    if (apply) { apply.hidden = true; }
    var hint = form.querySelector("[data-cx-live-hint]");
    if (hint) { hint.hidden = false; }
    form.addEventListener("change", function () {
      form.setAttribute("aria-busy", "true");
      form.submit();
    });
  });
})();
