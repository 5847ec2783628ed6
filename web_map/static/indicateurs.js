/* Controls of the indicator map (/cartes/taux-equipement): a plain GET form that works without this script.
   The script keeps "type d'offre" and "catégorie" exclusive (the API refuses both) and shows only the fields of
   the chosen indicator (niveau for the rates; radius and decay for the 2SFCA accessibility). */
(function () {
  "use strict";
  var form = document.getElementById("rg-indic-form");
  if (!form) return;
  var typeOffre = form.querySelector("#type_offre");
  var categorie = form.querySelector("#categorie");
  var indicateur = form.querySelector("#indicateur");

  function exclusive(changed, other) {
    changed.addEventListener("change", function () {
      if (changed.value) other.value = "";
    });
  }
  exclusive(typeOffre, categorie);
  exclusive(categorie, typeOffre);

  function showFields() {
    var access = indicateur.value === "accessibilite";
    Array.prototype.forEach.call(form.querySelectorAll(".rg-indic-taux"), function (el) {
      el.hidden = access;
      Array.prototype.forEach.call(el.querySelectorAll("select, input"), function (f) { f.disabled = access; });
    });
    Array.prototype.forEach.call(form.querySelectorAll(".rg-indic-access"), function (el) {
      el.hidden = !access;
      Array.prototype.forEach.call(el.querySelectorAll("select, input"), function (f) { f.disabled = !access; });
    });
  }
  indicateur.addEventListener("change", showFields);
  showFields();
})();
