/* Spreadsheet-map form: the chosen file's name in French beside the styled « Choisir un fichier… » label
   (the browser's own file button text follows the browser's language, not the page's). */
(function () {
  "use strict";
  function setup() {
    var input = document.getElementById("fichier");
    var name = document.getElementById("fichier-nom");
    if (!input || !name) return;
    function show() {
      name.textContent = input.files && input.files.length ? input.files[0].name : "Aucun fichier choisi";
    }
    input.addEventListener("change", show);
    show();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
