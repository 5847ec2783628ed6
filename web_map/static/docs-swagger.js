/* Starts Swagger UI on /docs (no inline script: the OpenAPI URL is read from a data attribute). */
(function () {
  "use strict";
  var url = document.body.getAttribute("data-openapi-url") || "/openapi.json";
  window.ui = window.SwaggerUIBundle({
    url: url,
    dom_id: "#rg-docs",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,  // no call to the public validator service
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
})();
