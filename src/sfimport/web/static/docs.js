// The interactive API reference at /docs: Swagger UI, served from this app (no internet).
// Each operation's toggle button is labelled "get /api/..." while it shows "GET /api/...
// List ..."; its aria-label is dropped so the name a screen reader says is the text shown.
function nameTogglesByTheirText(root) {
  root.querySelectorAll(".opblock-summary-control[aria-label]").forEach(function (button) {
    button.removeAttribute("aria-label");
  });
}

// The bundled Swagger UI (4.x) reads OpenAPI 3.0 documents; /openapi.json is 3.1, whose
// schemas it shows the same way, so the page hands it the document labelled 3.0.3.
window.addEventListener("load", function () {
  fetch("/openapi.json", { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (spec) {
      spec.openapi = "3.0.3";
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: "#swagger-ui",
        // Deep links put a link inside each operation's toggle button (a control nested in
        // a control, which screen readers cannot reach); without them the toggle is one button.
        deepLinking: false,
        // The highlighter's token colours on its dark background are below 4.5:1 contrast;
        // plain light text on that background is not.
        syntaxHighlight: { activated: false },
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
      });
      var root = document.getElementById("swagger-ui");
      nameTogglesByTheirText(root);
      new MutationObserver(function () { nameTogglesByTheirText(root); })
        .observe(root, { childList: true, subtree: true });
    });
});
