/* map.html: the planner's layers, decoded in the browser from compact data (see
   planner/report/_leaflet.py). Popups and tooltips are built with textContent, never
   innerHTML: text from input files is never markup. */
function plText(tag, text) {
  var el = document.createElement(tag); el.textContent = text == null ? '' : text; return el;
}
/* One popup column of n values: an array; {d: values, i: codes} (dictionary);
   {d: values, x: steps between the features that have them} (sparse: the others are
   empty); {q: steps between whole numbers}; {d: [value]} (constant). */
function plCol(col, n) {
  if (col == null || Array.isArray(col)) { return col; }
  var out = new Array(n), i, at = 0, codes;
  if (col.q != null) {
    codes = plInts(col.q);
    for (i = 0; i < n; i++) { at += codes[i]; out[i] = at; }
  } else if (col.x != null) {
    codes = plInts(col.x);
    for (i = 0; i < n; i++) { out[i] = null; }
    for (i = 0; i < codes.length; i++) { at += codes[i]; out[at] = col.d[i]; }
  } else if (col.i != null) {
    codes = plInts(col.i);
    for (i = 0; i < n; i++) { out[i] = col.d[codes[i]]; }
  } else {
    for (i = 0; i < n; i++) { out[i] = col.d[0]; }
  }
  return out;
}
/* Integers written as in Google's encoded polyline: five bits a character, from the
   lowest, plus 63, plus 32 while more follow; the sign in the lowest bit. */
function plInts(text) {
  var out = [], z = 0, mul = 1, i, b;
  for (i = 0; i < text.length; i++) {
    b = text.charCodeAt(i) - 63; z += (b & 31) * mul;
    if (b & 32) { mul *= 32; continue; }
    out.push(z % 2 ? -(z + 1) / 2 : z / 2); z = 0; mul = 1;
  }
  return out;
}
/* GeoJSON geometries of g = {m: features, s: scale, t: part types ('P' point, 'L' line,
   'A' area; one letter for all), and as plInts: f parts per feature, r rings per area
   (absent: one each), n vertices per line or ring (rings without their closing vertex),
   c x, y as integer steps from the previous vertex, in units of 1/s degree}. */
function plGeoms(g) {
  var c = plInts(g.c), n = plInts(g.n), f = g.f ? plInts(g.f) : null;
  var r = g.r ? plInts(g.r) : null, s = g.s, x = 0, y = 0, ci = 0, ni = 0, ri = 0, pi = 0;
  var out = [];
  function vertex() { x += c[ci++]; y += c[ci++]; return [x / s, y / s]; }
  function line(closed) {
    var k = n[ni++], pts = [], j;
    for (j = 0; j < k; j++) { pts.push(vertex()); }
    if (closed) { pts.push(pts[0]); }
    return pts;
  }
  function part() {
    var t = g.t.length === 1 ? g.t : g.t.charAt(pi), k, rings = [], j;
    pi++;
    if (t === 'P') { return {type: 'Point', coordinates: vertex()}; }
    if (t === 'L') { return {type: 'LineString', coordinates: line(false)}; }
    k = r ? r[ri++] : 1;
    for (j = 0; j < k; j++) { rings.push(line(true)); }
    return {type: 'Polygon', coordinates: rings};
  }
  for (var i = 0; i < g.m; i++) {
    var k = f ? f[i] : 1, parts = [], j, same = true;
    if (k === 1) { out.push(part()); continue; }
    for (j = 0; j < k; j++) {
      parts.push(part()); same = same && parts[j].type === parts[0].type;
    }
    out.push(same ? {type: 'Multi' + parts[0].type, coordinates: parts.map(function (p) {
      return p.coordinates; })} : {type: 'GeometryCollection', geometries: parts});
  }
  return out;
}
function plBind(spec) {
  return function (feature, layer) {
    var p = feature.properties;
    layer.bindPopup(function () {
      var div = document.createElement('div'), table = document.createElement('table');
      div.className = 'pp';
      div.appendChild(plText('b', p.h));
      spec.labels.forEach(function (label, i) {
        if (p.v[i] == null || p.v[i] === '') { return; }
        var row = table.insertRow();
        row.appendChild(plText('th', label)); row.appendChild(plText('td', p.v[i]));
      });
      div.appendChild(table); return div;
    });
    layer.bindTooltip(function () {
      if (p.t != null) { return plText('span', p.t); }
      if (spec.tv != null) { return plText('span', p.h + '（' + p.v[spec.tv] + '）'); }
      return plText('span', spec.tip + (p.h == null ? '' : p.h));
    });
  };
}
function plStyle(spec) { return function (feature) { return spec.styles[feature.properties.k]; }; }
function plPoint(spec) {
  return function (feature, latlng) {
    var icon = spec.icons && spec.icons[feature.properties.k];
    if (icon) {
      return L.marker(latlng, {icon: L.divIcon({html: icon[0], className: 'pm',
                                                iconSize: [icon[1], icon[1]]})});
    }
    return L.circleMarker(latlng, spec.styles[feature.properties.k]);
  };
}
/* The GeoJSON layer of data = {g: geometries, p: {h: headings, k: style keys, t: tooltips,
   v: [popup columns]}}; a missing heading is the popup's value spec.hv. */
function plLayer(data, spec) {
  var geoms = plGeoms(data.g), n = geoms.length, p = data.p || {}, feats = [], i;
  var h = plCol(p.h, n), k = plCol(p.k, n), t = plCol(p.t, n);
  var v = (p.v || []).map(function (col) { return plCol(col, n); });
  for (i = 0; i < n; i++) {
    var props = {h: h ? h[i] : null, k: k ? k[i] : '', t: t ? t[i] : null,
                 v: v.map(function (col) { return col[i]; })};
    if (props.h == null && spec.hv != null) { props.h = props.v[spec.hv]; }
    feats.push({type: 'Feature', geometry: geoms[i], properties: props});
  }
  var options = {style: plStyle(spec), pointToLayer: plPoint(spec)};
  if (spec.interactive === false) { options.interactive = false; }
  else { options.onEachFeature = plBind(spec); }
  return L.geoJson({type: 'FeatureCollection', features: feats}, options);
}
/* The page around the layers: a metric scale bar, the attribution without Leaflet's flag,
   the legend showing the rows of the layers that are on (groups: layer-control name ->
   layer), folded at first on a small screen. */
function plSetup(map, groups) {
  map.attributionControl.setPrefix('Leaflet');
  L.control.scale({metric: true, imperial: false}).addTo(map);
  var legend = document.getElementById('pl-legend');
  if (!legend) { return; }
  if (window.innerWidth <= 600 || window.innerHeight <= 500) { legend.open = false; }
  function update() {
    legend.querySelectorAll('.lb').forEach(function (block) {
      var shown = 0;
      block.querySelectorAll('.it').forEach(function (row) {
        var layer = groups[row.getAttribute('data-layer')];
        var on = !layer || map.hasLayer(layer);
        row.style.display = on ? '' : 'none'; shown += on ? 1 : 0;
      });
      block.style.display = shown ? '' : 'none';
    });
  }
  map.on('overlayadd overlayremove', update);
  update();
}
