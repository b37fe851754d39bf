/* IIKG graph views on vis-network (served from /static/vendor, never a CDN).
 *
 * Every <div class="graph" data-graph="ID"> reads its payload from <script type="application/json" id="ID">
 * (built by web/graphview.py): nodes already styled, sized by degree, with plain-text tooltips that are
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

  function toVisNode(n) {
    var o = {};
    for (var k in n) { if (Object.prototype.hasOwnProperty.call(n, k)) { o[k] = n[k]; } }
    o.title = tip(n.title);
    o.font = { face: FONT, size: 13, color: '#0f172a', strokeWidth: 3, strokeColor: '#ffffff' };
    if (n.focus) { o.borderWidth = 3; o.font = { face: FONT, size: 15, color: '#0f172a', bold: true, strokeWidth: 3, strokeColor: '#ffffff' }; }
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

  function init(el) {
    var src = document.getElementById(el.getAttribute('data-graph'));
    if (!src || el.getAttribute('data-init')) { return; }
    el.setAttribute('data-init', '1');
    var payload = JSON.parse(src.textContent);
    var wrap = el.closest('.graph-wrap') || el.parentNode;
    var moreBox = wrap.querySelector('.graph-more');
    var all = payload.nodes || [];
    var allEdges = payload.edges || [];
    var strings = payload.strings || {};
    var shown = Math.min(payload.initial || 150, all.length);
    var nodes = new vis.DataSet(all.slice(0, shown).map(toVisNode));
    var edges = new vis.DataSet([]);
    var precomputed = payload.layout === 'precomputed';

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
               scaling: { min: 1, max: 7, customScalingFunction: logScale }, selectionWidth: 2 },
      physics: physics,
      layout: { improvedLayout: false, randomSeed: 7 },
      interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: all.length > 500, multiselect: true }
    };
    var network = new vis.Network(el, { nodes: nodes, edges: edges }, options);

    var first = true;
    function settled() {
      network.setOptions({ physics: { enabled: false } });
      if (first) { network.fit({ animation: false }); first = false; }
      el.setAttribute('data-stable', '1');
    }
    function relax(iterations) {
      el.removeAttribute('data-stable');
      network.setOptions({ physics: { enabled: true } });
      network.once('stabilized', settled);
      network.stabilize(iterations || 120);
    }
    if (precomputed) {
      network.once('afterDrawing', function () { el.setAttribute('data-stable', '1'); });
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
      nodes.add(next.map(toVisNode));
      addEdges(allEdges);
      renderMore();
      if (!precomputed) { relax(150); }
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
          nodes.add(fresh.map(toVisNode));
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
                               expand: expand, showMore: showMore, png: png, svg: svg };
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
