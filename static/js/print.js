// The printable report's "Print" button: hidden until this script can make it work.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach((button) => {
    const control = button.closest("[data-print-control]");
    if (control) control.hidden = false;
    button.addEventListener("click", () => window.print());
  });
})();
