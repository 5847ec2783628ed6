// Page header: who is connected (GET /api/v1/moi, same origin, with the session cookie). Text only, no markup.
(function () {
  "use strict";
  var slot = document.querySelector("[data-session]");
  if (!slot) { return; }
  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }
  fetch("/api/v1/moi", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (me) {
      if (!me) { return; }
      slot.textContent = "";
      if (me.authentifie) {
        var who = document.createElement("span");
        who.className = "pg-session-role";
        who.setAttribute("data-role", String(me.role));
        who.textContent = "Connecté : " + String(me.libelle) + (me.nom ? " (" + String(me.nom) + ")" : "");
        slot.appendChild(who);
        slot.appendChild(document.createTextNode(" · "));
        slot.appendChild(link("/deconnexion", "Se déconnecter"));
      } else if (document.body.getAttribute("data-page") !== "connexion") {
        var next = window.location.pathname + window.location.search;
        slot.appendChild(link("/connexion?suivant=" + encodeURIComponent(next), "Connexion professionnels"));
      } else {
        return;
      }
      slot.hidden = false;
      slot.setAttribute("data-ready", "1");
    })
    .catch(function () { /* the header stays empty: the page works without it */ });
})();
