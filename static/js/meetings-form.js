/* Meeting form: add agenda rows without a page reload.
 *
 * Without JavaScript the formset already offers empty rows ("extra" forms);
 * this only adds more, by copying the formset's empty form from a <template>.
 * The button is created here, so it never shows where it cannot work.
 */
(function () {
  "use strict";

  function setUp(list) {
    var rows = window.portalFormsetRows;
    var parts = rows.parts(list);
    if (!parts.template || !parts.total) {
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
      if (!rows.addRow(list)) {
        button.disabled = true;
      }
    });
  }

  document.querySelectorAll("[data-agenda-rows]").forEach(setUp);
})();
