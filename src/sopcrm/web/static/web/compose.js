// The compose page: a preset button adds its paragraph to its section's text box (without
// JavaScript the button submits the form and the server does the same), and after an htmx
// preview the focus moves to the preview, which lists what stops the email from being sent.
// A file, not an inline script, so the pages stay ready for a Content Security Policy.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-preset-for]") : null;
    if (!button) {
      return;
    }
    var box = document.getElementById(button.getAttribute("data-preset-for"));
    if (!box) {
      return; // let the button submit the form: the server adds the paragraph
    }
    event.preventDefault();
    var text = button.getAttribute("data-preset-text") || "";
    var current = box.value.replace(/\s+$/, "");
    box.value = current ? current + "\n\n" + text : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "compose") {
      return;
    }
    var heading = document.getElementById("preview-heading");
    if (heading) {
      heading.focus({ preventScroll: true });
    }
  });
})();
