/* Starts Redoc on /redoc (no inline script: the OpenAPI URL is read from a data attribute). */
(function () {
  "use strict";
  var url = document.body.getAttribute("data-openapi-url") || "/openapi.json";
  window.Redoc.init(url, { hideDownloadButton: false, disableSearch: false }, document.getElementById("rg-docs"));
})();
