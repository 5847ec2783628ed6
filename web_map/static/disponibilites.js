/* Availability page: the freshness of every figure, computed when the page is displayed (the HTML may come from
   a cache). A row whose figure is older than its limit (data-perimee-apres) is marked « périmé » and its number
   struck out: never shown as the places available now. No inline script (strict CSP): this file only. */
(function () {
  "use strict";

  function ago(ms) {
    var minutes = Math.max(1, Math.floor(ms / 60000));
    if (minutes < 60) { return "mis à jour il y a " + minutes + " min"; }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) { return "mis à jour il y a " + hours + " h"; }
    return "mis à jour il y a " + Math.floor(hours / 24) + " j";
  }

  function refresh() {
    var now = Date.now();
    var rows = document.querySelectorAll("tr.rg-dispo-row");
    Array.prototype.forEach.call(rows, function (row) {
      var maj = Date.parse(row.getAttribute("data-maj") || "");
      var limit = Date.parse(row.getAttribute("data-perimee-apres") || "");
      var stale = isNaN(maj) || isNaN(limit) || limit < now;
      row.classList.toggle("rg-dispo-perimee", stale);
      var state = row.querySelector(".rg-dispo-etat");
      var when = row.querySelector(".rg-dispo-quand");
      if (state) { state.textContent = stale ? "périmé" : ""; }
      if (when && !isNaN(maj)) {
        when.textContent = ago(Math.max(0, now - maj)) + (stale ? " (ne pas considérer comme actuel)" : "");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
  window.setInterval(refresh, 60000);
})();
