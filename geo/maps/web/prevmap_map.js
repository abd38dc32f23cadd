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
 *     (tested equal). The hover tooltip fills the compact template ``hover`` (name, rank,
 *     the mapped measure in words, tier: geo.maps.mapview.hover_html); the full
 *     ``template`` is the detail a click or Enter opens (a popup in the exported map,
 *     the profile in the app).
 * A new ranking restyles the layer in place (restyle): the borders stay in the browser.
 *
 * The hover tooltip is placed away from the map's edges and controls (placeTooltip): to
 * the right of the pointer in the map's left half, to the left in its right half, below it
 * in the top half, above it in the bottom half, and moved clear of the controls.
 * The keyboard reaches the areas through one tab stop (a roving tabindex): the arrow keys
 * move between the areas in rank order, Enter or Space does what a click does, + and -
 * zoom; a hint says so while an area has the focus.
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
            template: values.template, hover: values.hover || values.template,
            order: values.order || null};
  }

  /* Row i of a template (by default the full one), as geo.maps.mapview._filled. */
  function tooltip(prepared, i, template) {
    var lines = [];
    (template || prepared.template).forEach(function (line) {
      var shown = line.slice(1).map(function (c) { return prepared.columns[c][i]; });
      if (shown.some(function (v) { return v === "" || v === null || v === undefined; })) { return; }
      var k = 0;
      lines.push(line[0].replace(/\{\}/g, function () { return shown[k++]; }));
    });
    return lines.join("<br>");
  }

  /* Where the tooltip's box goes, in container pixels: beside the pointer ``p`` on the
   * side with more room (right of it in the map's left half, below it in the top half),
   * the other sides tried in turn when the box would cover a control or leave the map,
   * and kept inside the map in any case. */
  function placeTooltip(map, p, width, height) {
    var size = map.getSize(), gap = 14, edge = 2;
    var box = map.getContainer().getBoundingClientRect();
    var avoid = Array.prototype.map.call(map.getContainer().querySelectorAll(
      ".leaflet-control, .pm-tile-error, .pm-error, .pm-keys"), function (e) {
        var r = e.getBoundingClientRect();
        return [r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top];
      }).filter(function (r) { return r[2] > r[0] && r[3] > r[1]; });
    var right = p.x < size.x / 2, below = p.y < size.y / 2;
    var tries = [[right, below], [!right, below], [right, !below], [!right, !below]];
    function at(t) {
      var x = t[0] ? p.x + gap : p.x - gap - width;
      var y = t[1] ? p.y + gap : p.y - gap - height;
      return [x, y];
    }
    function fits(q) {
      var r = [q[0], q[1], q[0] + width, q[1] + height];
      if (r[0] < edge || r[1] < edge || r[2] > size.x - edge || r[3] > size.y - edge) { return false; }
      return !avoid.some(function (a) { return r[0] < a[2] && a[0] < r[2] && r[1] < a[3] && a[1] < r[3]; });
    }
    var q = null;
    for (var k = 0; k < tries.length && !q; k++) { if (fits(at(tries[k]))) { q = at(tries[k]); } }
    q = q || at(tries[0]);
    return [Math.max(edge, Math.min(q[0], size.x - width - edge)),
            Math.max(edge, Math.min(q[1], size.y - height - edge))];
  }

  /* A tooltip placed by placeTooltip (Leaflet's own "auto" only looks left or right). */
  var PlacedTooltip = L.Tooltip.extend({
    _setPosition: function (pos) {
      var map = this._map, box = this._container;
      var at = placeTooltip(map, map.layerPointToContainerPoint(pos), box.offsetWidth,
                            box.offsetHeight);
      L.DomUtil.setPosition(box, map.containerPointToLayerPoint(at).round());
    }
  });

  var FOCUS_STYLE = {weight: 4, color: "#0b4fd1", opacity: 1};

  /* The keyboard's way through ``layer``'s areas (see the header): one path in the tab
   * order at a time. */
  function keyboard(layer, state, options) {
    var current = null, hint = null;
    function paths() {
      var out = {};
      layer.eachLayer(function (l) { out[l.feature.properties.idx] = l; });
      return out;
    }
    function order() {
      var all = paths();
      var rows = state.values.order || Object.keys(all).map(Number);
      return rows.filter(function (i) { return all[i] && all[i].getElement && all[i].getElement(); });
    }
    /* The one path in the tab order: row i's (by default the current, else the first). */
    function rove(i) {
      var all = paths(), rows = order();
      if (i === undefined || i === null || !all[i]) { i = (current !== null && all[current]) ? current : rows[0]; }
      current = (i === undefined) ? null : i;
      Object.keys(all).forEach(function (k) {
        var el = all[k].getElement && all[k].getElement();
        if (!el) { return; }
        el.setAttribute("tabindex", Number(k) === current ? "0" : "-1");
        el.setAttribute("role", "button");
        el.setAttribute("aria-label", name(Number(k)));
      });
    }
    function name(i) {
      var text = document.createElement("div");
      text.innerHTML = tooltip(state.values, i, state.values.hover).replace(/<br>/g, ". ");
      return text.textContent;
    }
    function showHint(on) {
      var map = layer._map;
      if (!map) { return; }
      if (!hint) {
        hint = document.createElement("div");
        hint.className = "pm-keys";
        hint.setAttribute("role", "note");
        hint.textContent = "Tangentbord: piltangenterna går mellan områdena i rangordning, " +
          (options.onClick ? "Enter öppnar områdets profil" : "Enter visar allt om området") +
          ", + och − zoomar, Tabb lämnar kartan.";
        map.getContainer().appendChild(hint);
      }
      hint.style.display = on ? "block" : "none";
    }
    function move(step) {
      var rows = order(), k = rows.indexOf(current);
      var next = step === "first" ? rows[0] : step === "last" ? rows[rows.length - 1]
        : rows[Math.max(0, Math.min(rows.length - 1, (k < 0 ? 0 : k + step)))];
      var l = paths()[next];
      if (!l) { return; }
      rove(next);
      var map = layer._map, bounds = l.getBounds();
      if (map && !map.getBounds().contains(bounds.getCenter())) { map.panTo(bounds.getCenter()); }
      l.getElement().focus({preventScroll: true});
    }
    function onKey(e, l) {
      var key = e.key, idx = l.feature.properties.idx;
      if (key === "Enter" || key === " " || key === "Spacebar") {
        e.preventDefault();
        activate(l, idx);
      } else if (key === "ArrowRight" || key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (key === "ArrowLeft" || key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (key === "Home") { e.preventDefault(); move("first"); }
      else if (key === "End") { e.preventDefault(); move("last"); }
      else if (key === "Escape") { layer._map.closePopup(); l.closeTooltip(); }
      else if (key === "+" || key === "=") { e.preventDefault(); layer._map.zoomIn(); }
      else if (key === "-" || key === "_") { e.preventDefault(); layer._map.zoomOut(); }
    }
    function activate(l, idx) {
      if (options.onClick) { options.onClick(idx); }
      else if (l.getPopup()) { l.openPopup(l.getBounds().getCenter()); }
    }
    function wire(l) {
      var el = l.getElement && l.getElement();
      if (!el || el.prevmapKeys) { return; }
      el.prevmapKeys = true;
      L.DomEvent.on(el, "keydown", function (e) { onKey(e, l); });
      L.DomEvent.on(el, "focus", function () {
        rove(l.feature.properties.idx);
        // A press of the pointer focuses the path too: moved to the front between press
        // and release, it would lose the click. Only the keyboard's focus is outlined.
        if (!el.matches(":focus-visible")) { return; }
        if (el.parentNode && el.parentNode.lastChild !== el) {
          // In front, so that its outline shows whole; moving the element blurs it.
          l.bringToFront();
          el.focus({preventScroll: true});
          return;
        }
        l.setStyle(FOCUS_STYLE);
        el.classList.add("pm-focus");
        showHint(true);
      });
      L.DomEvent.on(el, "blur", function () {
        el.classList.remove("pm-focus");
        layer.resetStyle(l);
        if (options.onBlur) { options.onBlur(l); }
        showHint(false);
      });
    }
    layer.on("add", function () {
      var map = layer._map;
      // One tab stop for the map: the areas' roving path. Leaflet's own keyboard handler
      // (arrows pan the map) would be a second; the zoom buttons and the attribution's
      // link a third and fourth (+ and - zoom from an area instead).
      if (map.keyboard) { map.keyboard.disable(); }
      map.getContainer().setAttribute("tabindex", "-1");
      map.getContainer().querySelectorAll(".leaflet-control-zoom a, .leaflet-control-attribution a")
        .forEach(function (a) { a.setAttribute("tabindex", "-1"); });
      layer.eachLayer(wire);
      rove();
    });
    return {rove: rove, wire: wire};
  }

  /* The areas' layer: filled from the values' fill column, the compact tooltip from its
   * table, the border drawn thicker under the pointer; onClick(idx) on a click (without
   * it: a popup with the full detail); the keyboard's way (keyboard). */
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
        var idx = feature.properties.idx;
        l.bindTooltip(new PlacedTooltip({sticky: true, opacity: 1, className: "pm-tooltip"}, l)
          .setContent(function () { return tooltip(state.values, idx, state.values.hover); }));
        if (options.highlight) {
          l.on({mouseover: function (e) { e.target.setStyle(options.highlight); },
                mouseout: function (e) {
                  if (e.target.getElement() !== document.activeElement) { layer.resetStyle(e.target); }
                }});
        }
        if (options.onClick) {
          l.on("click", function () { options.onClick(idx); });
        } else {
          l.bindPopup(function () { return tooltip(state.values, idx); },
                      {maxWidth: 320, className: "pm-popup"});
          l.on("popupopen", function () { l.closeTooltip(); });
        }
      }
    });
    layer.addData({type: "FeatureCollection", features: all});
    layer.prevmapData = {type: "FeatureCollection", features: all};
    var keys = keyboard(layer, state, options);
    layer.prevmapRestyle = function (next) {
      state.values = prepare(next, shape.columns);
      layer.setStyle(style);
      keys.rove();
      if (layer.prevmapLabels) { layer.prevmapLabels.prevmapUpdate(next); }
    };
    layer.prevmapTooltip = function (i) { return tooltip(state.values, i); };
    layer.prevmapHover = function (i) { return tooltip(state.values, i, state.values.hover); };
    layer.prevmapRove = keys.rove;
    return layer;
  }

  /* Keep ``layer``'s shapes out of the tab order (Leaflet's focus listeners for tooltips
   * make chromium stop at every one): the map's one tab stop is the areas' (keyboard). */
  function untabbable(layer) {
    layer.on("add", function () {
      layer.eachLayer(function (l) {
        var el = l.getElement && l.getElement();
        if (el) { el.setAttribute("tabindex", "-1"); }
      });
    });
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
    return untabbable(layer);
  }

  /* A layer from another source (comparisons, resources): points as small circles,
   * polygons as dashed outlines, the pre-escaped label as tooltip. */
  function overlayLayer(overlay) {
    var style = overlay.points
      ? {color: "#ffffff", weight: 1, fill: true, fillColor: overlay.colour, fillOpacity: 0.9}
      : {fill: false, color: overlay.colour, weight: 2.5, dashArray: "6 4"};
    return untabbable(L.geoJson(overlay.data, {
      style: style,
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, {radius: 5}); },
      onEachFeature: function (feature, l) {
        l.bindTooltip(feature.properties.label, {sticky: true});
      }
    }));
  }

  /* The centroid of a feature's largest outer ring ([lat, lng]), where its name goes. */
  function centre(geometry) {
    if (!geometry) { return null; }
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    var best = null, bestArea = -1;
    polygons.forEach(function (p) {
      var r = p[0], a = 0, cx = 0, cy = 0;
      for (var k = 0, j = r.length - 1; k < r.length; j = k++) {
        var f = r[j][0] * r[k][1] - r[k][0] * r[j][1];
        a += f; cx += (r[j][0] + r[k][0]) * f; cy += (r[j][1] + r[k][1]) * f;
      }
      if (Math.abs(a) > bestArea && a !== 0) {
        bestArea = Math.abs(a); best = [cy / (3 * a), cx / (3 * a)];
      }
    });
    return best;
  }

  /* The areas' names as labels that do not collide: placed greedily in the values' label
   * order (geo.maps.mapview.label_order: the top tier first, then by rank), a label whose
   * box overlaps one already placed left out, except the first ``always`` (the top tier),
   * which are always named. Placed anew after every zoom or move. */
  /* Area names on the map, placed so that no two collide (geo.maps.mapview.label_order):
   * the top tier first, then by rank. A name goes at its area's centre or just above or
   * below it, where it overlaps no name already placed; elsewhere it is left out. A top
   * tier area whose name fits nowhere gets its rank as a small number instead (the
   * legend says so); one for which even that finds no room is counted in the legend
   * ("zooma in"), never drawn over another name. Anew after every zoom or move.
   * With a second line (values.labels.second: the approach map's focus, "kriminalitet ·
   * skola") the name and that line are one box (H2 high, as wide as the wider line),
   * tried at the centre, above and below it; where it does not fit, the name alone is
   * tried before the rank or nothing, so that no name is lost to its second line. */
  function labelLayer(areas, shape, values) {
    var names = column((shape.columns || [])[0] || []);
    var centres = areas.prevmapData.features.map(function (f) { return centre(f.geometry); });
    var labels = values.labels;
    var group = L.layerGroup(), map = null;
    var measure = document.createElement("canvas").getContext("2d");
    measure.font = "600 11px system-ui, -apple-system, 'Segoe UI', Arial, sans-serif";
    var decode = document.createElement("textarea");
    var small = document.createElement("canvas").getContext("2d");
    small.font = "500 10px system-ui, -apple-system, 'Segoe UI', Arial, sans-serif";  // as .pm-label-focus
    var H = 16, H2 = 30;     // .pm-label's 16px line, and .pm-label-focus's 14px under it
    function note(ranked, unplaced) {
      var legend = document.querySelector(".pm-legend");
      if (!legend) { return; }
      var el = legend.querySelector(".pm-label-note");
      var words = [];
      if (ranked) { words.push("Siffra på kartan: rang för ett område med hög prioritet där namnet inte får plats."); }
      if (unplaced) { words.push(unplaced + (unplaced === 1 ? " område" : " områden") + " med hög prioritet ligger för tätt för att namnges i denna skala: zooma in."); }
      if (!words.length) { if (el) { el.remove(); } return; }
      if (!el) {
        el = document.createElement("p");
        el.className = "pm-how pm-label-note";
        legend.appendChild(el);
      }
      el.textContent = words.join(" ");
    }
    function place() {
      if (!map) { return; }
      group.clearLayers();
      var size = map.getSize(), placed = [], ranked = 0, unplaced = 0, shown = 0;
      var order = labels ? labels.order : names.map(function (n, i) { return i; });
      var always = labels ? labels.always : 0;
      var ranks = labels && labels.ranks ? labels.ranks : [];
      var second = labels && labels.second ? labels.second : [];
      /* A box w × h at the centre p, or one box height above or below it, that overlaps
       * none placed; null where there is none. */
      function spot(p, w, h) {
        var shifts = [0, -h, h];
        for (var s = 0; s < shifts.length; s++) {
          var box = [p.x - w / 2, p.y - h / 2 + shifts[s], p.x + w / 2, p.y + h / 2 + shifts[s]];
          var hit = placed.some(function (b) {
            return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3];
          });
          if (!hit) { return {box: box, dy: shifts[s]}; }
        }
        return null;
      }
      order.forEach(function (i, k) {
        var must = k < always;
        if (!centres[i] || !names[i]) { return; }
        var p = map.latLngToContainerPoint(centres[i]);
        if (p.x < 0 || p.x > size.x || p.y < 0 || p.y > size.y) { return; }
        decode.innerHTML = names[i];
        var html = names[i], cls = "pm-label" + (must ? " pm-label-top" : "");
        var w = Math.ceil(measure.measureText(decode.value).width) + 8, h = H, at = null;
        if (second[i]) {
          decode.innerHTML = second[i];
          var w2 = Math.max(w, Math.ceil(small.measureText(decode.value).width) + 8);
          at = spot(p, w2, H2);
          if (at) {
            html = names[i] + '<span class="pm-label-focus">' + second[i] + "</span>";
            cls += " pm-label-two";
            w = w2;
            h = H2;
          }
        }
        if (!at) { at = spot(p, w, H); }
        if (!at && must && ranks[i] !== null && ranks[i] !== undefined) {
          html = String(ranks[i]);
          cls += " pm-label-rank";
          w = Math.ceil(measure.measureText(html).width) + 8;
          at = spot(p, w, H);
          if (at) { ranked += 1; }
        }
        if (!at) { if (must) { unplaced += 1; } return; }
        if (must) { shown += 1; }
        placed.push(at.box);
        L.marker(centres[i], {pane: "pm-labels", interactive: false, keyboard: false,
          icon: L.divIcon({className: cls, html: html, iconSize: [w, h],
                           iconAnchor: [w / 2, h / 2 - at.dy]})
        }).addTo(group);
      });
      note(ranked, unplaced);
      /* What was placed of the top tier (tests/test_browser_title_box.py reads it). */
      group.prevmapCount = {always: always, shown: shown, ranked: ranked, unplaced: unplaced};
    }
    group.on("add", function () {
      map = group._map;
      if (!map.getPane("pm-labels")) {
        var pane = map.createPane("pm-labels");
        pane.style.zIndex = 450;
        pane.style.pointerEvents = "none";
      }
      map.on("moveend", place);
      place();
    });
    group.on("remove", function () { if (map) { map.off("moveend", place); } map = null; });
    group.prevmapUpdate = function (next) { labels = next.labels; place(); };
    areas.prevmapLabels = group;
    return group;
  }

  function pane(map, name, zIndex) {
    if (!map.getPane(name)) {
      var p = map.createPane(name);
      p.style.zIndex = zIndex;
      p.style.pointerEvents = "none";
    }
    return name;
  }

  /* What lies around the areas, for orientation offline (geo.maps.mapview.context_json):
   * water pale blue, the neighbouring kommuner's borders grey and their names in small
   * grey italic, all under the areas (panes below Leaflet's overlay pane, z-index 400),
   * none of it interactive: no tooltip, no click, not focusable. The names are placed
   * greedily, largest neighbour first, a name whose box overlaps one already placed left
   * out; anew after every zoom or move. */
  function contextLayer(context) {
    var group = L.layerGroup(), map = null, built = false, names = L.layerGroup();
    var measure = document.createElement("canvas").getContext("2d");
    measure.font = "italic 10px system-ui, -apple-system, 'Segoe UI', Arial, sans-serif";
    var decode = document.createElement("textarea");
    var style = context.style;
    function place() {
      if (!map) { return; }
      names.clearLayers();
      var size = map.getSize(), placed = [];
      context.names.forEach(function (entry) {
        var p = map.latLngToContainerPoint([entry[1], entry[2]]);
        decode.innerHTML = entry[0];
        var w = Math.ceil(measure.measureText(decode.value).width) + 6, h = 14;
        var box = [p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2];
        // whole or not at all: a name cut by the map's edge reads as another name
        if (box[0] < 0 || box[2] > size.x || box[1] < 0 || box[3] > size.y) { return; }
        if (placed.some(function (b) {
          return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3];
        })) { return; }
        placed.push(box);
        L.marker([entry[1], entry[2]], {pane: "pm-context-names", interactive: false,
          keyboard: false, icon: L.divIcon({className: "pm-context-name", html: entry[0],
                                            iconSize: [w, h], iconAnchor: [w / 2, h / 2]})
        }).addTo(names);
      });
    }
    group.on("add", function () {
      map = group._map;
      pane(map, "pm-context", 300);
      pane(map, "pm-context-names", 350);
      if (!built) {
        built = true;
        var water = {pane: "pm-context", interactive: false, stroke: false, fill: true,
                     fillColor: style.water, fillOpacity: 1};
        [context.sea, context.lakes].forEach(function (g) {
          if (g) { group.addLayer(L.geoJson(g, {style: water, interactive: false, pane: "pm-context"})); }
        });
        if (context.borders) {
          group.addLayer(L.geoJson(context.borders, {interactive: false, pane: "pm-context",
            style: {pane: "pm-context", interactive: false, color: style.border, weight: 1,
                    opacity: 1, fill: false}}));
        }
        group.addLayer(names);
      }
      map.on("moveend", place);
      place();
    });
    group.on("remove", function () { if (map) { map.off("moveend", place); } map = null; });
    return group;
  }

  /* Say on the map when the background tiles cannot be loaded (offline, a wrong address). */
  function watchTiles(map, layer) {
    layer.on("tileerror", function () {
      var box = map.getContainer().querySelector(".pm-tile-error");
      if (box) { return; }
      box = document.createElement("div");
      box.className = "pm-tile-error";
      box.setAttribute("role", "status");
      box.textContent = "Bakgrundskartan kunde inte laddas (ingen internetanslutning eller " +
        "fel adress). Områdena visas utan bakgrund.";
      map.getContainer().appendChild(box);
    });
  }

  /* watchTiles for every tile layer of ``map`` (the exported page's folium tiles). */
  function watchAllTiles(map) {
    map.eachLayer(function (l) { if (l instanceof L.TileLayer) { watchTiles(map, l); } });
  }

  root.PrevmapMap = {decodeArcs: decodeArcs, features: features,
                     boundary: boundary, areaLayer: areaLayer, outlineLayer: outlineLayer,
                     overlayLayer: overlayLayer, labelLayer: labelLayer, centre: centre,
                     contextLayer: contextLayer,
                     watchTiles: watchTiles, watchAllTiles: watchAllTiles,
                     prepare: prepare, tooltip: tooltip,
                     placeTooltip: placeTooltip};
})(window);
