// My day: after htmx swaps a task or a deal in place (done, or back with an error), the focus
// moves to what replaced the button that was pressed, so a keyboard or screen reader user
// hears the outcome and carries on from there. A file, not an inline script (for a CSP).
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function () {
    var done = document.querySelector("[data-my-day-focus]");
    if (done) {
      done.removeAttribute("data-my-day-focus");
      done.focus();
      return;
    }
    var item = document.querySelector("[data-my-day-errors]");
    if (item) {
      item.removeAttribute("data-my-day-errors");
      var invalid = item.querySelector('[aria-invalid="true"]');
      if (invalid) {
        invalid.focus();
      }
    }
  });
})();
