// The interactive API reference at /docs: Swagger UI, served from this app (no internet).
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
        deepLinking: true,
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
      });
    });
});
