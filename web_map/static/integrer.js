/* ror-gis embed builder (GET /cartes/integrer): choose a widget, its size and basemap, get the
 * <iframe> code and a live preview. Needs coordinateur.js (window.RorPages). */
(function () {
  "use strict";

  function start() {
    if (document.body.getAttribute("data-page") !== "integrer" || !window.RorPages) return;
    var P = window.RorPages;
    var $ = function (id) { return document.getElementById(id); };
    var body = document.body;
    var baseUrl = (body.getAttribute("data-base-url") || location.origin).replace(/\/+$/, "");
    var defaultFond = body.getAttribute("data-default-fond") || "plan-ign";
    var live = $("pg-copy-live");
    var state = { commune: null, offre: null, offreChecked: "" };
    var departements = {};
    var previewSrc = "";

    var combos = {
      type_offre: P.codeCombobox($("pg-type_offre"), $("pg-type_offre-list"), live, changed),
      activite: P.codeCombobox($("pg-activite"), $("pg-activite-list"), live, changed),
      cv_type_offre: P.codeCombobox($("pg-cv-type_offre"), $("pg-cv-type_offre-list"), live, changed),
    };
    P.communeCombobox($("pg-commune"), $("pg-commune-list"), live, function (c) {
      state.commune = c;
      changed();
    }, function () { return state.commune ? P.communeLabel(state.commune) : ""; });

    var publicReady = P.fillSelect($("pg-public")).catch(function () { /* the list stays "Tous" */ });
    var depReady = P.getJson("/api/v1/departements?geometry=none").then(function (fc) {
      (fc.features || []).forEach(function (f) {
        var p = f.properties || {};
        departements[p.code] = p.nom;
        $("pg-departement").appendChild(P.el("option", { value: p.code, text: p.code + " — " + p.nom }));
      });
    }).catch(function () { /* "Toute l'Île-de-France" only */ });

    function carte() {
      var checked = document.querySelector("input[name=carte]:checked");
      return checked ? checked.value : "commune";
    }

    function showSection() {
      var kind = carte();
      Array.prototype.forEach.call(document.querySelectorAll("fieldset[data-carte]"), function (fs) {
        fs.hidden = fs.getAttribute("data-carte") !== kind;
      });
    }

    function dim(id) {
      var v = parseInt($(id).value, 10);
      var unit = $(id + "-unit").value;
      if (!(v > 0)) v = id === "pg-width" ? 100 : 500;
      if (unit === "%" && v > 100) v = 100;
      return { value: v, unit: unit, attr: unit === "%" ? v + "%" : String(v), css: v + unit };
    }

    function query(params) {
      var s = params.toString();
      return s ? "?" + s : "";
    }

    /** {path, title, problem} of the chosen widget. */
    function widget() {
      var kind = carte();
      var fond = $("pg-fond").value;
      var p = new URLSearchParams();
      if (kind === "commune") {
        var c = state.commune;
        if (!c) return { problem: "Choisissez une commune pour obtenir le code." };
        if (combos.type_offre.value()) p.set("type_offre", combos.type_offre.value());
        if ($("pg-public").value) p.set("public", $("pg-public").value);
        if (combos.activite.value()) p.set("activite", combos.activite.value());
        if (fond !== defaultFond) p.set("fond", fond);
        if ($("pg-compact").checked) p.set("mode", "compact");
        var title = "Carte des offres du ROR couvrant " + (c.nom || c.insee);
        if (combos.type_offre.value()) title += " — " + combos.type_offre.label();
        return { path: "/cartes/commune/" + encodeURIComponent(c.insee) + query(p), title: title };
      }
      if (kind === "couverture") {
        var type = combos.cv_type_offre.value();
        if (!type) return { problem: "Choisissez un type d'offre pour obtenir le code." };
        p.set("type_offre", type);
        var dep = $("pg-departement").value;
        if (dep) p.set("departement", dep);
        if ($("pg-mesure").value) p.set("par", $("pg-mesure").value);
        if (fond !== defaultFond) p.set("fond", fond);
        if ($("pg-compact").checked) p.set("mode", "compact");
        return { path: "/cartes/couverture" + query(p),
                 title: "Couverture par les offres « " + combos.cv_type_offre.label() + " » — " +
                   (dep ? (departements[dep] || "département " + dep) : "Île-de-France") };
      }
      var id = state.offre || $("pg-offre").value.trim();
      if (!id) return { problem: "Saisissez l'identifiant d'une offre pour obtenir le code." };
      if (state.offreMissing) return { problem: "Aucune offre publique ne porte l'identifiant « " + id + " »." };
      if (fond !== defaultFond) p.set("fond", fond);
      if ($("pg-compact").checked) p.set("mode", "compact");
      return { path: "/cartes/offre/" + encodeURIComponent(id) + query(p),
               title: "Territoire d'intervention de l'offre " + (state.offreNom || id) };
    }

    function attr(s) {
      return String(s).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    }

    function writeUrl() {
      var q = new URLSearchParams();
      var kind = carte();
      q.set("carte", kind);
      if (kind === "commune") {
        if (state.commune) q.set("insee", state.commune.insee);
        if (combos.type_offre.value()) q.set("type_offre", combos.type_offre.value());
        if ($("pg-public").value) q.set("public", $("pg-public").value);
        if (combos.activite.value()) q.set("activite", combos.activite.value());
      } else if (kind === "couverture") {
        if (combos.cv_type_offre.value()) q.set("type_offre", combos.cv_type_offre.value());
        if ($("pg-departement").value) q.set("departement", $("pg-departement").value);
        if ($("pg-mesure").value) q.set("par", $("pg-mesure").value);
      } else if ($("pg-offre").value.trim()) {
        q.set("offre", $("pg-offre").value.trim());
      }
      var w = dim("pg-width"), h = dim("pg-height");
      if (w.css !== "100%") q.set("largeur", w.css);
      if (h.css !== "500px") q.set("hauteur", h.css);
      if ($("pg-fond").value !== defaultFond) q.set("fond", $("pg-fond").value);
      if ($("pg-compact").checked) q.set("mode", "compact");
      history.replaceState(null, "", location.pathname + "?" + q.toString());
    }

    var updatePreview = P.debounce(function (path) {
      var frame = $("pg-preview");
      if (!path) {
        if (previewSrc) frame.removeAttribute("src");
        previewSrc = "";
        return;
      }
      if (path !== previewSrc) {
        previewSrc = path;
        frame.src = path;  // same origin: the preview works whatever public_url says
      }
    }, 400);

    function render() {
      showSection();
      var w = widget();
      var titleInput = $("pg-title");
      if (titleInput.getAttribute("data-auto") !== "0") titleInput.value = w.title || "";
      var problem = $("pg-code-problem");
      var code = $("pg-code");
      var width = dim("pg-width"), height = dim("pg-height");
      var frame = $("pg-preview");
      frame.style.width = width.css;
      frame.style.height = height.css;
      frame.title = "Aperçu : " + (titleInput.value || "carte");
      $("pg-preview").parentNode.classList.toggle("pg-pct-height", height.unit === "%");
      if (w.problem) {
        problem.textContent = w.problem;
        problem.hidden = false;
        code.value = "";
        $("pg-copy").disabled = true;
        $("pg-open").hidden = true;
        updatePreview("");
      } else {
        problem.hidden = true;
        problem.textContent = "";
        var title = titleInput.value.trim() || w.title;
        code.value = '<iframe src="' + attr(baseUrl + w.path) + '" title="' + attr(title) + '" width="' +
          attr(width.attr) + '" height="' + attr(height.attr) + '" loading="lazy" style="border:0"></iframe>';
        $("pg-copy").disabled = false;
        $("pg-open").hidden = false;
        $("pg-open").href = w.path;
        updatePreview(w.path);
      }
      writeUrl();
    }

    function changed() { render(); }

    // Offer id: check it exists (and use its ROR id in the URL).
    var checkOffre = P.debounce(function () {
      var id = $("pg-offre").value.trim();
      var out = $("pg-offre-check");
      if (!id) { out.textContent = ""; return; }
      if (id === state.offreChecked) return;
      state.offreChecked = id;
      out.textContent = "Vérification…";
      P.getJson("/api/v1/services/" + id.split("/").map(encodeURIComponent).join("/")).then(function (o) {
        if ($("pg-offre").value.trim() !== id) return;
        state.offre = o.id;
        state.offreNom = o.nom;
        state.offreMissing = false;
        out.textContent = "Offre trouvée : " + o.nom + ".";
        render();
      }).catch(function (err) {
        if ($("pg-offre").value.trim() !== id) return;
        state.offre = null;
        state.offreNom = null;
        state.offreMissing = !!(err && err.status === 404);
        out.textContent = err && err.status === 404 ? "Aucune offre publique ne porte cet identifiant."
          : (err && err.message) || "Vérification impossible.";
        render();
      });
    }, 400);

    $("pg-offre").addEventListener("input", function () {
      state.offre = null;
      state.offreNom = null;
      state.offreMissing = false;
      state.offreChecked = "";
      render();
      checkOffre();
    });
    $("pg-title").addEventListener("input", function () {
      $("pg-title").setAttribute("data-auto", $("pg-title").value.trim() ? "0" : "1");
      render();
    });
    Array.prototype.forEach.call(document.querySelectorAll("input[name=carte]"), function (r) {
      r.addEventListener("change", render);
    });
    ["pg-width", "pg-height"].forEach(function (id) { $(id).addEventListener("input", render); });
    ["pg-width-unit", "pg-height-unit", "pg-fond", "pg-public", "pg-departement", "pg-mesure",
     "pg-compact"].forEach(function (id) {
      $(id).addEventListener("change", render);
    });
    $("pg-embed-form").addEventListener("submit", function (e) { e.preventDefault(); render(); });
    $("pg-code").addEventListener("focus", function () { $("pg-code").select(); });

    $("pg-copy").addEventListener("click", function () {
      var code = $("pg-code");
      var text = code.value;
      if (!text) return;
      function done() { announce("Code copié dans le presse-papiers : collez-le dans votre page."); }
      function fallback() {
        code.focus();
        code.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        if (ok) done();
        else announce("Copie automatique impossible : le code est sélectionné, copiez-le avec Ctrl+C (ou ⌘+C).");
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });

    function announce(msg) {
      live.textContent = "";
      setTimeout(function () { live.textContent = msg; }, 30);
    }

    function parseDim(value, id) {
      var m = /^(\d{1,5})\s*(px|%)?$/.exec((value || "").trim());
      if (!m) return;
      $(id).value = m[1];
      $(id + "-unit").value = m[2] || "px";
    }

    // Prefill from the query string.
    var q = new URLSearchParams(location.search);
    var kind = q.get("carte");
    if (["commune", "couverture", "offre"].indexOf(kind) === -1) kind = q.get("offre") ? "offre" : "commune";
    document.querySelector("input[name=carte][value=" + kind + "]").checked = true;
    var fond = q.get("fond");
    $("pg-fond").value = ["plan-ign", "osm", "aucun"].indexOf(fond) !== -1 ? fond : defaultFond;
    if (!$("pg-fond").value) $("pg-fond").value = "plan-ign";
    $("pg-compact").checked = q.get("mode") === "compact";
    $("pg-mesure").value = q.get("par") === "10000" ? "10000" : "";
    parseDim(q.get("largeur") || q.get("width"), "pg-width");
    parseDim(q.get("hauteur") || q.get("height"), "pg-height");
    var first = function (name) { return (q.get(name) || "").split(",")[0].trim(); };
    var jobs = [publicReady, depReady];
    if (kind === "couverture") {
      jobs.push(combos.cv_type_offre.set(first("type_offre")));
    } else {
      jobs.push(combos.type_offre.set(first("type_offre")));
      jobs.push(combos.activite.set(first("activite")));
    }
    var insee = first("insee");
    if (insee && kind === "commune") {
      jobs.push(P.getJson("/api/v1/communes/" + encodeURIComponent(insee) + "?geometry=none").then(function (f) {
        var p = f.properties || {};
        state.commune = { insee: p.insee, nom: p.nom, departement: p.departement };
        $("pg-commune").value = P.communeLabel(state.commune);
      }).catch(function (err) {
        $("pg-commune").value = "";
        announce((err && err.message) || "Commune introuvable.");
      }));
    }
    if (kind === "offre" && (q.get("offre") || q.get("id"))) {
      $("pg-offre").value = (q.get("offre") || q.get("id")).trim();
      checkOffre();
    }
    render();
    Promise.all(jobs.map(function (j) { return Promise.resolve(j).catch(function () {}); })).then(function () {
      $("pg-public").value = first("public");
      if ($("pg-public").value !== first("public")) $("pg-public").value = "";
      $("pg-departement").value = first("departement");
      if ($("pg-departement").value !== first("departement")) $("pg-departement").value = "";
      render();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
