// Draws the playbook blueprints (<pre class="mermaid">) with the vendored Mermaid. Only the
// playbook page loads this file and Mermaid; it is a file, not an inline script, so the pages
// stay ready for a Content Security Policy.
(function () {
  "use strict";
  if (typeof window.mermaid === "undefined") {
    return; // the diagram text stays readable as it is
  }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  window.mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    theme: dark ? "dark" : "default",
    // Natural size: a wide blueprint scrolls sideways instead of shrinking to unreadable text.
    state: { useMaxWidth: false },
  });
  window.mermaid.run({ querySelector: "pre.mermaid" });
})();
