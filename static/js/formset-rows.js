/* Add a row to a Django formset without a page reload: shared by the meeting and proposal forms.
 *
 * The list carries data-prefix (the formset's prefix), data-template (the id of a <template>
 * holding the formset's empty form) and data-legend (the rows' legend without the number).
 * Without JavaScript the forms work as they are; this only adds rows faster.
 */
window.portalFormsetRows = (function () {
  "use strict";

  function parts(list) {
    var prefix = list.getAttribute("data-prefix");
    return {
      template: document.getElementById(list.getAttribute("data-template")),
      total: document.getElementById("id_" + prefix + "-TOTAL_FORMS"),
      max: document.getElementById("id_" + prefix + "-MAX_NUM_FORMS")
    };
  }

  /* Append one empty row and focus its first text field; false when the formset is full. */
  function addRow(list) {
    var p = parts(list);
    var index = parseInt(p.total.value, 10);
    if (p.max && index >= parseInt(p.max.value, 10)) {
      return false;
    }
    list.insertAdjacentHTML("beforeend", p.template.innerHTML.replace(/__prefix__/g, String(index)));
    p.total.value = String(index + 1);
    var row = list.lastElementChild;
    var legend = row.querySelector("legend");
    if (legend) {
      legend.textContent = list.getAttribute("data-legend") + " " + (index + 1);
    }
    var first = row.querySelector("input[type=text]");
    if (first) {
      first.focus();
    }
    return true;
  }

  return {parts: parts, addRow: addRow};
})();
