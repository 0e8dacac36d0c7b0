/* planner studio: the page of the local planning server (planner/studio/server.py).
 *
 * Plain JavaScript, no build step. Every figure is the server's (planner's own code): the
 * page formats numbers (thousands separators) but never recomputes a figure. Every text
 * that comes from the server (names, labels, messages) is inserted with textContent, never
 * as HTML. Every request carries the page's token in the X-Planner-Token header.
 */
(function () {
  'use strict';

  var CONFIG = JSON.parse(document.getElementById('studio-config').textContent);
  var TOKEN = CONFIG.token;
  var POLL_MS = 2000;
  var SUGGEST_POLL_MS = 500;

  var NUM = new Intl.NumberFormat('zh-CN', {maximumFractionDigits: 2});
  var PCT = new Intl.NumberFormat('zh-CN', {maximumFractionDigits: 2});

  // kind -> marker colour (the kinds of planner/glossary.py; unknown kinds grey)
  var KIND_COLOURS = {
    care_point: '#d9822b', care_home: '#c2185b', protection_station: '#6a3d9a',
    welfare_station: '#00838f', social_org: '#7cb342', guidance_center: '#5d4037',
    protection_center: '#37474f'
  };
  var ORIGIN_LABELS = {base: '现有', added: '方案新增', moved: '方案移动'};
  var MODE_HINTS = {
    none: '拖动阵地标记可移动阵地；点击阵地可移除。',
    add: '添加阵地：在地图上点击要新建阵地的位置（再按一次按钮或 Esc 退出）。',
    candidate: '标记候选点：在地图上点击候选位置（再按一次按钮或 Esc 退出）。'
  };

  var S = {
    base: null, state: null, rev: null, mode: 'none', busy: 0, map: null,
    layers: {}, job: null, suggestTimer: null, nextBestShown: false,
    kindLabels: {}, pollTimer: null, messageTimer: null, queue: Promise.resolve(),
    resetTimer: null
  };
  window.studio = S;  // for the browser tests and for debugging

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'class') node.className = attrs[k];
        else if (k.slice(0, 5) === 'data-') node.setAttribute(k, attrs[k]);
        else node[k] = attrs[k];
      });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function num(x) {
    return (x === null || x === undefined || x === '' || isNaN(x)) ? '—' : NUM.format(x);
  }

  function int(x) {
    return (x === null || x === undefined || isNaN(x)) ? '—' : NUM.format(Math.round(x));
  }

  function pct(x) {  // a percentage the server computed (0-100)
    return (x === null || x === undefined || isNaN(x)) ? '—' : PCT.format(x) + '%';
  }

  function share(x) {  // a share 0..1 the server computed, shown in per cent
    return (x === null || x === undefined || isNaN(x)) ? '—' : PCT.format(x * 100) + '%';
  }

  function yuan(x) { return num(x) + ' 元'; }

  function kindLabel(kind) { return S.kindLabels[kind] || kind; }

  function shortLabel(kind) {
    var annex = S.state && S.state.figures && S.state.figures.annex;
    return (annex && annex.labels && annex.labels[kind]) || kindLabel(kind);
  }

  // ---------------------------------------------------------------- messages

  function showMessage(text, level) {
    var box = $('message');
    $('message-text').textContent = String(text);
    box.className = 'msg-' + (level || 'error');
    box.hidden = false;
    if (S.messageTimer) clearTimeout(S.messageTimer);
    S.messageTimer = null;
    if (level === 'info') {
      S.messageTimer = setTimeout(hideMessage, 6000);
    }
  }

  // a site list that lost more records than allowed (accepted): said above every figure
  function showIncomplete(base) {
    var box = $('incomplete');
    if (!box || !base.incomplete || !base.incomplete.length) return;
    box.textContent = base.incomplete.join(' ');
    box.hidden = false;
  }

  function hideMessage() {
    $('message').hidden = true;
    $('message-text').textContent = '';
  }

  function setBusy(delta) {
    S.busy = Math.max(0, S.busy + delta);
    $('busy').hidden = S.busy === 0;
    document.body.classList.toggle('busy', S.busy > 0);
  }

  // ---------------------------------------------------------------- the API

  function ApiError(status, message, data) {
    this.status = status;
    this.message = message;
    this.data = data;
  }

  function errorText(status, data) {
    if (data && typeof data.error === 'string' && data.error) return data.error;
    if (data && typeof data.detail === 'string' && data.detail) return data.detail;
    if (status === 401 || status === 403) {
      return '访问被拒绝：请使用 planner studio 启动时给出的完整网址（含令牌）打开本页。';
    }
    if (status === 404) return '请求的内容不存在（HTTP 404）。';
    if (status === 422) return '请求无效：请检查输入的数值。';
    return '请求失败（HTTP ' + status + '），请重试。';
  }

  function api(method, path, body) {
    var opts = {method: method, headers: {'X-Planner-Token': TOKEN}, cache: 'no-store'};
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) throw new ApiError(resp.status, errorText(resp.status, data), data);
        return data;
      });
    }, function () {
      throw new ApiError(0, '无法连接规划工作台服务：请确认 planner studio 仍在运行。', null);
    });
  }

  /* A request that changes the scenario: the returned state is drawn; a stale revision
   * (409) shows the message and draws the newer state the server returned; any other
   * refusal shows the message and keeps (redraws) the current state. */
  function change(method, path, body) {
    setBusy(1);
    return api(method, path, body).then(function (state) {
      if (state && state.figures) applyState(state, true);
      return state;
    }, function (err) {
      showMessage(err.message, err.status === 409 ? 'warn' : 'error');
      if (err.data && err.data.state && err.data.state.figures) {
        applyState(err.data.state, true);
      } else if (S.state) {
        drawSites(S.state);  // puts a dragged marker back
      }
      return null;
    }).then(function (state) {
      setBusy(-1);
      return state;
    });
  }

  /* Edits are sent one after another, each with the revision the previous one returned. */
  function edit(op) {
    S.queue = S.queue.then(function () {
      op.rev = S.rev;
      return change('POST', '/api/edit', op);
    });
    return S.queue;
  }

  // ---------------------------------------------------------------- the map

  function buildMap(base) {
    var map = L.map('map', {zoomSnap: 0.25, zoomControl: !CONFIG.print,
                            attributionControl: false,
                            boxZoom: true, doubleClickZoom: false});
    S.map = map;
    map.createPane('towns');
    map.getPane('towns').style.zIndex = 420;
    map.getPane('towns').style.pointerEvents = 'none';
    map.createPane('candidates');
    map.getPane('candidates').style.zIndex = 640;

    S.layers.villages = L.geoJSON(base.villages, {
      style: function () {
        return {color: '#8a9bb0', weight: 0.8, fillColor: '#eef2f6', fillOpacity: 0.6};
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        layer.bindTooltip(function () {
          var box = el('div', {'class': 'tip'});
          box.appendChild(el('strong', null, p.village_name || ''));
          if (p.town_name) box.appendChild(el('span', null, ' · ' + p.town_name));
          box.appendChild(el('br'));
          box.appendChild(el('span', null, '儿童 ' + int(p.children) + ' 人'));
          return box;
        }, {sticky: true, direction: 'top', opacity: 0.95});
        layer.on('mouseover', function () { layer.setStyle({fillColor: '#dce6f0'}); });
        layer.on('mouseout', function () { layer.setStyle({fillColor: '#eef2f6'}); });
      }
    }).addTo(map);

    S.layers.towns = L.geoJSON(base.towns, {
      pane: 'towns', interactive: false,
      style: function () { return {color: '#34495e', weight: 2, fill: false}; }
    }).addTo(map);

    S.layers.sites = L.layerGroup().addTo(map);
    S.layers.candidates = L.layerGroup().addTo(map);
    S.layers.suggested = L.layerGroup().addTo(map);

    S.fit = function () {
      var drawn = S.layers.villages.getBounds();
      map.fitBounds(drawn.isValid() ? drawn : base.bounds, {padding: [8, 8]});
    };
    S.fit();

    map.on('click', function (e) {
      if (S.mode === 'add') {
        var kind = $('kind-select').value;
        edit({op: 'add', kind: kind, lon: round7(e.latlng.lng), lat: round7(e.latlng.lat)});
      } else if (S.mode === 'candidate') {
        edit({op: 'candidate', lon: round7(e.latlng.lng), lat: round7(e.latlng.lat)});
      }
    });
  }

  function round7(x) { return Math.round(x * 1e7) / 1e7; }

  function siteIcon(kind, origin) {
    var dot = el('span', {'class': 'site-dot origin-' + origin});
    dot.style.backgroundColor = KIND_COLOURS[kind] || '#9e9e9e';
    var size = origin === 'base' ? 12 : 18;  // what the scenario changed stands out
    return L.divIcon({className: 'site-icon', html: dot, iconSize: [size, size],
                      iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2]});
  }

  function sitePopup(p) {
    var box = el('div', {'class': 'site-popup'});
    box.appendChild(el('strong', null, p.name || p.label || ''));
    box.appendChild(el('div', null, p.label || kindLabel(p.kind)));
    var where = [p.town_name, p.village_name].filter(Boolean).join(' · ');
    if (where) box.appendChild(el('div', null, where));
    box.appendChild(el('div', {'class': 'origin'}, ORIGIN_LABELS[p.origin] || p.origin || ''));
    var rm = el('button', {type: 'button', 'class': 'remove-site',
                           'data-facility-id': p.facility_id}, '移除');
    rm.addEventListener('click', function () {
      S.map.closePopup();
      edit({op: 'remove', facility_id: p.facility_id});
    });
    box.appendChild(rm);
    return box;
  }

  function drawSites(state) {
    var group = S.layers.sites;
    group.clearLayers();
    var sites = (state.figures && state.figures.sites && state.figures.sites.features) || [];
    sites.forEach(function (f) {
      if (!f.geometry || !f.geometry.coordinates) return;
      var p = f.properties || {};
      var c = f.geometry.coordinates;
      var marker = L.marker([c[1], c[0]], {
        icon: siteIcon(p.kind, p.origin || 'base'), draggable: !CONFIG.print, autoPan: true,
        keyboard: true, title: (p.label || '') + (p.name ? '：' + p.name : ''),
        riseOnHover: true, zIndexOffset: (p.origin && p.origin !== 'base') ? 1000 : 0
      });
      marker.feature = f;
      if (CONFIG.print) {
        group.addLayer(marker);
        return;
      }
      marker.bindPopup(function () { return sitePopup(p); });
      marker.on('dragstart', function () { S.dragging = true; });
      marker.on('dragend', function () {
        S.dragging = false;
        var ll = marker.getLatLng();
        edit({op: 'move', facility_id: p.facility_id, lon: round7(ll.lng),
              lat: round7(ll.lat)});
      });
      group.addLayer(marker);
    });
    drawCandidates(state);
  }

  function drawCandidates(state) {
    var group = S.layers.candidates;
    group.clearLayers();
    var cands = (state.scenario && state.scenario.candidates) || [];
    cands.forEach(function (c, index) {
      var icon = L.divIcon({className: 'candidate-icon', html: el('span', {'class': 'cand'}),
                            iconSize: [12, 12], iconAnchor: [6, 6]});
      var marker = L.marker([c.lat, c.lon], {icon: icon, pane: 'candidates',
                                             title: '候选点 ' + (index + 1)});
      marker.bindPopup(function () {
        var box = el('div', {'class': 'site-popup'});
        box.appendChild(el('strong', null, '候选点 ' + (index + 1)));
        var rm = el('button', {type: 'button', 'class': 'remove-candidate'}, '取消候选');
        rm.addEventListener('click', function () {
          S.map.closePopup();
          edit({op: 'uncandidate', index: index});
        });
        box.appendChild(rm);
        return box;
      });
      group.addLayer(marker);
    });
  }

  function setMode(mode) {
    S.mode = (S.mode === mode) ? 'none' : mode;
    $('mode-add').setAttribute('aria-pressed', String(S.mode === 'add'));
    $('mode-candidate').setAttribute('aria-pressed', String(S.mode === 'candidate'));
    $('mode-hint').textContent = MODE_HINTS[S.mode];
    $('map').classList.toggle('placing', S.mode !== 'none');
  }

  // ---------------------------------------------------------------- the panel

  function buildStatic(base) {
    var select = $('kind-select');
    clear(select);
    base.kinds.forEach(function (k) {
      S.kindLabels[k.key] = k.label;
      select.appendChild(el('option', {value: k.key}, k.label));
    });
    var first = base.kinds.filter(function (k) { return k.key === 'care_point'; })[0]
      || base.kinds.filter(function (k) { return k.placeable; })[0];
    if (first) select.value = first.key;
    buildLegend(base, null);

    // kit budget and unit prices
    $('kits-none').hidden = !!base.has_water;
    $('kits-body').hidden = !base.has_water;
    var box = $('price-inputs');
    clear(box);
    var keys = Object.keys(base.prices || {});
    var groups = [
      ['救生器材', keys.filter(function (k) { return k.slice(0, 5) !== 'site_'; })],
      ['新建阵地', keys.filter(function (k) { return k.slice(0, 5) === 'site_'; })]
    ];
    groups.forEach(function (g) {
      if (!g[1].length) return;
      if (g[0] === '救生器材' && !base.has_water) return;
      box.appendChild(el('h3', null, g[0]));
      g[1].forEach(function (key) {
        var row = el('div', {'class': 'row'});
        var id = 'price-' + key.replace(/[^A-Za-z0-9_-]/g, '_');
        row.appendChild(el('label', {htmlFor: id},
                           (base.price_labels && base.price_labels[key]) || key));
        var input = el('input', {type: 'number', id: id, min: '0', step: 'any',
                                 'data-key': key});
        input.addEventListener('change', function () { onPrice(input); });
        row.appendChild(input);
        box.appendChild(row);
      });
    });
  }

  /* The legend: a dot per kind (``only``: those kinds), the origins, the candidates. */
  function buildLegend(base, only) {
    var legend = $('legend');
    clear(legend);
    base.kinds.forEach(function (k) {
      if (only && only.indexOf(k.key) < 0) return;
      var li = el('li');
      var dot = el('span', {'class': 'site-dot origin-base'});
      dot.style.backgroundColor = KIND_COLOURS[k.key] || '#9e9e9e';
      li.appendChild(dot);
      li.appendChild(el('span', null, k.label));
      legend.appendChild(li);
    });
    [['base', '现有（灰边）'], ['added', '方案新增（绿边）'], ['moved', '方案移动（蓝边）']]
      .forEach(function (o) {
        var li = el('li');
        li.appendChild(el('span', {'class': 'site-dot origin-' + o[0]}));
        li.appendChild(el('span', null, o[1]));
        legend.appendChild(li);
      });
    if (!only) {
      var li = el('li');
      li.appendChild(el('span', {'class': 'cand'}));
      li.appendChild(el('span', null, '候选点'));
      legend.appendChild(li);
    }
  }

  function setInput(input, value) {
    if (document.activeElement === input) return;  // the user is typing
    input.value = (value === null || value === undefined) ? '' : String(value);
  }

  function drawCoverage(figures) {
    var body = $('coverage-table').tBodies[0];
    clear(body);
    var cov = figures.coverage || {};
    Object.keys(cov).forEach(function (kind) {
      var c = cov[kind];
      var tr = el('tr', {'data-kind': kind});
      tr.appendChild(el('th', {scope: 'row'}, c.label || kindLabel(kind)));
      var own = c.own_site || {};
      var td = el('td', {'class': 'cov-own'});
      td.appendChild(el('strong', {'class': 'pct'}, pct(own.villages_pct)));
      td.appendChild(el('span', {'class': 'detail'},
                        int(own.villages) + ' / ' + int(own.villages_total) + ' 个村（居）'));
      td.appendChild(el('span', {'class': 'detail'},
                        '其儿童 ' + int(own.children) + ' 人（' + pct(own.children_pct) + '）'));
      tr.appendChild(td);
      var reach = c.within_reach;
      td = el('td', {'class': 'cov-reach'});
      if (reach) {
        td.appendChild(el('strong', {'class': 'pct'}, pct(reach.pct)));
        td.appendChild(el('span', {'class': 'detail'},
                          int(reach.children) + ' / ' + int(reach.children_total) + ' 人'));
        td.appendChild(el('span', {'class': 'detail'},
                          int(reach.threshold_m) + ' 米内'));
      } else {
        td.textContent = '—';
      }
      tr.appendChild(td);
      body.appendChild(tr);
    });
    if (!Object.keys(cov).length) {
      var tr = el('tr');
      tr.appendChild(el('td', {colSpan: 3, 'class': 'hint'}, '无覆盖数据'));
      body.appendChild(tr);
    }
  }

  var ANNEX_FIELDS = [['required', '任务数'], ['built', '已建'], ['missing', '缺口'],
                      ['pct', '完成率']];

  function annexCells(tr, kinds, row) {
    kinds.forEach(function (kind) {
      var v = row[kind] || {};
      ANNEX_FIELDS.forEach(function (f, i) {
        var text = f[0] === 'pct' ? pct(v.pct) : int(v[f[0]]);
        var td = el('td', {'data-kind': kind, 'data-field': f[0],
                           'class': (i === 0 ? 'group-start ' : '') +
                                    (f[0] === 'missing' && v.missing > 0 ? 'short' : '')},
                    text);
        tr.appendChild(td);
      });
    });
  }

  function drawAnnex(figures) {
    var table = $('annex-table');
    var head = table.tHead;
    var body = table.tBodies[0];
    clear(head);
    clear(body);
    var annex = figures.annex;
    if (!annex || !annex.kinds || !annex.kinds.length) {
      var r = el('tr');
      r.appendChild(el('td', {'class': 'hint'}, '本工作区没有任务表（[quota]），无法统计任务完成情况。'));
      body.appendChild(r);
      return;
    }
    var kinds = annex.kinds;
    var tr1 = el('tr');
    tr1.appendChild(el('th', {rowSpan: 2, scope: 'col'}, '镇（街道）'));
    kinds.forEach(function (kind) {
      tr1.appendChild(el('th', {colSpan: ANNEX_FIELDS.length, scope: 'colgroup',
                                'class': 'group-start', 'data-kind': kind},
                         (annex.labels && annex.labels[kind]) || kindLabel(kind)));
    });
    var tr2 = el('tr');
    kinds.forEach(function () {
      ANNEX_FIELDS.forEach(function (f, i) {
        tr2.appendChild(el('th', {scope: 'col', 'class': i === 0 ? 'group-start' : ''}, f[1]));
      });
    });
    head.appendChild(tr1);
    head.appendChild(tr2);
    (annex.rows || []).forEach(function (row) {
      var tr = el('tr', {'data-town-code': row.town_code});
      tr.appendChild(el('th', {scope: 'row'}, row.town_name));
      annexCells(tr, kinds, row);
      body.appendChild(tr);
    });
    if (annex.total) {
      var tr = el('tr', {'class': 'total', 'data-town-code': 'total'});
      tr.appendChild(el('th', {scope: 'row'}, '合计'));
      annexCells(tr, kinds, annex.total);
      body.appendChild(tr);
    }
  }

  function statusText(status, gap, label) {
    // the server sends the glossary's label (SOLVER_LABELS) beside each status code
    var words = label || status || '';
    if (gap !== null && gap !== undefined && !isNaN(gap) && gap > 0) {
      words += (words ? '，' : '') + '差距 ' + share(gap);
    }
    return words || '—';
  }

  function drawKits(state) {
    var kits = state.figures.kits;
    var water = state.scenario.water || {};
    var budget = ('budget_yuan' in water) ? water.budget_yuan
      : (kits && kits.budget_yuan !== undefined && kits.budget_yuan !== null)
        ? kits.budget_yuan : S.base.budget_yuan;
    setInput($('budget-input'), budget);
    $('budget-words').textContent = (budget === null || budget === undefined) ? '不限'
      : yuan(budget);
    $('kit-new').textContent = kits ? int(kits.new_kits) : '—';
    $('kit-fixed').textContent = kits ? int(kits.fixed_kits) : '—';
    $('kit-spend').textContent = kits ? num(kits.spend_yuan) : '—';
    $('kit-remaining').textContent = kits ? num(kits.remaining_yuan) : '—';
    $('kit-risk').textContent = kits ? share(kits.risk_covered_share) : '—';
    $('kit-status').textContent = kits ? statusText(kits.status, kits.gap, kits.status_label)
      : '—';
    var prices = state.scenario.prices || {};
    Array.prototype.forEach.call(document.querySelectorAll('#price-inputs input'),
      function (input) {
        var key = input.getAttribute('data-key');
        setInput(input, key in prices ? prices[key] : S.base.prices[key]);
        input.classList.toggle('changed', key in prices &&
                               prices[key] !== S.base.prices[key]);
      });
    var cost = state.figures.cost || {};
    $('cost-sites').textContent = num(cost.sites_yuan);
    $('cost-kits').textContent = num(cost.kits_yuan);
    $('cost-total').textContent = num(cost.total_yuan);
  }

  function applyState(state, fromEdit) {
    if (!state || !state.figures) return;
    var revChanged = state.rev !== S.rev;
    S.state = state;
    S.rev = state.rev;
    var fig = state.figures;
    drawSites(state);
    drawCoverage(fig);
    drawAnnex(fig);
    drawKits(state);
    var name = state.scenario && state.scenario.name;
    $('scenario-current').textContent = name || '未保存';
    if (name && !$('scenario-name').value && document.activeElement !== $('scenario-name')) {
      $('scenario-name').value = name;
    }
    $('seconds').textContent = '第 ' + int(state.rev) + ' 版 · 计算用时 ' +
      (fig.seconds === undefined ? '—' : num(fig.seconds)) + ' 秒';
    document.body.setAttribute('data-rev', String(state.rev));
    if (revChanged && S.nextBestShown) loadNextBest();
  }

  // ---------------------------------------------------------------- inputs

  function onBudget() {
    var input = $('budget-input');
    var raw = input.value.trim();
    var value = Number(raw);
    if (raw === '' || !isFinite(value) || value < 0) {
      showMessage('请输入不小于 0 的预算（元）。', 'error');
      if (S.state) drawKits(S.state);
      return;
    }
    edit({op: 'budget', budget_yuan: value});
  }

  function onPrice(input) {
    var raw = input.value.trim();
    var value = Number(raw);
    if (raw === '' || !isFinite(value) || value < 0) {
      showMessage('请输入不小于 0 的单价（元）。', 'error');
      if (S.state) drawKits(S.state);
      return;
    }
    var prices = {};
    prices[input.getAttribute('data-key')] = value;
    edit({op: 'prices', prices: prices});
  }

  // ---------------------------------------------------------------- suggestions

  function suggestRunning(on) {
    $('suggest-btn').disabled = on;
    $('suggest-cancel').hidden = !on;
  }

  function startSuggest() {
    clear($('suggest-list'));
    $('suggest-apply').hidden = true;
    S.layers.suggested.clearLayers();
    $('suggest-status').textContent = '正在求解…';
    suggestRunning(true);
    var ticket = S.suggestTicket = (S.suggestTicket || 0) + 1;
    S.job = null;
    api('POST', '/api/suggest', {rev: S.rev}).then(function (data) {
      if (ticket !== S.suggestTicket) {  // cancelled before the server named the job
        api('DELETE', '/api/suggest/' + encodeURIComponent(data.job)).then(null, function () {});
        return;
      }
      S.job = data.job;
      pollSuggest();
    }, function (err) {
      if (ticket !== S.suggestTicket) return;
      suggestRunning(false);
      $('suggest-status').textContent = '';
      showMessage(err.message, 'error');
    });
  }

  function pollSuggest() {
    var job = S.job;
    if (!job) return;
    S.suggestTimer = null;
    api('GET', '/api/suggest/' + encodeURIComponent(job)).then(function (data) {
      if (S.job !== job) return;
      if (data.state === 'running') {
        $('suggest-status').textContent = '正在求解…已用 ' + num(data.seconds) + ' 秒';
        S.suggestTimer = setTimeout(pollSuggest, SUGGEST_POLL_MS);
        return;
      }
      suggestRunning(false);
      if (data.state === 'done') showSuggestion(data);
      else if (data.state === 'cancelled') {
        $('suggest-status').textContent = '已取消';
        S.job = null;
      } else {
        $('suggest-status').textContent = '求解失败';
        showMessage(data.error || '智能建议求解失败。', 'error');
        S.job = null;
      }
    }, function (err) {
      if (S.job !== job) return;
      suggestRunning(false);
      S.job = null;
      $('suggest-status').textContent = '';
      showMessage(err.message, 'error');
    });
  }

  function cancelSuggest() {
    var job = S.job;
    S.suggestTicket = (S.suggestTicket || 0) + 1;  // forget the running request
    if (S.suggestTimer) clearTimeout(S.suggestTimer);
    S.suggestTimer = null;
    S.job = null;
    suggestRunning(false);
    $('suggest-status').textContent = '已取消';
    if (!job) return;
    api('DELETE', '/api/suggest/' + encodeURIComponent(job)).then(null, function (err) {
      showMessage(err.message, 'warn');
    });
  }

  function showSuggestion(data) {
    var result = data.result || {sites: [], by_kind: {}};
    var status = $('suggest-status');
    clear(status);
    var parts = [];
    Object.keys(result.by_kind || {}).forEach(function (kind) {
      var b = result.by_kind[kind];
      if (!b.status && !b.proposed) return;  // a kind the optimiser does not place
      parts.push(shortLabel(kind) + ' 建议 ' + int(b.proposed) + ' 处（' +
                 statusText(b.status, b.gap, b.status_label) + '）');
    });
    status.textContent = (parts.length ? parts.join('；') : '无需新增阵地') +
      ' · 用时 ' + num(data.seconds) + ' 秒';
    var list = $('suggest-list');
    clear(list);
    var adds = 0;
    (result.sites || []).forEach(function (s) {
      var li = el('li', {'class': s.upgrade ? 'upgrade' : 'new'});
      li.appendChild(el('strong', null, s.village_name || ''));
      li.appendChild(el('span', null, '（' + (s.town_name || '') + '）'));
      li.appendChild(el('span', {'class': 'detail'},
                        (s.label || kindLabel(s.kind)) + (s.upgrade
                          ? ' · 升级现有阵地达标（不新建）'
                          : ' · 新增服务儿童 ' + int(s.children_new) + ' 人')));
      list.appendChild(li);
      if (!s.upgrade) adds += 1;
      var icon = L.divIcon({className: 'suggest-icon' + (s.upgrade ? ' upgrade' : ''),
                            html: el('span', {'class': 'star'}, s.upgrade ? '☆' : '★'),
                            iconSize: [18, 18], iconAnchor: [9, 9]});
      var m = L.marker([s.lat, s.lon], {icon: icon, interactive: true,
                                        title: '建议：' + (s.village_name || '')});
      S.layers.suggested.addLayer(m);
    });
    $('suggest-apply').textContent = adds ? '采纳建议（新增 ' + int(adds) + ' 处）' : '采纳建议';
    $('suggest-apply').hidden = !(result.sites && result.sites.length);
  }

  function applySuggestion() {
    var job = S.job;
    if (!job) return;
    change('POST', '/api/suggest/' + encodeURIComponent(job) + '/apply', {rev: S.rev})
      .then(function (state) {
        if (!state) return;
        S.job = null;
        $('suggest-apply').hidden = true;
        clear($('suggest-list'));
        S.layers.suggested.clearLayers();
        $('suggest-status').textContent = '已采纳建议，加入当前方案。';
      });
  }

  function loadNextBest() {
    var n = Math.max(1, Math.min(50, parseInt($('next-best-n').value, 10) || 5));
    S.nextBestShown = true;
    return api('GET', '/api/next_best?n=' + n).then(function (data) {
      var list = $('next-best-list');
      clear(list);
      $('next-best-note').textContent = data.note || '';
      (data.items || []).forEach(function (it) {
        var li = el('li');
        var head = el('div');
        head.appendChild(el('strong', null, it.village_name || ''));
        head.appendChild(el('span', null, '（' + (it.town_name || '') + '）'));
        li.appendChild(head);
        li.appendChild(el('span', {'class': 'detail'},
                          (it.label || kindLabel(it.kind)) + ' · 新增服务儿童 ' +
                          int(it.children_new) + ' 人 · ' + yuan(it.yuan) + ' · 每万元 ' +
                          num(it.children_per_10k_yuan) + ' 人'));
        var add = el('button', {type: 'button', 'class': 'add-next'}, '加入方案');
        add.addEventListener('click', function () {
          add.disabled = true;
          edit({op: 'add', kind: it.kind, lon: it.lon, lat: it.lat});
        });
        li.appendChild(add);
        list.appendChild(li);
      });
      if (!(data.items || []).length) {
        list.appendChild(el('li', {'class': 'hint'}, '没有能再增加服务儿童的位置。'));
      }
    }, function (err) { showMessage(err.message, 'error'); });
  }

  // ---------------------------------------------------------------- scenarios

  function saveScenario() {
    var name = $('scenario-name').value.trim();
    if (!name) {
      showMessage('请先输入方案名称。', 'error');
      return;
    }
    change('POST', '/api/scenarios', {name: name, rev: S.rev}).then(function (state) {
      if (!state) return;
      if (!state.figures) refreshState();
      showMessage('方案“' + name + '”已保存。', 'info');
      loadScenarios();
    });
  }

  function loadScenario(name) {
    change('POST', '/api/scenarios/' + encodeURIComponent(name) + '/load', {rev: S.rev})
      .then(function (state) {
        if (!state) return;
        $('scenario-name').value = name;
        showMessage('已载入方案“' + name + '”。', 'info');
        loadScenarios();
      });
  }

  function withToken(path, params) {
    var q = ['token=' + encodeURIComponent(TOKEN)];
    Object.keys(params || {}).forEach(function (k) {
      q.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
    });
    return path + '?' + q.join('&');
  }

  function download(link, path, filename) {
    link.addEventListener('click', function (e) {
      e.preventDefault();
      setBusy(1);
      fetch(path, {headers: {'X-Planner-Token': TOKEN}}).then(function (resp) {
        if (!resp.ok) {
          return resp.text().then(function (text) {
            var data = null;
            try { data = JSON.parse(text); } catch (x) { data = null; }
            throw new ApiError(resp.status, errorText(resp.status, data), data);
          });
        }
        var cd = resp.headers.get('Content-Disposition') || '';
        var m = /filename\*=(?:UTF-8|utf-8)''([^;]+)/.exec(cd);
        if (m) {
          try { filename = decodeURIComponent(m[1]); } catch (x) { /* keep ours */ }
        }
        return resp.blob();
      }).then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el('a', {href: url, download: filename});
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      }, function (err) {
        showMessage(err instanceof ApiError ? err.message
          : '无法连接规划工作台服务：请确认 planner studio 仍在运行。', 'error');
      }).then(function () { setBusy(-1); });
    });
  }

  function compareRows(items) {
    // kinds named by any saved scenario, in the order of the annex table
    var kinds = [];
    var annex = S.state && S.state.figures.annex;
    (annex && annex.kinds || []).forEach(function (k) { kinds.push(k); });
    items.forEach(function (it) {
      Object.keys(it.quota_pct || {}).concat(Object.keys(it.children_within_reach || {}))
        .forEach(function (k) { if (kinds.indexOf(k) < 0) kinds.push(k); });
    });
    var rows = [];
    if (items.some(function (it) { return it.error; })) {
      rows.push(['error', '状态', function (it) { return it.error ? '无法读取：' + it.error : '正常'; }]);
    }
    if (items.some(function (it) { return it.saved; })) {
      rows.push(['saved', '保存时间', function (it) {
        return it.saved ? String(it.saved).replace('T', ' ') : '—';
      }]);
    }
    rows.push(['sites_added', '新增阵地', function (it) { return int(it.sites_added); }]);
    rows.push(['sites_moved', '移动阵地', function (it) { return int(it.sites_moved); }]);
    rows.push(['sites_removed', '撤销阵地', function (it) { return int(it.sites_removed); }]);
    kinds.forEach(function (k) {
      if (items.some(function (it) { return it.children_within_reach &&
                                            k in it.children_within_reach; })) {
        rows.push(['reach-' + k, '服务半径内儿童 · ' + shortLabel(k), function (it) {
          return int((it.children_within_reach || {})[k]) + ' 人';
        }]);
      }
    });
    kinds.forEach(function (k) {
      if (items.some(function (it) { return it.quota_pct && k in it.quota_pct; })) {
        rows.push(['quota-' + k, '完成率 · ' + shortLabel(k), function (it) {
          return pct((it.quota_pct || {})[k]);
        }]);
      }
    });
    rows.push(['new_kits', '新增救生器材', function (it) {
      return it.new_kits === null || it.new_kits === undefined ? '—' : int(it.new_kits) + ' 套';
    }]);
    rows.push(['cost_yuan', '费用合计', function (it) { return yuan(it.cost_yuan); }]);
    return rows;
  }

  function drawScenarios(data) {
    var table = $('compare-table');
    var head = table.tHead;
    var body = table.tBodies[0];
    clear(head);
    clear(body);
    var items = (data && data.items) || [];
    $('compare-empty').hidden = items.length > 0;
    table.hidden = items.length === 0;
    if (!items.length) return;
    var current = data.current || '';
    var tr = el('tr');
    tr.appendChild(el('th', {scope: 'col'}, '方案'));
    items.forEach(function (it) {
      var th = el('th', {scope: 'col', 'data-name': it.name,
                         'class': it.name === current ? 'current' : ''}, it.name);
      if (it.name === current) th.appendChild(el('span', {'class': 'tag'}, '当前'));
      tr.appendChild(th);
    });
    head.appendChild(tr);
    compareRows(items).forEach(function (row) {
      var r = el('tr', {'data-row': row[0]});
      r.appendChild(el('th', {scope: 'row'}, row[1]));
      items.forEach(function (it) {
        r.appendChild(el('td', {'data-name': it.name,
                                'class': it.name === current ? 'current' : ''}, row[2](it)));
      });
      body.appendChild(r);
    });
    var actions = el('tr', {'class': 'actions', 'data-row': 'actions'});
    actions.appendChild(el('th', {scope: 'row'}, '操作'));
    items.forEach(function (it) {
      var td = el('td', {'data-name': it.name});
      var load = el('button', {type: 'button', 'class': 'load-scenario',
                               'data-name': it.name}, '载入');
      load.addEventListener('click', function () { loadScenario(it.name); });
      td.appendChild(load);
      var base = '/api/scenarios/' + encodeURIComponent(it.name) + '/annex.xlsx';
      var xlsx = el('a', {href: withToken(base), 'class': 'annex-link',
                          'data-name': it.name}, '导出附表');
      xlsx.setAttribute('download', it.name + '_任务完成情况.xlsx');
      download(xlsx, base, it.name + '_任务完成情况.xlsx');
      td.appendChild(xlsx);
      var print = el('a', {href: withToken('/print', {scenario: it.name}), target: '_blank',
                           rel: 'noopener', 'class': 'print-link', 'data-name': it.name},
                     '打印地图');
      td.appendChild(print);
      actions.appendChild(td);
    });
    body.appendChild(actions);
  }

  function loadScenarios() {
    return api('GET', '/api/scenarios').then(drawScenarios, function (err) {
      showMessage(err.message, 'error');
    });
  }

  // ---------------------------------------------------------------- polling

  function refreshState() {
    return api('GET', '/api/state').then(function (state) {
      if (state && state.rev !== S.rev && S.busy === 0 && !S.dragging) {
        var before = S.state && S.state.scenario && S.state.scenario.name;
        applyState(state, false);
        if ((state.scenario && state.scenario.name) !== before) loadScenarios();
      }
    }, function (err) {
      if (err.status === 0) showMessage(err.message, 'error');
    });
  }

  function poll() {
    var again = function () { S.pollTimer = setTimeout(poll, POLL_MS); };
    if (S.busy > 0 || document.hidden) { again(); return; }
    refreshState().then(again, again);
  }

  // ---------------------------------------------------------------- start

  function wire() {
    $('message-close').addEventListener('click', hideMessage);
    $('mode-add').addEventListener('click', function () { setMode('add'); });
    $('mode-candidate').addEventListener('click', function () { setMode('candidate'); });
    $('reset-btn').addEventListener('click', function () {
      // a second click within 5 s confirms (no dialog box)
      var btn = $('reset-btn');
      if (S.resetTimer) {
        clearTimeout(S.resetTimer);
        S.resetTimer = null;
        btn.textContent = '恢复原状';
        btn.classList.remove('armed');
        edit({op: 'reset'});
        return;
      }
      btn.textContent = '再按一次确认恢复';
      btn.classList.add('armed');
      S.resetTimer = setTimeout(function () {
        S.resetTimer = null;
        btn.textContent = '恢复原状';
        btn.classList.remove('armed');
      }, 5000);
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && S.mode !== 'none') setMode(S.mode);
    });
    $('budget-input').addEventListener('change', onBudget);
    $('suggest-btn').addEventListener('click', startSuggest);
    $('suggest-cancel').addEventListener('click', cancelSuggest);
    $('suggest-apply').addEventListener('click', applySuggestion);
    $('next-best-btn').addEventListener('click', loadNextBest);
    $('save-scenario').addEventListener('click', saveScenario);
    $('scenario-name').addEventListener('keydown', function (e) {
      if (e.key === 'Enter') saveScenario();
    });
  }

  function start() {
    wire();
    setBusy(1);
    api('GET', '/api/base').then(function (base) {
      S.base = base;
      if (base.workspace) {
        $('ws-name').textContent = base.workspace;
        document.title = base.workspace + ' · 规划工作台';
      }
      buildStatic(base);
      buildMap(base);
      showIncomplete(base);
      return api('GET', '/api/state');
    }).then(function (state) {
      applyState(state, false);
      document.body.setAttribute('data-ready', 'true');
      loadScenarios();
    }, function (err) {
      showMessage(err.message, 'error');
    }).then(function () {
      setBusy(-1);
      S.pollTimer = setTimeout(poll, POLL_MS);
    });
  }

  /* The printable page (/print): one scenario's figures, drawn once, nothing to edit. */
  function startPrint() {
    $('print-date').textContent = new Date().toLocaleDateString('zh-CN');
    $('print-btn').addEventListener('click', function () { window.print(); });
    $('message-close').addEventListener('click', hideMessage);
    var figures = JSON.parse($('print-figures').getAttribute('data-json'));
    var state = {rev: 0, scenario: {candidates: []}, figures: figures};
    S.state = state;
    drawCoverage(figures);
    drawAnnex(figures);
    var kits = figures.kits;
    $('print-kits').hidden = false;
    $('kit-budget').textContent = kits ? num(kits.budget_yuan) : '—';
    $('kit-new').textContent = kits ? int(kits.new_kits) : '—';
    $('kit-fixed').textContent = kits ? int(kits.fixed_kits) : '—';
    $('kit-spend').textContent = kits ? num(kits.spend_yuan) : '—';
    $('kit-risk').textContent = kits ? share(kits.risk_covered_share) : '—';
    var cost = figures.cost || {};
    $('cost-sites').textContent = num(cost.sites_yuan);
    $('cost-total').textContent = num(cost.total_yuan);
    api('GET', '/api/base').then(function (base) {
      S.base = base;
      base.kinds.forEach(function (k) { S.kindLabels[k.key] = k.label; });
      buildMap(base);
      showIncomplete(base);
      var present = [];
      ((figures.sites && figures.sites.features) || []).forEach(function (f) {
        var k = f.properties && f.properties.kind;
        if (k && present.indexOf(k) < 0) present.push(k);
      });
      buildLegend(base, present);
      drawSites(state);
      drawCoverage(figures);  // the kinds' labels are known now
      window.addEventListener('beforeprint', function () { S.map.invalidateSize(); S.fit(); });
      document.body.setAttribute('data-ready', 'true');
    }, function (err) { showMessage(err.message, 'error'); });
  }

  var begin = CONFIG.print ? startPrint : start;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', begin);
  else begin();
}());
