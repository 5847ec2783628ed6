/* « Signaler une anomalie » form: posts the report as JSON to /api/v1/signalements and shows the French answer
   (thanks, validation error, or the rate-limit message). Texts are set with textContent only. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ed-data").textContent);
  var form = document.getElementById("ed-report-form");
  var result = document.getElementById("ed-report-result");
  if (!form) { return; }

  function show(text, isError) {
    result.textContent = text;
    result.className = "ed-live" + (isError ? " ed-error" : " ed-ok");
    if (isError) { result.setAttribute("role", "alert"); } else { result.setAttribute("role", "status"); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var description = form.elements.description.value.trim();
    var email = form.elements.email.value.trim();
    if (description.length < 5) {
      show("Décrivez l'anomalie (au moins 5 caractères).", true);
      form.elements.description.focus();
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var body = { cible_type: data.cible_type, cible: data.cible, categorie: form.elements.categorie.value,
                 description: description, email: email || null };
    // credentials "omit": the report is anonymous; a page session never acts through this public form.
    fetch("/api/v1/signalements", {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (response.status === 201) {
          form.hidden = true;
          show(json.message || "Merci : votre signalement a été transmis.", false);
          return;
        }
        var message = json.detail || "Le signalement n'a pas pu être envoyé.";
        if (response.status === 429 && response.headers.get("Retry-After")) {
          message += " (délai : " + response.headers.get("Retry-After") + " s)";
        }
        show(message, true);
        button.disabled = false;
      });
    }).catch(function () {
      show("Le service ne répond pas : réessayez dans quelques instants.", true);
      button.disabled = false;
    });
  });
})();
