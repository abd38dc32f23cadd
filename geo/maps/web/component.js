/* The app's map component (map_component.py): Leaflet in a Streamlit component iframe.
 *
 * Streamlit sends the arguments on every rerun ("streamlit:render"): the name of the
 * shape file (the borders, geo.maps.mapview.MapShape, served beside this page and
 * fetched once per area set), the values of the current ranking, the panels and the
 * background tiles. A new shape is drawn anew and fitted; new values only restyle the
 * areas and redraw the outlines, so a weight change moves a few kB and keeps the view.
 * A click on an area sends {idx, n} back (n is new with every click, also after the
 * frame is made anew when its tab is shown again, so that the same area clicked twice is
 * two clicks). Borders that cannot be fetched are said on the map, not left grey.
 */
(function () {
  "use strict";
  var map = null, control = null, tiles = null, tilesKey = null;
  var shapeName = null, shape = null, drawnName = null, latest = null, height = 0;
  var clicks = Date.now();   // a click's number: counts on from the time the frame loaded
  var boundary = null, areas = null, labels = null, context = null, outlines = [], overlays = [];
  var selected = null;   // the chosen area's row: outlined thick and dark, in front
  var SELECTED_STYLE = {weight: 4, color: "#111111", opacity: 1};

  /* Outline the area in row idx (null: none); the others keep their style. The row is
   * also the body's data-selected, and the path's class pm-selected. */
  function select(idx) {
    selected = (idx === undefined) ? null : idx;
    if (!areas) { return; }
    var focused = document.activeElement;   // outlined by the keyboard (prevmap_map.js)
    if (!(focused && focused.matches && focused.matches(":focus-visible"))) { focused = null; }
    areas.eachLayer(function (l) {
      var mine = l.feature.properties.idx === selected;
      var path = l.getElement && l.getElement();
      if (path) { path.classList.toggle("pm-selected", mine); }
      if (path && path === focused) { return; }   // the keyboard's outline stays till blur
      if (mine) { l.setStyle(SELECTED_STYLE); l.bringToFront(); } else { areas.resetStyle(l); }
    });
    document.body.setAttribute("data-selected", selected === null ? "" : String(selected));
    if (selected !== null && !(focused && focused.closest && focused.closest(".leaflet-interactive"))) {
      areas.prevmapRove(selected);   // Tab into the map lands on the chosen area
    }
  }

  function send(type, data) {
    window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, data || {}),
                              "*");
  }

  /* A panel (title, legend, sources: around the map, never on it; an error: on it). */
  function panel(id, html) {
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      (id === "pm-error" ? map.getContainer() : document.body).appendChild(box);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      box.addEventListener("toggle", fitFrame, true);   // the sources' details opened
    }
    if (box.innerHTML !== html) { box.innerHTML = html; fitFrame(); }
  }

  /* The frame as high as the page: the map and the panels around it. */
  var frameHeight = 0;
  function fitFrame() {
    var wanted = Math.ceil(document.body.scrollHeight);
    if (wanted !== frameHeight) {
      frameHeight = wanted;
      send("streamlit:setFrameHeight", {height: wanted});
    }
  }

  function setTiles(wanted) {
    var key = wanted ? wanted.url : null;
    if (key === tilesKey) { return; }
    if (tiles) { map.removeLayer(tiles); tiles = null; }
    tilesKey = key;
    if (wanted) {
      tiles = L.tileLayer(wanted.url, {attribution: wanted.attribution, maxZoom: 19}).addTo(map);
      tiles.bringToBack();
      PrevmapMap.watchTiles(map, tiles);
    }
  }

  function replaceLayers(list, make) {
    list.forEach(function (entry) { map.removeLayer(entry.layer); control.removeLayer(entry.layer); });
    return make().map(function (entry) {
      entry.layer.addTo(map);
      control.addOverlay(entry.layer, entry.name);
      return entry;
    });
  }

  function drawOutlines(values) {
    outlines = replaceLayers(outlines, function () {
      return (values.outlines || []).map(function (o) {
        return {name: o.name, layer: PrevmapMap.outlineLayer(areas, o)};
      });
    });
  }

  function draw(args) {
    [context, boundary, areas, labels].forEach(function (layer) {
      if (layer) { map.removeLayer(layer); control.removeLayer(layer); }
    });
    boundary = null;
    context = null;
    if (shape.context) {   // neighbouring kommuner and water, under the areas
      context = PrevmapMap.contextLayer(shape.context).addTo(map);
      control.addOverlay(context, args.contextName);
    }
    if (args.boundary) {
      boundary = L.geoJson(PrevmapMap.boundary(shape.topology, shape.boundary),
                           {interactive: false, style: args.style.boundary}).addTo(map);
      control.addOverlay(boundary, args.boundary);
    }
    areas = PrevmapMap.areaLayer(shape, args.values, {
      style: args.style.areas, highlight: args.style.highlight,
      onClick: function (idx) {
        select(idx);     // seen at once, before the app's answer
        clicks += 1;
        send("streamlit:setComponentValue", {value: {idx: idx, n: clicks}, dataType: "json"});
      },
      onBlur: function () { select(selected); }    // the chosen one keeps its outline
    }).addTo(map);
    // The pointer leaving an area resets its style (prevmap_map.js): the chosen one keeps
    // its outline; under the pointer it keeps it too.
    areas.on("mouseout", function () { select(selected); });
    areas.on("mouseover", function (e) {
      if (e.layer.feature.properties.idx === selected) { e.layer.setStyle(SELECTED_STYLE); }
    });
    control.addOverlay(areas, args.layer);
    labels = PrevmapMap.labelLayer(areas, shape, args.values).addTo(map);
    control.addOverlay(labels, "Områdesnamn");
    overlays = replaceLayers(overlays, function () {
      return shape.overlays.map(function (o) { return {name: o.name, layer: PrevmapMap.overlayLayer(o)}; });
    });
    outlines = [];
    drawOutlines(args.values);
    select(args.selected);
    map.fitBounds(shape.bounds);
  }

  function restyle(args) {
    areas.prevmapRestyle(args.values);
    drawOutlines(args.values);
    select(args.selected);
  }

  /* Counts the values shown (a benchmark waits for it: benchmarks/bench_browser.py). */
  function shown() {
    document.body.setAttribute("data-renders", String(+(document.body.getAttribute("data-renders") || 0) + 1));
  }

  function render(args) {
    latest = args;
    if (args.height !== height) {
      height = args.height;
      document.getElementById("map").style.height = height + "px";
      fitFrame();
      if (map) { map.invalidateSize(); }
    }
    if (!map) {
      // Leaflet focuses the map on a press (keyboard handler) and the browser then
      // scrolls the app's page to show the whole frame: the release lands elsewhere and
      // the click on an area is lost. Focused without scrolling, the click is a click.
      L.Map.Keyboard.prototype._onMouseDown = function () {
        if (!this._focused) { this._map._container.focus({preventScroll: true}); }
      };
      map = L.map("map", {zoomControl: true, zoomSnap: 0.25, zoomDelta: 1});  // as choropleth.ZOOM_SNAP
      window.prevmapMap = map;
      L.control.scale({imperial: false, position: "topright"}).addTo(map);
      control = L.control.layers(null, null, {collapsed: true}).addTo(map);
      map.fitBounds([[55, 11], [69, 24]]);
    }
    setTiles(args.tiles);
    panel("pm-title", args.panels.title);
    panel("pm-legend", args.panels.legend);
    panel("pm-sources", args.panels.sources);
    fitFrame();
    if (args.shape !== shapeName) {
      shapeName = args.shape;
      fetch(args.shape).then(function (r) {
        if (!r.ok) { throw new Error("svaret var " + r.status); }
        return r.json();
      }).then(function (loaded) {
        if (shapeName !== args.shape) { return; }      // another area set came meanwhile
        shape = loaded;
        drawnName = args.shape;
        draw(latest);
        document.body.setAttribute("data-shape", shapeName);
        shown();
      }).catch(function (err) {
        panel("pm-error", '<div class="pm-panel pm-error">Kartans gränser kunde inte ' +
              "hämtas från appen (" + String(err.message).replace(/[<>&]/g, "") + "). " +
              "Ladda om sidan; händer det igen, starta om appen.</div>");
      });
      return;
    }
    // New values for the borders drawn (not for borders still on their way).
    if (drawnName === shapeName) { restyle(args); shown(); }
  }

  window.addEventListener("message", function (event) {
    if (event.data && event.data.type === "streamlit:render") { render(event.data.args); }
  });
  send("streamlit:componentReady", {apiVersion: 1});
})();
