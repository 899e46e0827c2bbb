/* Proposal form: add budget rows without a reload, and show subtotals and the total as people type.
 *
 * Without JavaScript the form already works: empty rows are there, "Tambah baris" asks the
 * server for one more, and the server computes every subtotal and the total when it saves.
 * The figures shown here are a preview only; the server's are the ones kept.
 */
(function () {
  "use strict";

  function parseRupiah(text) {
    var raw = String(text || "").replace(/^\s*rp\.?\s*/i, "").replace(/\s+/g, "").replace(/,(-|0{1,2})$/, "");
    if (/^\d{1,3}(\.\d{3})+$/.test(raw)) {
      raw = raw.replace(/\./g, "");
    }
    return /^\d+$/.test(raw) ? parseInt(raw, 10) : null;
  }

  function parseVolume(text) {
    var raw = String(text || "").replace(/\s+/g, "");
    if (raw.indexOf(",") >= 0) {
      raw = raw.replace(/\./g, "").replace(",", ".");
    } else if (/^\d{1,3}(\.\d{3})+$/.test(raw)) {
      raw = raw.replace(/\./g, "");
    }
    return /^\d+(\.\d+)?$/.test(raw) ? parseFloat(raw) : null;
  }

  function rupiah(amount) {
    return "Rp" + String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function setUp(list) {
    var parts = window.portalFormsetRows.parts(list);
    var form = list.closest("form");
    var output = form.querySelector("[data-budget-total]");
    var addButton = form.querySelector("[data-add-row]");

    function field(row, name) {
      return row.querySelector("[name$='-" + name + "']");
    }

    function recompute() {
      var sum = 0;
      var complete = true;
      list.querySelectorAll("[data-budget-row]").forEach(function (row) {
        var cell = row.querySelector("[data-subtotal]");
        var remove = field(row, "DELETE");
        var volume = parseVolume(field(row, "volume").value);
        var cost = parseRupiah(field(row, "unit_cost").value);
        var blank = !field(row, "item").value.trim() && !field(row, "volume").value.trim() &&
          !field(row, "unit_cost").value.trim();
        if (volume === null || cost === null) {
          cell.textContent = "—";
          if (!blank && !(remove && remove.checked)) {
            complete = false;
          }
          return;
        }
        var subtotal = Math.round(volume * cost);
        cell.textContent = rupiah(subtotal);
        if (!(remove && remove.checked)) {
          sum += subtotal;
        }
      });
      if (output) {
        output.textContent = sum > 0 || complete ? rupiah(sum) : "—";
      }
    }

    list.addEventListener("input", recompute);
    list.addEventListener("change", recompute);

    if (addButton && parts.template && parts.total) {
      addButton.addEventListener("click", function (event) {
        event.preventDefault();
        if (!window.portalFormsetRows.addRow(list)) {
          addButton.disabled = true;
        }
      });
    }
    recompute();
  }

  document.querySelectorAll("[data-budget-rows]").forEach(setUp);
})();
