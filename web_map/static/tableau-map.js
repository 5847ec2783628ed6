/* Spreadsheet map (/cartes/tableau) of many communes: the communes are drawn from the vector tiles of the
   OGC API (collection « communes ») and coloured from the values of the page's JSON block (#rg-map-spec,
   layer kind "mvtValues": {insee: [class index or -1 for a zero, name, value as text]}), instead of an
   embedded GeoJSON of every polygon. Communes absent from the file are not drawn by this layer.
   Loaded after ror-map.js, before the page is booted (DOMContentLoaded). */
(function () {
  "use strict";
  var RorMap = window.RorMap;
  if (!RorMap || !RorMap.layerBuilders) return;

  RorMap.layerBuilders.mvtValues = function (map, spec) {
    var opts = spec.options, values = spec.values || {};
    function enrich(props) {
      var v = values[props.insee];
      if (v && props._fill === undefined) {
        props._fill = v[0] < 0 ? opts.zeroFill : opts.colors[v[0]];
        props.nom = v[1];
        props.valeur_txt = v[2];
      }
      return v;
    }
    var layer = RorMap.vectorTiles(map, spec.url, opts);
    // Tiles are decoded asynchronously: the wrapped functions are in place before the first one is drawn.
    var styles = layer.options.vectorTileLayerStyles, base = styles[opts.layer];
    styles[opts.layer] = function (props, zoom) { return enrich(props) ? base(props, zoom) : []; };
    var featureId = layer.options.getFeatureId;
    if (featureId) layer.options.getFeatureId = function (f) { enrich(f.properties); return featureId(f); };
    return layer;
  };
})();
