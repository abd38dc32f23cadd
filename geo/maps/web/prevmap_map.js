/* prevmap's map layer, shared by the exported map pages and the app's map component.
 *
 * It reads the compact map format written by geo/maps/topology.py and geo/maps/mapview.py:
 *   - the areas' borders as a TopoJSON topology (shared borders once, quantised and
 *     delta-encoded), decoded here exactly as geo.maps.topology.decode does;
 *   - the values of one ranking as one table: fill colour and tooltip columns, each
 *     a list, {"v": distinct values, "i": index per area} or, for lists of names,
 *     {"v": distinct names, "j": indexes per area, "s": separator}; and a tooltip template of
 *     lines [format, column, ...] whose "{}" take the columns' values (the shape's fixed
 *     columns, name and code, are numbered first). Formats and values
 *     arrive HTML-escaped (geo.maps.mapview.escape_text). A line is left out when one of
 *     its values is empty. geo.maps.mapview.tooltip_html is the same rule in Python
 *     (tested equal).
 * A new ranking restyles the layer in place (restyle): the borders stay in the browser.
 */
(function (root) {
  "use strict";
  function decodeArcs(topology) {
    var sx = topology.transform.scale[0], sy = topology.transform.scale[1];
    var tx = topology.transform.translate[0], ty = topology.transform.translate[1];
    return topology.arcs.map(function (arc) {
      var x = 0, y = 0;
      return arc.map(function (p) { x += p[0]; y += p[1]; return [x * sx + tx, y * sy + ty]; });
    });
  }

  function ring(arcs, refs) {
    var out = [];
    refs.forEach(function (r, k) {
      var points = r >= 0 ? arcs[r] : arcs[~r].slice().reverse();
      Array.prototype.push.apply(out, k ? points.slice(1) : points);
    });
    return out;
  }

  function geometry(arcs, g) {
    if (g.type === "Polygon") {
      return {type: "Polygon", coordinates: g.arcs.map(function (r) { return ring(arcs, r); })};
    }
    if (g.type === "MultiPolygon") {
      return {type: "MultiPolygon", coordinates: g.arcs.map(function (p) {
        return p.map(function (r) { return ring(arcs, r); });
      })};
    }
    return null;
  }

  /* The areas as GeoJSON features, property idx = row (null geometry where none). */
  function features(topology) {
    var arcs = decodeArcs(topology);
    return topology.objects.areas.geometries.map(function (g, i) {
      return {type: "Feature", properties: {idx: i}, geometry: geometry(arcs, g)};
    });
  }

  /* The arcs ``ids`` (the layer's outer border) as one MultiLineString feature. */
  function boundary(topology, ids) {
    var arcs = decodeArcs(topology);
    return {type: "Feature", properties: {},
            geometry: {type: "MultiLineString", coordinates: ids.map(function (i) { return arcs[i]; })}};
  }

  function column(c) {
    if (Array.isArray(c)) { return c; }
    if (c.j) {
      return c.j.map(function (row) { return row.map(function (k) { return c.v[k]; }).join(c.s); });
    }
    return c.i.map(function (k) { return c.v[k]; });
  }

  /* The values of one ranking with their columns decoded, after the shape's fixed ones. */
  function prepare(values, fixed) {
    return {fill: column(values.fill), columns: (fixed || []).concat(values.columns).map(column),
            template: values.template};
  }

  function tooltip(prepared, i) {
    var lines = [];
    prepared.template.forEach(function (line) {
      var shown = line.slice(1).map(function (c) { return prepared.columns[c][i]; });
      if (shown.some(function (v) { return v === "" || v === null || v === undefined; })) { return; }
      var k = 0;
      lines.push(line[0].replace(/\{\}/g, function () { return shown[k++]; }));
    });
    return lines.join("<br>");
  }

  /* The areas' layer: filled from the values' fill column, a tooltip from its table, the
   * border drawn thicker under the pointer; onClick(idx) on a click. */
  function areaLayer(shape, values, options) {
    var state = {values: prepare(values, shape.columns)};
    var all = features(shape.topology);
    var base = options.style || {};
    function style(feature) {
      var s = Object.assign({}, base);
      s.fillColor = state.values.fill[feature.properties.idx];
      return s;
    }
    var layer = L.geoJson(null, {
      style: style,
      onEachFeature: function (feature, l) {
        l.bindTooltip(function () { return tooltip(state.values, feature.properties.idx); },
                      {sticky: true});
        if (options.highlight) {
          l.on({mouseover: function (e) { e.target.setStyle(options.highlight); },
                mouseout: function (e) { layer.resetStyle(e.target); }});
        }
        if (options.onClick) {
          l.on("click", function () { options.onClick(feature.properties.idx); });
        }
      }
    });
    layer.addData({type: "FeatureCollection", features: all});
    layer.prevmapData = {type: "FeatureCollection", features: all};
    layer.prevmapRestyle = function (next) {
      state.values = prepare(next, shape.columns);
      layer.setStyle(style);
    };
    layer.prevmapTooltip = function (i) { return tooltip(state.values, i); };
    return layer;
  }

  /* Outlines of some of the areas (hot spots, uncertain placement), drawn on the areas'
   * own borders: outline = {idx: [...], labels: [...], colour}. */
  function outlineLayer(areas, outline) {
    var from = areas.prevmapData.features;
    var layer = L.geoJson(null, {
      style: {fill: false, color: outline.colour, weight: 2.5, dashArray: "6 4"},
      onEachFeature: function (feature, l) {
        l.bindTooltip(feature.properties.label, {sticky: true});
      }
    });
    layer.addData({type: "FeatureCollection", features: outline.idx.map(function (i, k) {
      return {type: "Feature", properties: {label: outline.labels[k]}, geometry: from[i].geometry};
    })});
    return layer;
  }

  /* A layer from another source (comparisons, resources): points as small circles,
   * polygons as dashed outlines, the pre-escaped label as tooltip. */
  function overlayLayer(overlay) {
    var style = overlay.points
      ? {color: "#ffffff", weight: 1, fill: true, fillColor: overlay.colour, fillOpacity: 0.9}
      : {fill: false, color: overlay.colour, weight: 2.5, dashArray: "6 4"};
    return L.geoJson(overlay.data, {
      style: style,
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, {radius: 5}); },
      onEachFeature: function (feature, l) {
        l.bindTooltip(feature.properties.label, {sticky: true});
      }
    });
  }

  root.PrevmapMap = {decodeArcs: decodeArcs, features: features,
                     boundary: boundary, areaLayer: areaLayer, outlineLayer: outlineLayer,
                     overlayLayer: overlayLayer,
                     prepare: prepare, tooltip: tooltip};
})(window);
