// The response page's answer filters apply as they are ticked: each answer row carries
// its marks (data-cx-marks: flagged, risky, clarification, unanswered, carried,
// changed); a row is shown when no box is ticked or it has any ticked mark. The same
// form works without JavaScript (the server filters on ?show=); here the address is
// kept in step, so a filtered view can still be shared or reloaded.
(function () {
  "use strict";

  function ticked(form) {
    var chosen = [];
    form.querySelectorAll("input[name=show]:checked").forEach(function (box) {
      chosen.push(box.value);
    });
    return chosen;
  }

  function matches(row, chosen) {
    if (!chosen.length) { return true; }
    var marks = (row.dataset.cxMarks || "").split(" ");
    return chosen.some(function (mark) { return marks.indexOf(mark) !== -1; });
  }

  function apply(form) {
    var chosen = ticked(form);
    var shownTotal = 0;
    document.querySelectorAll("[data-cx-section]").forEach(function (section) {
      var shown = 0;
      section.querySelectorAll("tr[data-cx-marks]").forEach(function (row) {
        var show = matches(row, chosen);
        row.hidden = !show;
        if (show) { shown += 1; }
      });
      section.hidden = shown === 0;
      shownTotal += shown;
      var count = document.querySelector(
        "[data-cx-section-count='" + section.dataset.cxSection + "']"
      );
      if (count) { count.textContent = String(shown); }
    });
    var status = form.querySelector("[data-cx-shown]");
    if (status) { status.textContent = String(shownTotal); }
    var none = document.getElementById("answers-none-shown");
    if (none) { none.hidden = shownTotal !== 0; }
    remember(chosen);
  }

  function withFilters(href, chosen) {
    var url = new URL(href, window.location.href);
    url.searchParams.delete("show");
    chosen.forEach(function (mark) { url.searchParams.append("show", mark); });
    return url.toString();
  }

  function remember(chosen) {
    window.history.replaceState(null, "", withFilters(window.location.href, chosen));
    // Switching profile keeps the filters.
    document.querySelectorAll("a[data-cx-keeps-filters]").forEach(function (link) {
      link.href = withFilters(link.getAttribute("href"), chosen);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("answer-filters");
    if (!form) { return; }
    var button = form.querySelector("[data-cx-apply]");
    if (button) { button.hidden = true; }
    form.addEventListener("change", function () { apply(form); });
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(form); });
    var clear = form.querySelector("[data-cx-clear]");
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        form.querySelectorAll("input[name=show]").forEach(function (box) { box.checked = false; });
        apply(form);
      });
    }
  });
})();
