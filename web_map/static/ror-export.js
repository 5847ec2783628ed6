/* PNG export of a map page (issue #10): one image with the title, the map as shown (basemap tiles when
   the browser lets us read them, vector layers, markers), the legend, the source and the date.
   Our own canvas composition, no library: the SVG layers (Leaflet paths, vector-tile SVGs, marker icons)
   are copied into one SVG document drawn through a data: URL (allowed by the CSP's img-src, and it does
   not taint the canvas); basemap tiles from another site are asked again in CORS mode (IGN and OSM allow
   it); a tile host without CORS would taint the canvas, so its tiles are then left out and the image says so. */
(function () {
  "use strict";
  var RorMap = (window.RorMap = window.RorMap || {});
  var SVG_NS = "http://www.w3.org/2000/svg";
  var MARGIN = 16, LEGEND_WIDTH = 280, INK = "#1F2A33", MUTED = "#4A5560", FONT = "Arial, Helvetica, sans-serif";

  function loadImage(url) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { reject(new Error("image")); };
      img.src = url;
    });
  }

  function defsMarkup() {
    var defs = document.querySelector(".rg-defs defs");
    return defs ? new XMLSerializer().serializeToString(defs) : "";
  }

  function svgUrl(width, height, inner) {
    var doc = '<svg xmlns="' + SVG_NS + '" width="' + width + '" height="' + height + '">' + defsMarkup() + inner + "</svg>";
    return "data:image/svg+xml;charset=utf-8," + encodeURIComponent(doc);
  }

  /* One SVG element placed at its on-screen position, stripped of CSS (transforms are in the position). */
  function placedSvg(svg, box) {
    var r = svg.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right < box.left || r.left > box.right ||
        r.bottom < box.top || r.top > box.bottom) return "";
    var copy = svg.cloneNode(true);
    copy.removeAttribute("style");
    copy.removeAttribute("class");
    copy.setAttribute("x", String(r.left - box.left));
    copy.setAttribute("y", String(r.top - box.top));
    copy.setAttribute("width", String(r.width));
    copy.setAttribute("height", String(r.height));
    if (!copy.getAttribute("viewBox") && svg.width && svg.width.baseVal) {
      copy.setAttribute("viewBox", "0 0 " + (svg.width.baseVal.value || r.width) + " " + (svg.height.baseVal.value || r.height));
    }
    return new XMLSerializer().serializeToString(copy);
  }

  /* Basemap tiles painted on a canvas at their on-screen places; `copies` (same order) replace the images. */
  function paintTiles(imgs, copies, box) {
    var canvas = document.createElement("canvas");
    canvas.width = box.width; canvas.height = box.height;
    var ctx = canvas.getContext("2d");
    imgs.forEach(function (img, i) {
      var r = img.getBoundingClientRect();
      ctx.globalAlpha = parseFloat(getComputedStyle(img).opacity) || 1;
      ctx.drawImage(copies ? copies[i] : img, r.left - box.left, r.top - box.top, r.width, r.height);
    });
    try {
      ctx.getImageData(0, 0, 1, 1);
      return canvas;
    } catch (e) {
      return null;  // tainted: a tile of another site read without CORS
    }
  }

  /* One tile asked again in CORS mode (null on failure, or after 5 s). */
  function corsCopy(img) {
    return new Promise(function (resolve) {
      var copy = new Image();
      var timer = setTimeout(function () { resolve(null); }, 5000);
      copy.crossOrigin = "anonymous";
      copy.onload = function () { clearTimeout(timer); resolve(copy); };
      copy.onerror = function () { clearTimeout(timer); resolve(null); };
      copy.src = img.currentSrc || img.src;
    });
  }

  /* Basemap tiles on their own canvas. Tiles of another site are displayed without CORS (a tile host without it
     still shows); for the image they are asked again in CORS mode, and left out (skipped) when the host
     does not allow it. */
  function tilesCanvas(container, box) {
    var imgs = Array.prototype.filter.call(container.querySelectorAll(".leaflet-tile-pane img.leaflet-tile"),
                                           function (img) { return img.complete && img.naturalWidth; });
    if (!imgs.length) return Promise.resolve({ canvas: null, skipped: false });
    var direct = paintTiles(imgs, null, box);
    if (direct) return Promise.resolve({ canvas: direct, skipped: false });
    return Promise.all(imgs.map(corsCopy)).then(function (copies) {
      if (copies.some(function (c) { return c === null; })) return { canvas: null, skipped: true };
      var canvas = paintTiles(imgs, copies, box);
      return { canvas: canvas, skipped: canvas === null };
    });
  }

  function mapImage(container) {
    var rect = container.getBoundingClientRect();
    var box = { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom,
                width: Math.round(rect.width), height: Math.round(rect.height) };
    var parts = [];
    Array.prototype.forEach.call(
      container.querySelectorAll(".leaflet-map-pane svg"),
      function (svg) { if (!svg.closest(".leaflet-tooltip, .leaflet-popup")) parts.push(placedSvg(svg, box)); });
    return Promise.all([tilesCanvas(container, box), loadImage(svgUrl(box.width, box.height, parts.join("")))])
    .then(function (both) {
      var tiles = both[0], vectors = both[1];
      var canvas = document.createElement("canvas");
      canvas.width = box.width; canvas.height = box.height;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = getComputedStyle(container).backgroundColor || "#fff";
      ctx.fillRect(0, 0, box.width, box.height);
      if (tiles.canvas) ctx.drawImage(tiles.canvas, 0, 0);
      ctx.drawImage(vectors, 0, 0);
      return { canvas: canvas, tilesSkipped: tiles.skipped };
    });
  }

  function wrap(ctx, str, width) {
    var lines = [], line = "";
    String(str).split(/\s+/).forEach(function (word) {
      var next = line ? line + " " + word : word;
      if (line && ctx.measureText(next).width > width) { lines.push(line); line = word; } else line = next;
    });
    if (line) lines.push(line);
    return lines;
  }

  /* The legends as data: title, items (swatch image + label), note. */
  function legendData() {
    var sections = Array.prototype.map.call(document.querySelectorAll(".rg-legend"), function (section) {
      var h = section.querySelector("h2");
      var items = Array.prototype.map.call(section.querySelectorAll("li"), function (li) {
        var svg = li.querySelector("svg");
        var label = li.querySelector("span");
        var w = svg ? parseFloat(svg.getAttribute("width")) || 22 : 22;
        var hgt = svg ? parseFloat(svg.getAttribute("height")) || 15 : 15;
        var url = null;
        if (svg) {
          var copy = svg.cloneNode(true);
          copy.removeAttribute("class"); copy.removeAttribute("style");
          copy.setAttribute("width", String(w)); copy.setAttribute("height", String(hgt));
          url = svgUrl(w, hgt, new XMLSerializer().serializeToString(copy));
        }
        return { url: url, w: w, h: hgt, label: label ? label.textContent.trim() : li.textContent.trim() };
      });
      var note = section.querySelector(".rg-legend-note");
      return { title: h ? h.textContent.trim() : "", items: items, note: note ? note.textContent.trim() : "" };
    });
    return Promise.all(sections.map(function (s) {
      return Promise.all(s.items.map(function (item) {
        return item.url ? loadImage(item.url).then(function (img) { item.img = img; }, function () {}) : null;
      }));
    })).then(function () { return sections; });
  }

  /* Draws (or only measures, when draw is false) the legend column; returns its height. */
  function drawLegend(ctx, sections, x, y, draw) {
    var top = y, width = LEGEND_WIDTH;
    sections.forEach(function (s) {
      ctx.font = "bold 15px " + FONT;
      wrap(ctx, s.title, width).forEach(function (l) { y += 19; if (draw) { ctx.fillStyle = INK; ctx.fillText(l, x, y); } });
      y += 6;
      s.items.forEach(function (item) {
        ctx.font = "13px " + FONT;
        var lines = wrap(ctx, item.label, width - 32);
        var h = Math.max(item.h, lines.length * 16);
        if (draw && item.img) ctx.drawImage(item.img, x, y + (h - item.h) / 2, item.w, item.h);
        lines.forEach(function (l, i) { if (draw) { ctx.fillStyle = INK; ctx.fillText(l, x + 30, y + 12 + i * 16 + (h - lines.length * 16) / 2); } });
        y += h + 5;
      });
      if (s.note) {
        ctx.font = "italic 12px " + FONT;
        wrap(ctx, s.note, width).forEach(function (l) { y += 15; if (draw) { ctx.fillStyle = MUTED; ctx.fillText(l, x, y); } });
      }
      y += 14;
    });
    return y - top;
  }

  function textOf(selector) {
    var el = document.querySelector(selector);
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function footerLines(ctx, width, tilesSkipped) {
    ctx.font = "12px " + FONT;
    var source = textOf(".rg-source").replace(/ – carte imprimée le .*$/, "");
    var lines = wrap(ctx, source, width);
    lines.push("Image exportée le " + new Date().toLocaleDateString("fr-FR") + " depuis " + window.location.host + ".");
    if (tilesSkipped) lines.push("Fond de carte non inclus : ses tuiles viennent d'un autre site qui n'en autorise pas la copie.");
    return lines;
  }

  /* The whole image: title, subtitle, map, legend on the right, footer. Resolves with a canvas. */
  RorMap.exportCanvas = function () {
    var container = RorMap.map ? RorMap.map.getContainer() : document.getElementById("rg-map");
    return Promise.all([mapImage(container), legendData()]).then(function (res) {
      var map = res[0], sections = res[1];
      var scratch = document.createElement("canvas").getContext("2d");
      var legendH = sections.length ? drawLegend(scratch, sections, 0, 0, false) : 0;
      var width = map.canvas.width + 2 * MARGIN + (sections.length ? LEGEND_WIDTH + MARGIN : 0);
      scratch.font = "bold 20px " + FONT;
      var title = wrap(scratch, textOf("h1") || document.title, width - 2 * MARGIN);
      scratch.font = "14px " + FONT;
      var subtitle = textOf(".rg-subtitle") ? wrap(scratch, textOf(".rg-subtitle"), width - 2 * MARGIN) : [];
      Array.prototype.forEach.call(document.querySelectorAll(".rg-header .rg-notice"), function (n) {
        subtitle = subtitle.concat(wrap(scratch, n.textContent.replace(/\s+/g, " ").trim(), width - 2 * MARGIN));
      });
      var footer = footerLines(scratch, width - 2 * MARGIN, map.tilesSkipped);
      var head = MARGIN + title.length * 26 + subtitle.length * 18 + 8;
      var body = Math.max(map.canvas.height, legendH);
      var canvas = document.createElement("canvas");
      canvas.width = width; canvas.height = head + body + MARGIN + footer.length * 16 + MARGIN;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = INK; ctx.font = "bold 20px " + FONT;
      title.forEach(function (l, i) { ctx.fillText(l, MARGIN, MARGIN + 20 + i * 26); });
      ctx.fillStyle = MUTED; ctx.font = "14px " + FONT;
      subtitle.forEach(function (l, i) { ctx.fillText(l, MARGIN, MARGIN + title.length * 26 + 14 + i * 18); });
      ctx.drawImage(map.canvas, MARGIN, head);
      ctx.strokeStyle = "#9AA5AE"; ctx.lineWidth = 1;
      ctx.strokeRect(MARGIN - 0.5, head - 0.5, map.canvas.width + 1, map.canvas.height + 1);
      if (sections.length) drawLegend(ctx, sections, MARGIN * 2 + map.canvas.width, head, true);
      ctx.fillStyle = MUTED; ctx.font = "12px " + FONT;
      footer.forEach(function (l, i) { ctx.fillText(l, MARGIN, head + body + MARGIN + 12 + i * 16); });
      canvas.rgTilesSkipped = map.tilesSkipped;  // for the tests: the basemap was left out (see the footer)
      return canvas;
    });
  };

  function fileName() {
    var base = (textOf("h1") || "carte").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
    return (base || "carte") + ".png";
  }

  RorMap.downloadPng = function () {
    return RorMap.exportCanvas().then(function (canvas) {
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
    }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = fileName();
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
  };

  function setup() {
    Array.prototype.forEach.call(document.querySelectorAll(".rg-png"), function (button) {
      if (!window.HTMLCanvasElement || !window.Promise) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        RorMap.downloadPng().catch(function () {
          var el = document.querySelector(".rg-status");
          if (el) el.textContent = "L'image n'a pas pu être créée.";
        }).then(function () { button.disabled = false; });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
