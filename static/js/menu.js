// Collapse the header navigation behind a "Menu" button on narrow screens.
// Without JavaScript the navigation simply stays open.
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (!button || !nav) return;
  var narrow = window.matchMedia("(max-width: 699px)");

  function apply() {
    if (narrow.matches) {
      button.hidden = false;
      nav.hidden = button.getAttribute("aria-expanded") !== "true";
    } else {
      button.hidden = true;
      nav.hidden = false;
    }
  }

  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    apply();
    if (!open) {
      var first = nav.querySelector("a, button");
      if (first) first.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      apply();
      button.focus();
    }
  });
  narrow.addEventListener("change", apply);
  apply();
})();
