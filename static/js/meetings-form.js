/* Meeting form: add agenda rows without a page reload.
 *
 * Without JavaScript the formset already offers empty rows ("extra" forms);
 * this only adds more, by copying the formset's empty form from a <template>.
 * The button is created here, so it never shows where it cannot work.
 */
(function () {
  "use strict";

  function setUp(list) {
    var prefix = list.getAttribute("data-prefix");
    var template = document.getElementById(list.getAttribute("data-template"));
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    if (!template || !total) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = list.getAttribute("data-add-label");
    var holder = document.createElement("p");
    holder.appendChild(button);
    list.parentNode.insertBefore(holder, list.nextSibling);

    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) {
        button.disabled = true;
        return;
      }
      list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
      total.value = String(index + 1);
      var row = list.lastElementChild;
      var legend = row.querySelector("legend");
      if (legend) {
        legend.textContent = list.getAttribute("data-legend") + " " + (index + 1);
      }
      var first = row.querySelector("input[type=text]");
      if (first) {
        first.focus();
      }
    });
  }

  document.querySelectorAll("[data-agenda-rows]").forEach(setUp);
})();
