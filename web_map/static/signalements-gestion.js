/* Processing of the anomaly reports (administrators, référents): each row's form PATCHes the new status with the
   page session's CSRF token (X-CSRF-Token). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ed-data").textContent);
  var live = document.getElementById("ed-live");
  var LABELS = { nouveau: "Nouveau", en_cours: "En cours", corrige: "Corrigé", rejete: "Rejeté" };

  function say(text, isError) {
    live.textContent = text;
    live.className = "ed-live" + (isError ? " ed-error" : "");
  }

  Array.prototype.forEach.call(document.querySelectorAll(".ed-status-form"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var id = form.getAttribute("data-id");
      var headers = { "Content-Type": "application/json", Accept: "application/json" };
      if (data.csrf) { headers["X-CSRF-Token"] = data.csrf; }
      var comment = form.elements.commentaire.value.trim();
      fetch("/api/v1/signalements/" + encodeURIComponent(id), {
        method: "PATCH", credentials: "same-origin", headers: headers,
        body: JSON.stringify({ statut: form.elements.statut.value, commentaire: comment || null })
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (!response.ok) {
            say("Signalement n° " + id + " : " + (json.detail || "modification refusée."), true);
            return;
          }
          var row = form.closest("tr");
          row.querySelector(".ed-statut").textContent = LABELS[json.statut] || json.statut;
          form.elements.commentaire.value = "";
          say("Signalement n° " + id + " : statut « " + (LABELS[json.statut] || json.statut) + " » enregistré.", false);
        });
      }).catch(function () { say("Le service ne répond pas : réessayez.", true); });
    });
  });
})();
