/* IIKG graph views on vis-network (served from /static/vendor, never a CDN).
 *
 * Every <div class="graph" data-graph="ID"> reads its payload from <script type="application/json" id="ID">
 * (built by web/graphview.py, in its compact wire form: unwire below): nodes already styled, sized by degree, with plain-text tooltips that are
 * shown as text elements (never HTML). Physics runs until the layout is stable, then stops; large views
 * arrive with positions computed on the server and never run physics. Double-click expands a node through
 * /api/query/neighborhood; "N more" adds the nodes held back; PNG is the canvas, SVG the server's export
 * of exactly the nodes on screen. window.kgGraphs[ID] exposes {network, nodes, edges} (tests read it).
 */
(function () {
  'use strict';
  var FONT = '"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif';
  window.kgGraphs = window.kgGraphs || {};

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }

  function tip(text) {
    var d = document.createElement('div');
    d.className = 'vis-tip';
    d.textContent = text || '';
    return d;
  }

  var LABEL_PX = 13;      // on-screen size of a drawn label
  var HIDDEN = 0.01;      // a label this small is never drawn (vis skips labels under drawThreshold px)

  function font(n, size) {
    var f = { face: FONT, size: size, color: '#0f172a', strokeWidth: 3, strokeColor: '#ffffff' };
    if (n.focus) { f.bold = true; }
    return f;
  }

  function toVisNode(n, autoLabels) {
    var o = {};
    for (var k in n) { if (Object.prototype.hasOwnProperty.call(n, k)) { o[k] = n[k]; } }
    o.title = tip(n.title);
    // no vis "group": vis would give every group its own default colour and re-apply it on each update
    delete o.group;
    o.font = font(n, autoLabels ? HIDDEN : (n.focus ? 15 : 13));
    if (n.focus) { o.borderWidth = 3; }
    if (n.synthetic) { o.shapeProperties = { borderDashes: [4, 3] }; }
    return o;
  }

  function toVisEdge(e) {
    var o = {};
    for (var k in e) { if (Object.prototype.hasOwnProperty.call(e, k)) { o[k] = e[k]; } }
    o.title = tip(e.title);
    return o;
  }

  // sizes on a log scale against a floor, so 2 vs 3 neighbours does not look like 1 vs 10
  function logScale(min, max, total, value) {
    var top = Math.log(Math.max(max, 12));
    return Math.max(0, Math.min(1, Math.log(Math.max(value, 1)) / top));
  }

  function fmt(s, vars) {
    return String(s).replace(/\{(\w+)\}/g, function (_, k) { return vars[k] !== undefined ? vars[k] : ''; });
  }

  function download(href, filename) {
    var a = document.createElement('a');
    a.href = href;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function safeName(s) {
    return String(s || 'graph').replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').slice(0, 80) || 'graph';
  }

  // ---- the compact form pages embed (web/graphview.py wire/unwire: the same rules both ways)
  function shortName(s, n) {
    var cp = Array.from(s);
    return cp.length <= n ? s : cp.slice(0, n - 1).join('') + '\u2026';
  }

  function rows(w) {
    var cols = {};
    Object.keys(w.cols).forEach(function (k) {
      var c = w.cols[k];
      cols[k] = { v: Array.isArray(c) ? c : c.c.map(function (x) { return c.d[x]; }), i: 0 };
    });
    return w.shape.map(function (s) {
      var r = {};
      w.shapes[s].forEach(function (k) { var c = cols[k]; r[k] = c.v[c.i++]; });
      return r;
    });
  }

  function unwire(payload) {
    if (payload.wire !== 1) { return payload; }
    function literal(v) { return (v !== null && typeof v === 'object' && !Array.isArray(v)) ? v.v : v; }
    var templates = payload.templates || [];
    function title(name, t) {
      if (t.length === 1 && typeof t[0] === 'string') { return name + '\n' + t[0]; }
      var parts = templates[t[0]].split('\u0001');
      var out = name + '\n';
      parts.forEach(function (p, j) { out += p + (j < parts.length - 1 ? t[1 + j] : ''); });
      return out;
    }
    var nodes = rows(payload.nodes);
    nodes.forEach(function (n) {
      if ('id' in n) { n.id = n.id === null ? n.group.toLowerCase() + ':' + n.name : literal(n.id); }
      if ('label' in n) { n.label = n.label === null ? shortName(n.name, 22) : literal(n.label); }
      if ('title' in n) { n.title = Array.isArray(n.title) ? title(n.name, n.title) : literal(n.title); }
    });
    var ids = nodes.map(function (n) { return n.id; });
    var edges = rows(payload.edges);
    edges.forEach(function (e) {
      ['from', 'to'].forEach(function (k) {
        if (k in e) { e[k] = typeof e[k] === 'number' ? ids[e[k]] : literal(e[k]); }
      });
      if ('id' in e) {
        e.id = e.id === null ? String(e.from) + '|' + (e.type === undefined ? '' : e.type) + '|' + String(e.to) : literal(e.id);
      }
    });
    var out = {};
    Object.keys(payload).forEach(function (k) {
      if (k !== 'nodes' && k !== 'edges' && k !== 'wire' && k !== 'templates') { out[k] = payload[k]; }
    });
    out.nodes = nodes;
    out.edges = edges;
    return out;
  }
  window.kgUnwire = unwire;

  function init(el) {
    var src = document.getElementById(el.getAttribute('data-graph'));
    if (!src || el.getAttribute('data-init')) { return; }
    el.setAttribute('data-init', '1');
    var payload = unwire(JSON.parse(src.textContent));
    var wrap = el.closest('.graph-wrap') || el.parentNode;
    var moreBox = wrap.querySelector('.graph-more');
    var all = payload.nodes || [];
    var allEdges = payload.edges || [];
    var strings = payload.strings || {};
    var shown = Math.min(payload.initial || 150, all.length);
    var precomputed = payload.layout === 'precomputed';
    // big views and views that ask for it label only what fits: the most central nodes first, no two
    // labels on top of each other, more as you zoom in; every name is in the hover tooltip
    var autoLabels = payload.labels === 'auto' || el.getAttribute('data-labels') === 'auto' || precomputed;
    function visNode(n) { return toVisNode(n, autoLabels); }
    var nodes = new vis.DataSet(all.slice(0, shown).map(visNode));
    var edges = new vis.DataSet([]);
    var t0 = window.performance ? performance.now() : 0;

    function addEdges(list) {
      var add = [];
      list.forEach(function (e) {
        if (nodes.get(e.from) && nodes.get(e.to) && !edges.get(e.id)) { add.push(toVisEdge(e)); }
      });
      if (add.length) { edges.add(add); }
    }
    addEdges(allEdges);

    if (!all.length) {
      var p = document.createElement('p');
      p.className = 'muted graph-empty';
      p.textContent = strings.empty || '';
      el.appendChild(p);
      el.classList.add('empty');
      el.setAttribute('data-stable', '1');
      window.kgGraphs[el.id] = { network: null, nodes: nodes, edges: edges };
      return;
    }

    var physics = {
      enabled: !precomputed,
      solver: 'forceAtlas2Based',
      forceAtlas2Based: { gravitationalConstant: -45, springLength: 90, springConstant: 0.06, avoidOverlap: 0.4 },
      stabilization: { enabled: true, iterations: 250, updateInterval: 50, fit: true },
      maxVelocity: 40, minVelocity: 1, timestep: 0.5
    };
    var options = {
      autoResize: true,
      nodes: { scaling: { min: 9, max: 32, label: { enabled: false }, customScalingFunction: logScale },
               font: { face: FONT }, borderWidth: 1 },
      edges: { smooth: false, color: { color: '#cbd5e1', highlight: '#334155', hover: '#64748b' },
               arrows: { to: { enabled: payload.directed === true, scaleFactor: 0.5 } },
               scaling: { min: 1, max: 7, customScalingFunction: logScale }, selectionWidth: 2 },
      physics: physics,
      layout: { improvedLayout: false, randomSeed: 7 },
      interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: all.length > 500, multiselect: true }
    };
    var network = new vis.Network(el, { nodes: nodes, edges: edges }, options);

    // ---- labels that read: greedy placement in order of importance (the payload's order)
    var measure = document.createElement('canvas').getContext('2d');
    measure.font = LABEL_PX + 'px ' + FONT;
    var widths = {};
    function labelWidth(text) {
      if (!(text in widths)) { widths[text] = measure.measureText(text).width; }
      return widths[text];
    }
    function radius(id) {
      var b = network.body && network.body.nodes[id];
      if (!b) { return 8; }
      return (b.shape && b.shape.radius) || (b.options && b.options.size) || 8;
    }
    function placeLabels() {
      if (!autoLabels) { return; }
      var scale = network.getScale();
      var W = el.clientWidth, H = el.clientHeight;
      var budget = Math.max(8, Math.round(W * H / 14000));
      var ids = nodes.getIds();
      var pos = network.getPositions(ids);
      var order = all.filter(function (n) { return pos[n.id]; });
      var cell = 48, grid = {}, used = 0, updates = [];
      function put(b) {
        for (var gx = Math.floor(b[0] / cell); gx <= Math.floor(b[2] / cell); gx++) {
          for (var gy = Math.floor(b[1] / cell); gy <= Math.floor(b[3] / cell); gy++) {
            (grid[gx + ',' + gy] = grid[gx + ',' + gy] || []).push(b);
          }
        }
      }
      order.forEach(function (n) {
        var want = false;
        var text = String(n.label || '');
        if (used < budget && text) {
          var p = network.canvasToDOM(pos[n.id]);
          var r = radius(n.id) * scale;
          var w = labelWidth(text) + 6, h = LABEL_PX + 5;
          var b = [p.x - w / 2, p.y + r + 1, p.x + w / 2, p.y + r + 1 + h, n.id];
          if (b[0] >= 0 && b[2] <= W && b[1] >= 0 && b[3] <= H) {
            var clash = false;
            for (var gx = Math.floor(b[0] / cell); gx <= Math.floor(b[2] / cell) && !clash; gx++) {
              for (var gy = Math.floor(b[1] / cell); gy <= Math.floor(b[3] / cell) && !clash; gy++) {
                (grid[gx + ',' + gy] || []).forEach(function (o) {
                  if (o[4] !== n.id && b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) { clash = true; }
                });
              }
            }
            if (!clash) { put(b); used++; want = true; }
          }
        }
        var size = want ? (n.focus ? LABEL_PX + 2 : LABEL_PX) / scale : HIDDEN;
        var cur = nodes.get(n.id);
        if (cur && (!cur.font || Math.abs(cur.font.size - size) > 1e-6 * size)) {
          updates.push({ id: n.id, font: font(n, size) });
        }
      });
      if (updates.length) { nodes.update(updates); }
      el.setAttribute('data-labels-drawn', String(used));
    }
    var relabelTimer = null;
    function relabelSoon() {
      if (!autoLabels) { return; }
      clearTimeout(relabelTimer);
      relabelTimer = setTimeout(placeLabels, 120);
    }
    network.on('zoom', relabelSoon);
    network.on('dragEnd', relabelSoon);
    network.on('resize', relabelSoon);

    // the labels drawn now, as boxes on the page (from vis-network's own label measurements)
    function labelBoxes() {
      var out = [];
      var scale = network.getScale();
      var thr = (network.body.nodes && network.options && network.options.nodes && network.options.nodes.font &&
                 network.options.nodes.font.drawThreshold) || 5;
      nodes.getIds().forEach(function (id) {
        var b = network.body.nodes[id];
        if (!b || !b.labelModule || !b.options.label) { return; }
        var f = b.options.font || {};
        if ((f.size || 0) * scale < thr) { return; }
        var sz = b.labelModule.size;
        if (!sz || !sz.width) { return; }
        var a = network.canvasToDOM({ x: sz.left, y: sz.top });
        var c = network.canvasToDOM({ x: sz.left + sz.width, y: sz.top + sz.height });
        if (c.x < 0 || c.y < 0 || a.x > el.clientWidth || a.y > el.clientHeight) { return; }
        out.push({ id: id, x1: a.x, y1: a.y, x2: c.x, y2: c.y, px: f.size * scale });
      });
      return out;
    }

    function stable() {
      if (window.performance) { el.setAttribute('data-settle-ms', String(Math.round(performance.now() - t0))); }
      el.setAttribute('data-stable', '1');
    }

    var first = true;
    function settled() {
      network.setOptions({ physics: { enabled: false } });
      if (first) { network.fit({ animation: false }); first = false; }
      if (autoLabels) {
        placeLabels();
        network.once('afterDrawing', stable);
        network.redraw();
      } else {
        stable();
      }
    }
    function relax(iterations) {
      el.removeAttribute('data-stable');
      network.setOptions({ physics: { enabled: true } });
      network.once('stabilized', settled);
      network.stabilize(iterations || 120);
    }
    if (precomputed) {
      network.once('afterDrawing', function () {
        placeLabels();
        network.once('afterDrawing', stable);
        network.redraw();
      });
      network.fit();
    } else {
      network.once('stabilizationIterationsDone', settled);
      network.once('stabilized', settled);
    }

    function renderMore() {
      if (!moreBox) { return; }
      while (moreBox.firstChild) { moreBox.removeChild(moreBox.firstChild); }
      var rest = all.length - shown;
      if (rest > 0) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'btn small more';
        b.textContent = fmt(strings.more || '{n} more', { n: rest });
        b.addEventListener('click', showMore);
        moreBox.appendChild(b);
      }
      if (payload.omitted > 0) {
        var s = document.createElement('span');
        s.className = 'muted small';
        s.textContent = ' ' + fmt(strings.omitted || '{n}', { n: payload.omitted });
        moreBox.appendChild(s);
      }
    }

    function showMore() {
      var next = all.slice(shown, shown + (payload.initial || 150));
      shown += next.length;
      nodes.add(next.map(visNode));
      addEdges(allEdges);
      renderMore();
      if (!precomputed) { relax(150); } else { relabelSoon(); }
    }

    function expand(id) {
      var url = el.getAttribute('data-expand');
      if (!url) { return Promise.resolve(0); }
      var q = url + '?entity=' + encodeURIComponent(id) + '&hops=1&limit=60&_view=1';
      el.classList.add('busy');
      return fetch(q, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          el.classList.remove('busy');
          var v = data && data.view;
          if (!v) { return 0; }
          var at = network.getPositions([id])[id] || { x: 0, y: 0 };
          var fresh = v.nodes.filter(function (n) { return !nodes.get(n.id); });
          var i = 0;
          fresh.forEach(function (n) {
            var a = (2 * Math.PI * i++) / Math.max(fresh.length, 1);
            n.x = at.x + 120 * Math.cos(a);
            n.y = at.y + 120 * Math.sin(a);
            if (payload.color_by === 'community') { n.color = '#94a3b8'; }
          });
          nodes.add(fresh.map(visNode));
          addEdges(v.edges);
          v.edges.forEach(function (e) { allEdges.push(e); });
          el.setAttribute('data-expanded', String(Number(el.getAttribute('data-expanded') || 0) + 1));
          if (fresh.length) { relax(120); }
          return fresh.length;
        })
        .catch(function () { el.classList.remove('busy'); return 0; });
    }

    network.on('doubleClick', function (params) {
      if (params.nodes && params.nodes.length) { expand(params.nodes[0]); }
    });

    function png() {
      var canvas = el.querySelector('canvas');
      if (!canvas) { return; }
      var out = document.createElement('canvas');
      out.width = canvas.width;
      out.height = canvas.height;
      var ctx = out.getContext('2d');
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, out.width, out.height);
      ctx.drawImage(canvas, 0, 0);
      download(out.toDataURL('image/png'), safeName(el.getAttribute('data-name')) + '.png');
    }

    function svg() {
      var pos = network.getPositions();
      var g = { nodes: [], edges: [] };
      nodes.forEach(function (n) {
        var p = pos[n.id] || {};
        g.nodes.push({ id: n.id, label: n.kind, name: n.name || n.label, x: p.x, y: p.y, color: n.color });
      });
      edges.forEach(function (e) { g.edges.push({ source: e.from, target: e.to, type: e.type }); });
      var name = safeName(el.getAttribute('data-name'));
      return fetch(el.getAttribute('data-export'), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
        body: JSON.stringify({ format: 'svg', name: name, graph: g })
      }).then(function (r) {
        if (!r.ok) { throw new Error('export failed: ' + r.status); }
        return r.blob();
      }).then(function (blob) {
        var u = URL.createObjectURL(blob);
        download(u, name + '.svg');
        setTimeout(function () { URL.revokeObjectURL(u); }, 5000);
      });
    }

    renderMore();
    window.kgGraphs[el.id] = { network: network, nodes: nodes, edges: edges, payload: payload,
                               expand: expand, showMore: showMore, png: png, svg: svg,
                               placeLabels: placeLabels, labelBoxes: labelBoxes };
  }

  function bindButtons() {
    document.addEventListener('click', function (ev) {
      var t = ev.target.closest('[data-graph-fit],[data-graph-png],[data-graph-svg]');
      if (!t) { return; }
      var id = t.getAttribute('data-graph-fit') || t.getAttribute('data-graph-png') || t.getAttribute('data-graph-svg');
      var g = window.kgGraphs[id];
      if (!g || !g.network) { return; }
      if (t.hasAttribute('data-graph-fit')) { g.network.fit({ animation: false }); }
      if (t.hasAttribute('data-graph-png')) { g.png(); }
      if (t.hasAttribute('data-graph-svg')) { g.svg(); }
    });
  }

  function start() {
    document.querySelectorAll('.graph[data-graph]').forEach(init);
    bindButtons();
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
