// Attendance sheet helpers: filter the list, tick every shown row, count the ticked.
// The page works without them (and without htmx): these only save taps on a phone.
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("attendance-form");
    if (!form) return;
    var filter = document.getElementById("attendance-filter");
    var selectAll = document.getElementById("select-all");
    var counter = form.querySelector(".selected-count");

    form.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

    function rows() { return Array.prototype.slice.call(form.querySelectorAll("tr.attendance-row")); }
    function box(row) { return row.querySelector("input[name=selected]"); }

    function recount() {
      var ticked = rows().filter(function (row) { return box(row).checked; }).length;
      if (counter) counter.textContent = ticked ? "(" + ticked + " " + counter.dataset.label + ")" : "";
      if (selectAll) {
        var shown = rows().filter(function (row) { return !row.hidden; });
        selectAll.checked = shown.length > 0 && shown.every(function (row) { return box(row).checked; });
      }
    }

    if (filter) {
      filter.addEventListener("input", function () {
        var query = filter.value.trim().toLowerCase();
        rows().forEach(function (row) {
          row.hidden = query !== "" && (row.dataset.search || "").indexOf(query) === -1;
        });
        recount();
      });
    }

    if (selectAll) {
      selectAll.addEventListener("change", function () {
        rows().forEach(function (row) {
          if (!row.hidden) box(row).checked = selectAll.checked;
        });
        recount();
      });
    }

    form.addEventListener("change", function (event) {
      if (event.target.name === "selected") recount();
    });
    // A row answered by htmx comes back unticked: keep the count honest.
    document.body.addEventListener("htmx:afterSettle", recount);
    recount();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
