/* ror-gis map helpers (no dependency besides Leaflet; Leaflet.markercluster when clustering,
   Leaflet.VectorGrid for vector tiles). */
(function () {
  "use strict";
  var RorMap = (window.RorMap = window.RorMap || {});
  var NUMBER = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });

  function text(value) {
    if (value === null || value === undefined || value === "") return "—";
    if (typeof value === "number") return NUMBER.format(value);
    if (Array.isArray(value)) return value.join(", ");
    return String(value);
  }

  function escapeHtml(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  RorMap.escapeHtml = escapeHtml;

  function status(message) {
    var el = document.querySelector(".rg-status");
    if (el) el.textContent = (el.textContent ? el.textContent + " " : "") + message;
  }

  RorMap.setupMap = function (map) {
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="Bibliothèque cartographique">Leaflet</a>');
    function onTileError() {
      if (!map._rgTileErrorShown) {
        map._rgTileErrorShown = true;
        status("Le fond de carte est momentanément indisponible ; les données restent affichées.");
      }
    }
    map.on("layeradd", function (e) {
      if (e.layer instanceof L.TileLayer) e.layer.on("tileerror", onTileError);
    });
  };

  function tooltipNode(props, fields) {
    var box = document.createElement("div");
    box.className = "rg-tooltip";
    fields.forEach(function (pair, i) {
      var line = document.createElement(i === 0 ? "strong" : "div");
      line.textContent = i === 0 ? text(props[pair[0]]) : pair[1] + " : " + text(props[pair[0]]);
      box.appendChild(line);
    });
    return box;
  }

  function choroplethFill(props, spec) {
    var v = props[spec.property];
    if (v === null || v === undefined || v === "") return spec.noDataFill || "#D9DDE1";
    if (v === 0 && spec.zeroFill) return spec.zeroFill;
    for (var i = 0; i < spec.breaks.length; i++) {
      if (v <= spec.breaks[i]) return spec.colors[i];
    }
    return spec.colors[spec.colors.length - 1];
  }

  /* Features drawn as an outline only (no fill, no pointer events): territories as large as the view. */
  function outlineOnly(props, opts) {
    var rule = opts.outlineOnly;
    return !!rule && rule.values.indexOf(props[rule.property]) !== -1;
  }

  /* Colour of a feature from its types d'offre (opts.familyFill: the family colour of each type; a territory
     shared by offers of several families takes the "mixed" colour). */
  function familyColour(props, rule) {
    var found = null;
    (props[rule.property] || []).forEach(function (code) {
      var c = rule.colors[code];
      if (c) found = found === null || found === c ? c : rule.mixed;
    });
    return found;
  }

  function styleFunction(opts) {
    return function (feature) {
      var s = L.extend({}, opts.style || {});
      var props = (feature && feature.properties) || {};
      var fam = opts.familyFill ? familyColour(props, opts.familyFill) : null;
      if (fam) { s.color = fam; s.fillColor = fam; }
      if (outlineOnly(props, opts)) return L.extend(s, { fill: false, dashArray: "6 4", weight: 2 });
      if (props._fill) { s.fillColor = props._fill; s.fill = true; }
      else if (opts.choropleth) { s.fillColor = choroplethFill(props, opts.choropleth); s.fill = true; }
      return s;
    };
  }

  /* One layer control per map, created when the first toggleable layer is registered. */
  RorMap.registerOverlay = function (map, name, layer) {
    if (!map._rgLayers) {
      map._rgLayers = L.control.layers(null, null, { collapsed: false, position: "topright" }).addTo(map);
      var el = map._rgLayers.getContainer();
      el.setAttribute("aria-label", "Couches de la carte");
      L.DomEvent.disableClickPropagation(el);
    }
    // Leaflet's layer control writes the name as HTML: give it escaped text only.
    map._rgLayers.addOverlay(layer, escapeHtml(name));
  };

  function highlight(lyr, on) {
    if (!lyr.setStyle) return;
    if (on) {
      lyr.setStyle({ weight: 4, color: "#E4002B", fillOpacity: 0.25 });
      if (lyr.bringToFront) lyr.bringToFront();
    } else if (lyr._rgBase) {
      lyr.setStyle(lyr._rgBase);
    }
  }

  RorMap.geojson = function (map, data, opts, target) {
    opts = opts || {};
    var selected = null;
    var layer = L.geoJSON(data, {
      style: styleFunction(opts),
      interactive: !opts.style || opts.style.interactive !== false,
      onEachFeature: function (feature, lyr) {
        if (outlineOnly(feature.properties || {}, opts)) {
          lyr.options.interactive = false;  // read when the path is added: no hover, tooltip or click
          return;
        }
        if (opts.tooltip && opts.tooltip.length) {
          lyr.bindTooltip(tooltipNode(feature.properties || {}, opts.tooltip), { sticky: true });
        }
        if (opts.highlight) {
          lyr.on("add", function () { lyr._rgBase = L.extend({}, lyr.options); });
          lyr.on("mouseover", function () { if (selected !== lyr) highlight(lyr, true); });
          lyr.on("mouseout", function () { if (selected !== lyr) highlight(lyr, false); });
          lyr.on("click", function () {
            if (selected && selected !== lyr) highlight(selected, false);
            selected = selected === lyr ? null : lyr;
            highlight(lyr, selected === lyr);
          });
        }
        if (opts.popup && opts.popup.length) {
          lyr.bindPopup(tooltipNode(feature.properties || {}, opts.popup));
        }
        // No aria-label on the SVG paths (a prohibited attribute on a role-less element): the map region is
        // labelled and described, and the page's tables carry the same information.
      }
    });
    layer.addTo(target || map);
    if (!target && opts.toggle) RorMap.registerOverlay(map, opts.name, layer);
    if (opts.fit && layer.getLayers().length) {
      map.rgFitted = layer.getBounds();  // a later marker layer may extend it (extendFit)
      map.fitBounds(map.rgFitted, { padding: [12, 12], animate: false });
    }
    return layer;
  };

  RorMap.remoteGeojson = function (map, url, opts) {
    var group = L.featureGroup().addTo(map);
    if (opts.toggle) RorMap.registerOverlay(map, opts.name, group);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        RorMap.geojson(map, data, L.extend({}, opts, { fit: false }), group);
        if (opts.fit && group.getLayers().length) map.fitBounds(group.getBounds(), { padding: [12, 12], animate: false });
        group.fire("rg:loaded");
      })
      .catch(function () {
        status("La couche « " + (opts.name || "données") + " » n'a pas pu être chargée.");
      });
    return group;
  };

  /* Mapbox Vector Tiles (Leaflet.VectorGrid, served by this service): one SVG per tile, the same styles,
     choropleth, tooltip and highlight as a GeoJSON layer. A feature cut by tile edges is highlighted
     whole through its id (opts.featureId). Fires "rg:loaded" when the visible tiles are drawn. */
  RorMap.vectorTiles = function (map, url, opts) {
    var styleOf = styleFunction(opts);
    var styles = {};
    styles[opts.layer] = function (props) { return styleOf({ properties: props }); };
    var idProp = opts.featureId;
    var layer = L.vectorGrid.protobuf(url, {
      rendererFactory: L.svg.tile,
      vectorTileLayerStyles: styles,
      interactive: !opts.style || opts.style.interactive !== false,
      getFeatureId: idProp ? function (f) { return f.properties[idProp]; } : undefined,
      minNativeZoom: opts.minZoom || 0, maxNativeZoom: opts.maxNativeZoom || 16,
      fetchOptions: { credentials: "same-origin" }
    });
    var tooltip = L.tooltip({ sticky: true, direction: "auto" });
    var hovered = null, selected = null;
    function emphasise(id, on) {
      if (id === null || id === undefined) return;
      if (on) layer.setFeatureStyle(id, L.extend({}, opts.style, { weight: 4, color: "#E4002B", fillOpacity: 0.25, fill: true }));
      else layer.resetFeatureStyle(id);
    }
    function featureId(e) { return idProp && e.layer && e.layer.properties ? e.layer.properties[idProp] : null; }
    layer.on("mouseover mousemove", function (e) {
      var props = (e.layer && e.layer.properties) || {};
      if (opts.tooltip && opts.tooltip.length) {
        tooltip.setContent(tooltipNode(props, opts.tooltip)).setLatLng(e.latlng);
        if (!map.hasLayer(tooltip)) map.openTooltip(tooltip);
      }
      var id = featureId(e);
      if (opts.highlight && id !== hovered) {
        if (hovered !== selected) emphasise(hovered, false);
        hovered = id;
        emphasise(id, true);
      }
    });
    layer.on("mouseout", function () {
      map.closeTooltip(tooltip);
      if (opts.highlight && hovered !== selected) emphasise(hovered, false);
      hovered = null;
    });
    layer.on("click", function (e) {
      if (!opts.highlight) return;
      var id = featureId(e);
      if (selected !== null && selected !== id) emphasise(selected, false);
      selected = selected === id ? null : id;
      emphasise(id, selected === id);
    });
    layer.on("tileerror", function () {
      if (!layer._rgErrorShown) {
        layer._rgErrorShown = true;
        status("Une partie de la couche « " + (opts.name || "données") + " » n'a pas pu être chargée.");
      }
    });
    layer.on("load", function () { layer.fire("rg:loaded"); });
    layer.addTo(map);
    if (opts.toggle) RorMap.registerOverlay(map, opts.name, layer);
    return layer;
  };

  RorMap.icon = function (family, families, label) {
    var f = families[family] || families.autre || { color: "#5F6B73", svg: '<circle cx="12" cy="12" r="10"/>', letter: "X", shape: "circle", label: "Autre" };
    var y = f.shape === "triangle" ? 15.5 : 16;
    /* Families are our own constants (web_map.style); they are escaped all the same. */
    var html = '<span role="img" aria-label="' + escapeHtml(f.label) + '">' +
      '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">' +
      '<g fill="' + escapeHtml(f.color) + '" stroke="#fff" stroke-width="1.5">' + f.svg + "</g>" +
      '<text x="12" y="' + y + '" text-anchor="middle" font-size="11" font-weight="700" fill="#fff">' +
      escapeHtml(f.letter) + "</text></svg></span>";
    return L.divIcon({ className: "rg-marker", html: html, iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -12] });
  };

  function popupNode(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.label;
    box.appendChild(title);
    (p.details || []).forEach(function (kv) {
      var line = document.createElement("div");
      line.textContent = kv[0] + " : " + kv[1];
      box.appendChild(line);
    });
    if (p.url && /^\/(?!\/)/.test(p.url)) {
      var a = document.createElement("a");
      a.href = p.url; a.textContent = "Fiche détaillée"; a.target = "_top";
      box.appendChild(a);
      if (p.url.indexOf("/cartes/offre/") === 0) {  // « Signaler une anomalie » on every offer (issue #14)
        var r = document.createElement("a");
        r.href = "/signalements/nouveau/offre/" + p.url.slice(14);
        r.textContent = "Signaler une anomalie"; r.target = "_top"; r.className = "rg-report-link";
        box.appendChild(document.createTextNode(" · "));
        box.appendChild(r);
      }
    }
    return box;
  }

  /* A cluster of one family: a disc of the family's colour with the number of offers (legend: "cluster"). */
  RorMap.clusterIcon = function (family, families) {
    var f = families[family] || families.autre || { color: "#5F6B73", label: "Autre" };
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 30 : n < 100 ? 36 : 42;
      var html = '<span role="img" aria-label="' + escapeHtml(n + " offres : " + f.label) + '">' +
        '<svg viewBox="0 0 24 24" width="' + size + '" height="' + size + '" aria-hidden="true" focusable="false">' +
        '<circle cx="12" cy="12" r="11" fill="' + escapeHtml(f.color) + '" stroke="#fff" stroke-width="2"/>' +
        '<text x="12" y="16" text-anchor="middle" font-size="' + (n < 100 ? 11 : 9) + '" font-weight="700" fill="#fff">' +
        n + "</text></svg></span>";
      return L.divIcon({ className: "rg-marker rg-cluster", html: html, iconSize: [size, size] });
    };
  };

  RorMap.markers = function (map, points, opts) {
    var families = opts.families || {};
    var clustered = opts.cluster && L.markerClusterGroup;
    var group = L.featureGroup();
    var byFamily = {};
    function target(family) {
      if (!clustered) return group;
      if (!byFamily[family]) {
        // One cluster group per family: a cluster never hides markers of another family.
        byFamily[family] = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40,
                                                  spiderfyOnMaxZoom: true,
                                                  iconCreateFunction: RorMap.clusterIcon(family, families) });
        group.addLayer(byFamily[family]);
      }
      return byFamily[family];
    }
    points.forEach(function (p) {
      var m = L.marker([p.lat, p.lon], { icon: RorMap.icon(p.family, families), title: p.label, keyboard: true, riseOnHover: true });
      m.bindPopup(popupNode(p));
      target(p.family).addLayer(m);
    });
    group.addTo(map);
    if (opts.toggle) RorMap.registerOverlay(map, opts.name, group);
    if (opts.fit && points.length) {
      var bounds = group.getBounds();
      // the place and the territory both in view (an offer may sit outside the territory it serves)
      if (opts.extendFit && map.rgFitted) bounds = L.latLngBounds([map.rgFitted.getSouthWest(), map.rgFitted.getNorthEast()]).extend(bounds);
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15, animate: false });
    }
    return group;
  };

  /* Sortable tables: a button in each header (click, Enter, Space), aria-sort on the header.
     A cell's sort key is its data-sort attribute when present (numbers, empty cells), else its text. */
  function sortKey(cell) {
    var key = cell.getAttribute("data-sort");
    return key === null ? cell.textContent.trim() : key;
  }

  function sortTable(table, index, th) {
    var numeric = th.getAttribute("data-type") === "number";
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortKey(a.cells[index]), y = sortKey(b.cells[index]);
      var r;
      if (numeric) {
        var nx = x === "" ? NaN : parseFloat(x), ny = y === "" ? NaN : parseFloat(y);
        if (isNaN(nx) && isNaN(ny)) r = 0; else if (isNaN(nx)) r = 1; else if (isNaN(ny)) r = -1; else r = nx - ny;
        if (!isNaN(nx) && !isNaN(ny) && !asc) r = -r;
        return r;
      }
      r = x.localeCompare(y, "fr", { numeric: true, sensitivity: "base" });
      return asc ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var live = document.getElementById("rg-sort-live");
    if (live) live.textContent = "Tableau trié par « " + th.textContent.trim() + " », ordre " + (asc ? "croissant" : "décroissant") + ".";
  }

  RorMap.initTables = function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.rg-sortable"), function (table) {
      if (!table.tHead) return;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
        var button = th.querySelector("button.rg-sort");
        if (button) button.addEventListener("click", function () { sortTable(table, index, th); });
      });
    });
  };

  /* A map page: the map is described by the JSON block #rg-map-spec (read with JSON.parse, never
     evaluated); every text reaches the DOM through textContent or escaped attributes. */
  RorMap.layerBuilders = {
    geojson: function (map, spec) { return RorMap.geojson(map, spec.data, spec.options); },
    remote: function (map, spec) { return RorMap.remoteGeojson(map, spec.url, spec.options); },
    mvt: function (map, spec) { return RorMap.vectorTiles(map, spec.url, spec.options); },
    markers: function (map, spec) { return RorMap.markers(map, spec.data, spec.options); }
  };

  RorMap.boot = function () {
    var el = document.getElementById("rg-map");
    var block = document.getElementById("rg-map-spec");
    if (!el || !block) return null;
    var spec = JSON.parse(block.textContent);
    var view = spec.view || {};
    var map = L.map(el, { center: view.center, zoom: view.zoom, minZoom: view.minZoom, maxZoom: view.maxZoom, zoomSnap: view.zoomSnap || 1,
                          zoomControl: false });
    L.control.zoom({ position: "topleft", zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
    L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
    RorMap.setupMap(map);
    if (spec.basemap) {
      L.tileLayer(spec.basemap.url, { attribution: spec.basemap.attribution, maxZoom: spec.basemap.maxZoom,
                                      maxNativeZoom: spec.basemap.maxZoom, detectRetina: false }).addTo(map);
    }
    (spec.layers || []).forEach(function (layer) {
      var build = RorMap.layerBuilders[layer.kind];
      if (build) build(map, layer);
    });
    if (view.fit) {
      var pad = view.fitPadding === undefined ? 12 : view.fitPadding;
      map.fitBounds(view.fit, { padding: [pad, pad], animate: false });
    }
    RorMap.map = map;
    window.rgMap = map;  // for tests and debugging: the page's only L.Map
    return map;
  };

  /* Compact embed: the overlaid legend starts folded in a small frame (a phone), open otherwise. */
  RorMap.foldLegend = function () {
    var legend = document.querySelector(".rg-legend-overlay");
    if (legend && (window.innerWidth < 400 || window.innerHeight < 360)) legend.open = false;
  };

  /* Print / PDF: the browser's print dialog with the print stylesheet (title, map, legend, source, date).
     The date of printing is added to the source line; the map is redrawn at the print size. */
  RorMap.setupPrint = function () {
    var button = document.querySelector(".rg-print");
    var stamp = document.querySelector(".rg-print-date");
    function before() {
      if (stamp) stamp.textContent = " – carte imprimée le " + new Date().toLocaleDateString("fr-FR");
      if (RorMap.map) RorMap.map.invalidateSize({ animate: false });
    }
    window.addEventListener("beforeprint", before);
    window.addEventListener("afterprint", function () { if (RorMap.map) RorMap.map.invalidateSize({ animate: false }); });
    if (button && typeof window.print === "function") {
      button.hidden = false;
      button.addEventListener("click", function () { before(); window.print(); });
    }
  };

  function ready() {
    RorMap.initTables();
    RorMap.foldLegend();
    RorMap.setupPrint();
    RorMap.boot();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
