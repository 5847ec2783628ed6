/* Zone d'intervention editor: divisions (commune search, départements), a free-form polygon (drawn with
   Leaflet.draw when available, or uploaded as GeoJSON), saved with PUT + If-Match (optimistic concurrency) and the
   page session's CSRF token. Texts are set with textContent only; data come from the same-origin JSON API. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ed-data").textContent);
  var TYPES = { "1": "Région", "2": "Département", "3": "Commune" };
  var state = { divisions: [], polygone: null, etag: null };
  var $ = function (id) { return document.getElementById(id); };
  var statusBox = $("ed-status");

  function say(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "ed-live" + (kind === "error" ? " ed-error" : "");
    statusBox.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function headers(extra) {
    var h = { Accept: "application/json" };
    if (data.csrf) { h["X-CSRF-Token"] = data.csrf; }
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }

  // Map -------------------------------------------------------------------------------------------------
  var map = L.map("ed-map", { minZoom: 5, maxZoom: 18 }).setView([48.71, 2.5], 9);
  if (data.basemap) {
    L.tileLayer(data.basemap.url, { attribution: data.basemap.attribution, maxZoom: data.basemap.maxZoom }).addTo(map);
  }
  var divisionLayer = L.featureGroup().addTo(map);
  var drawn = L.featureGroup().addTo(map);
  var polygonStyle = { color: "#B26B00", weight: 2, fillOpacity: 0.25 };
  var geometryCache = {};

  if (data.draw && L.Control && L.Control.Draw) {
    if (L.drawLocal) {
      L.drawLocal.draw.toolbar.buttons.polygon = "Dessiner un polygone";
      L.drawLocal.draw.toolbar.buttons.rectangle = "Dessiner un rectangle";
      L.drawLocal.draw.toolbar.actions.text = "Annuler";
      L.drawLocal.draw.toolbar.finish.text = "Terminer";
      L.drawLocal.draw.toolbar.undo.text = "Effacer le dernier point";
      L.drawLocal.draw.handlers.polygon.tooltip.start = "Cliquez pour commencer le polygone.";
      L.drawLocal.draw.handlers.polygon.tooltip.cont = "Cliquez pour continuer le polygone.";
      L.drawLocal.draw.handlers.polygon.tooltip.end = "Cliquez sur le premier point pour fermer le polygone.";
      L.drawLocal.draw.handlers.rectangle.tooltip.start = "Cliquez et faites glisser pour tracer un rectangle.";
      L.drawLocal.edit.toolbar.buttons.edit = "Modifier le polygone";
      L.drawLocal.edit.toolbar.buttons.remove = "Supprimer le polygone";
      L.drawLocal.edit.toolbar.actions.save.text = "Valider";
      L.drawLocal.edit.toolbar.actions.cancel.text = "Annuler";
      L.drawLocal.edit.toolbar.actions.clearAll.text = "Tout effacer";
    }
    map.addControl(new L.Control.Draw({
      draw: { polyline: false, circle: false, marker: false, circlemarker: false,
              polygon: { allowIntersection: false, shapeOptions: polygonStyle },
              rectangle: { shapeOptions: polygonStyle } },
      edit: { featureGroup: drawn }
    }));
    map.on(L.Draw.Event.CREATED, function (e) { drawn.addLayer(e.layer); syncPolygon(); });
    map.on(L.Draw.Event.EDITED, syncPolygon);
    map.on(L.Draw.Event.DELETED, syncPolygon);
  }

  function syncPolygon() {
    var polygons = [];
    drawn.eachLayer(function (layer) {
      var g = layer.toGeoJSON().geometry;
      if (g.type === "Polygon") { polygons.push(g.coordinates); }
      if (g.type === "MultiPolygon") { polygons = polygons.concat(g.coordinates); }
    });
    state.polygone = polygons.length === 0 ? null
      : polygons.length === 1 ? { type: "Polygon", coordinates: polygons[0] }
      : { type: "MultiPolygon", coordinates: polygons };
    $("ed-polygon-state").textContent = state.polygone
      ? "Polygone défini (" + polygons.length + " partie" + (polygons.length > 1 ? "s" : "") + ")."
      : "Aucun polygone.";
  }

  function showPolygon(geometry) {
    drawn.clearLayers();
    if (geometry) {
      L.geoJSON(geometry, { style: polygonStyle }).eachLayer(function (layer) {
        // one editable layer per polygon part
        if (layer.getLatLngs && geometry.type === "MultiPolygon") {
          layer.getLatLngs().forEach(function (part) { drawn.addLayer(L.polygon(part, polygonStyle)); });
        } else { drawn.addLayer(layer); }
      });
    }
    syncPolygon();
  }

  function divisionUrl(d) {
    if (d.type_division === "3") { return "/api/v1/communes/" + encodeURIComponent(d.code) + "?geometrie=simplified"; }
    if (d.type_division === "2") { return "/api/v1/departements/" + encodeURIComponent(d.code) + "?geometrie=simplified"; }
    return null;
  }

  function drawDivisions() {
    divisionLayer.clearLayers();
    var pending = state.divisions.slice(0, 200).map(function (d) {
      var url = divisionUrl(d);
      if (!url) { return Promise.resolve(null); }
      var cached = geometryCache[url];
      var got = cached ? Promise.resolve(cached) : fetch(url, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (f) { geometryCache[url] = f; return f; });
      return got.then(function (feature) {
        if (feature && feature.geometry) {
          L.geoJSON(feature, { style: { color: "#005A9C", weight: 1.5, fillOpacity: 0.15 } }).addTo(divisionLayer);
        }
      }).catch(function () { return null; });
    });
    return Promise.all(pending).then(fit);
  }

  function fit() {
    var bounds = L.latLngBounds([]);
    [divisionLayer, drawn].forEach(function (g) { if (g.getLayers().length) { bounds.extend(g.getBounds()); } });
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10], animate: false }); }
    map.getContainer().setAttribute("data-ready", "1");
  }

  // Divisions list -------------------------------------------------------------------------------------
  function renderDivisions() {
    var list = $("ed-divisions");
    list.textContent = "";
    if (!state.divisions.length) {
      var empty = document.createElement("li");
      empty.textContent = "Aucune division.";
      list.appendChild(empty);
    }
    state.divisions.forEach(function (d, index) {
      var li = document.createElement("li");
      li.setAttribute("data-code", d.code);
      var label = document.createElement("span");
      label.textContent = (TYPES[d.type_division] || d.type_division) + " " + (d.nom || "") + " (" + d.code + ")";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Retirer";
      remove.setAttribute("aria-label", "Retirer " + (d.nom || d.code));
      remove.addEventListener("click", function () {
        state.divisions.splice(index, 1);
        renderDivisions();
        drawDivisions();
      });
      li.appendChild(label);
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  function addDivision(type, code, nom) {
    var exists = state.divisions.some(function (d) { return d.type_division === type && d.code === code; });
    if (exists) { say((nom || code) + " figure déjà dans la zone.", "info"); return; }
    state.divisions.push({ type_division: type, code: code, nom: nom });
    renderDivisions();
    drawDivisions();
    say((TYPES[type] || "") + " " + (nom || code) + " ajouté(e) à la zone (non enregistré).", "info");
  }

  // Commune search (the existing autocomplete API) ---------------------------------------------------------
  var communeInput = $("ed-commune");
  var communeList = $("ed-commune-list");
  var timer = null;
  communeInput.addEventListener("input", function () {
    clearTimeout(timer);
    var q = communeInput.value.trim();
    if (q.length < 2) { communeList.hidden = true; return; }
    timer = setTimeout(function () {
      fetch("/api/v1/communes?limit=8&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (json) {
          communeList.textContent = "";
          (json.results || []).forEach(function (hit, i) {
            var li = document.createElement("li");
            li.className = "pg-option";
            li.setAttribute("role", "option");
            li.id = "ed-commune-opt-" + i;
            li.textContent = hit.label + " – " + hit.insee;
            li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(hit); });
            communeList.appendChild(li);
          });
          communeList.hidden = !(json.results || []).length;
          communeInput.setAttribute("aria-expanded", communeList.hidden ? "false" : "true");
        });
    }, 150);
  });
  communeInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      e.preventDefault();
      var first = communeList.querySelector(".pg-option");
      if (first && !communeList.hidden) { first.dispatchEvent(new MouseEvent("mousedown", { cancelable: true })); }
    } else if (e.key === "Escape") { communeList.hidden = true; }
  });
  function pick(hit) {
    communeList.hidden = true;
    communeInput.setAttribute("aria-expanded", "false");
    communeInput.value = "";
    addDivision("3", hit.insee, hit.nom);
  }

  // Départements ------------------------------------------------------------------------------------------
  fetch("/api/v1/departements?geometrie=none", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    .then(function (fc) {
      var select = $("ed-departement");
      (fc.features || []).forEach(function (f) {
        var opt = document.createElement("option");
        opt.value = f.properties.code;
        opt.textContent = f.properties.nom + " (" + f.properties.code + ")";
        select.appendChild(opt);
      });
    });
  $("ed-departement").addEventListener("change", function (e) {
    var select = e.target;
    if (!select.value) { return; }
    var label = select.options[select.selectedIndex].textContent.replace(/ \([^)]*\)$/, "");
    addDivision("2", select.value, label);
    select.value = "";
  });

  // Polygon: GeoJSON upload and removal -------------------------------------------------------------------
  $("ed-geojson").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    if (!file) { return; }
    if (file.size > 5 * 1024 * 1024) { say("Fichier trop volumineux (5 Mo au plus).", "error"); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var json;
      try { json = JSON.parse(reader.result); } catch (err) { say("Fichier illisible : GeoJSON attendu.", "error"); return; }
      var geoms = [];
      (function collect(o) {
        if (!o || typeof o !== "object") { return; }
        if (o.type === "FeatureCollection") { (o.features || []).forEach(collect); }
        else if (o.type === "Feature") { collect(o.geometry); }
        else if (o.type === "Polygon" || o.type === "MultiPolygon") { geoms.push(o); }
      })(json);
      if (!geoms.length) { say("Le fichier ne contient ni Polygon ni MultiPolygon.", "error"); return; }
      var parts = [];
      geoms.forEach(function (g) { parts = parts.concat(g.type === "Polygon" ? [g.coordinates] : g.coordinates); });
      showPolygon(parts.length === 1 ? { type: "Polygon", coordinates: parts[0] } : { type: "MultiPolygon", coordinates: parts });
      fit();
      say("Polygone chargé depuis « " + file.name + " » (non enregistré).", "info");
    };
    reader.readAsText(file);
  });
  $("ed-remove-polygon").addEventListener("click", function () {
    showPolygon(null);
    say("Polygone retiré (non enregistré).", "info");
  });

  // Load, save, history ------------------------------------------------------------------------------------
  function apply(zone) {
    state.etag = zone.etag;
    state.divisions = zone.divisions.map(function (d) { return { type_division: d.type_division, code: d.code, nom: d.nom }; });
    renderDivisions();
    showPolygon(zone.polygone);
    drawDivisions();
  }

  function load() {
    return fetch(data.api, { credentials: "same-origin", headers: headers() })
      .then(function (r) { return r.json().then(function (j) { return { r: r, j: j }; }); })
      .then(function (x) {
        if (!x.r.ok) { say(x.j.detail || "Zone illisible.", "error"); return; }
        apply(x.j);
        loadHistory();
      });
  }

  function summary(zone) {
    var parts = (zone.divisions || []).map(function (d) { return d.code; });
    if (zone.polygone) { parts.push("polygone"); }
    return parts.join(", ") || "—";
  }

  function loadHistory() {
    fetch(data.api + "/historique", { credentials: "same-origin", headers: headers() })
      .then(function (r) { return r.ok ? r.json() : { modifications: [] }; })
      .then(function (json) {
        var body = $("ed-history");
        body.textContent = "";
        (json.modifications || []).forEach(function (m) {
          var tr = document.createElement("tr");
          [m.at.replace("T", " ").slice(0, 16), m.auteur, summary(m.avant), summary(m.apres), m.commentaire || ""]
            .forEach(function (text) {
              var td = document.createElement("td");
              td.textContent = text;
              tr.appendChild(td);
            });
          body.appendChild(tr);
        });
      });
  }

  $("ed-save").addEventListener("click", function () {
    var button = $("ed-save");
    button.disabled = true;
    say("Enregistrement…", "info");
    var body = {
      divisions: state.divisions.map(function (d) { return { type_division: d.type_division, code: d.code }; }),
      polygone: state.polygone,
      commentaire: $("ed-comment").value.trim() || null,
      corriger_geometrie: $("ed-repair").checked
    };
    fetch(data.api, {
      method: "PUT", credentials: "same-origin",
      headers: headers({ "Content-Type": "application/json", "If-Match": '"' + state.etag + '"' }),
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        button.disabled = false;
        if (r.ok) {
          apply(json);
          $("ed-comment").value = "";
          loadHistory();
          say(json.modifie ? "Zone enregistrée : la couverture de l'offre a été recalculée."
                           : "Aucun changement : la zone était déjà celle-ci.", "info");
          return;
        }
        var message = json.detail || "Enregistrement refusé.";
        if (r.status === 412) { message += " Cliquez sur « Recharger »."; }
        say(message, "error");
      });
    }).catch(function () {
      button.disabled = false;
      say("Le service ne répond pas : réessayez.", "error");
    });
  });
  $("ed-reload").addEventListener("click", function () { load().then(function () { say("Zone rechargée.", "info"); }); });

  load();
})();
