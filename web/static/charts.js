/* IIKG charts: draws every <div class="iikg-chart" data-spec='JSON'> with Apache ECharts (vendored in
 * static/vendor/echarts, loaded on demand from this server: no CDN, no inline script).
 *
 * spec = {"kind": "bar"|"hbar"|"line"|"stacked"|"pie", "title": str, "categories": [str],
 *         "series": [{"name": str, "data": [number]}], "unit": str, "synthetic": bool}
 *
 * Names come from users' files: they are only ever drawn as chart text (canvas) or set as textContent;
 * tooltips use ECharts' rich-text mode (drawn on the canvas, never HTML). A synthetic spec gets a
 * visible caption on the chart ("合成数据" / "synthetic data"), data-synthetic="1" and says so in its aria-label. */
(function () {
  'use strict';
  if (window.IIKGCharts) { return; }

  var PALETTE = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16',
                 '#64748b', '#f97316', '#14b8a6', '#a855f7'];
  var FONT = 'Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif';
  var me = document.currentScript;
  var base = me && me.src ? me.src.replace(/charts\.js(\?.*)?$/, '') : '/static/';
  var zh = /^zh/i.test(document.documentElement.lang || '');
  var SYN = zh ? '合成数据' : 'synthetic data';
  var drawn = [];

  function num(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }

  function fmt(v, unit) {
    var s;
    try { s = new Intl.NumberFormat(zh ? 'zh-CN' : 'en', { maximumFractionDigits: 2 }).format(num(v)); }
    catch (e) { s = String(num(v)); }
    return unit ? s + ' ' + unit : s;
  }

  function parse(el) {
    try {
      var s = JSON.parse(el.getAttribute('data-spec') || 'null');
      if (!s || typeof s !== 'object') { return null; }
      s.categories = (s.categories || []).map(function (c) { return String(c); });
      s.series = (s.series || []).map(function (x) {
        return { name: String(x.name || ''), data: (x.data || []).map(num) };
      });
      s.kind = String(s.kind || 'bar');
      s.title = String(s.title || '');
      s.unit = String(s.unit || '');
      return s;
    } catch (e) { return null; }
  }

  // the page already names the chart (a figure caption or a heading right above it)
  function titled(el) {
    var fig = el.closest('figure');
    if (fig && fig.querySelector('figcaption')) { return true; }
    var prev = el.previousElementSibling;
    return !!(prev && /^H[1-6]$/.test(prev.tagName));
  }

  function longest(cats) {
    return cats.reduce(function (m, c) { return Math.max(m, c.length); }, 0);
  }

  function option(s, el) {
    var many = s.series.length > 1;
    var showTitle = s.title && !titled(el);
    var top = (showTitle ? 30 : 10) + (many ? 26 : 0) + (s.synthetic && !showTitle && !many ? 12 : 0);
    var o = {
      color: PALETTE,
      animation: false,
      textStyle: { fontFamily: FONT },
      aria: { enabled: false },
      tooltip: {
        renderMode: 'richText', confine: true,
        trigger: s.kind === 'pie' ? 'item' : 'axis',
        axisPointer: { type: s.kind === 'line' ? 'line' : 'shadow' },
        valueFormatter: function (v) { return fmt(v, s.unit); }
      },
      graphic: []
    };
    if (showTitle) { o.title = { text: s.title, left: 0, top: 0, textStyle: { fontSize: 13, fontWeight: 600 } }; }
    if (many || s.kind === 'pie') {
      o.legend = { type: 'scroll', top: showTitle ? 24 : 0, left: 0, right: s.synthetic ? 110 : 0, textStyle: { fontSize: 11 } };
    }
    if (s.synthetic) {
      o.graphic.push({ type: 'text', right: 4, top: 0, silent: true, z: 100,
        style: { text: SYN, fill: '#b45309', font: '600 11px ' + FONT } });
    }
    var bottom = 6;
    if (s.kind === 'pie') {
      o.series = [{
        type: 'pie', name: s.series[0] ? s.series[0].name : '', radius: ['35%', '65%'],
        center: ['50%', '58%'], avoidLabelOverlap: true,
        label: { formatter: '{b}: {d}%', fontSize: 11, overflow: 'truncate', width: 120 },
        data: s.categories.map(function (c, i) { return { name: c, value: s.series[0] ? s.series[0].data[i] : 0 }; })
      }];
      return o;
    }
    var horizontal = s.kind === 'hbar' ||
      (s.kind === 'stacked' && (s.categories.length > 8 || longest(s.categories) > 8));
    var catAxis = {
      type: 'category', data: s.categories,
      axisTick: { alignWithLabel: true },
      axisLabel: { fontSize: 11, hideOverlap: !horizontal, overflow: 'truncate', width: horizontal ? 170 : 90, interval: horizontal ? 0 : 'auto' }
    };
    var valAxis = {
      type: 'value', name: s.unit || '', nameTextStyle: { fontSize: 11, align: horizontal ? 'right' : 'left' },
      axisLabel: { fontSize: 11, formatter: function (v) { return fmt(v, ''); } },
      splitLine: { lineStyle: { color: '#e5e7eb' } }
    };
    if (horizontal) {
      catAxis.inverse = true;  // first category on top: rankings read downwards
      valAxis.nameLocation = 'middle'; valAxis.nameGap = 22; valAxis.nameTextStyle.align = 'center';
    }
    o.grid = { left: 8, right: horizontal ? 56 : 16, top: top + (!horizontal && s.unit ? 16 : 0), bottom: bottom + (horizontal && s.unit ? 18 : 0), containLabel: true };
    o.xAxis = horizontal ? valAxis : catAxis;
    o.yAxis = horizontal ? catAxis : valAxis;
    var label = !many && s.categories.length <= 20;
    o.series = s.series.map(function (x) {
      var ser = { name: x.name || s.title, data: x.data, type: s.kind === 'line' ? 'line' : 'bar' };
      if (s.kind === 'stacked') { ser.stack = 'all'; ser.emphasis = { focus: 'series' }; }
      if (s.kind === 'line') { ser.symbolSize = 6; ser.smooth = false; if (s.series.length === 1) { ser.areaStyle = { opacity: 0.08 }; } }
      else { ser.barMaxWidth = 28; }
      if (label && s.kind !== 'stacked') {
        ser.label = { show: true, position: horizontal ? 'right' : 'top', fontSize: 11, color: '#334155',
          formatter: function (p) { return fmt(p.value, ''); } };
      }
      return ser;
    });
    return o;
  }

  function height(s, el) {
    var extra = (s.series.length > 1 ? 26 : 0) + (s.synthetic ? 16 : 0) + (s.title && !titled(el) ? 26 : 0);
    var horizontal = s.kind === 'hbar' ||
      (s.kind === 'stacked' && (s.categories.length > 8 || longest(s.categories) > 8));
    if (horizontal) { return Math.max(160, Math.min(900, 24 * s.categories.length + 50 + extra)); }
    return 240 + extra;
  }

  function draw(el) {
    if (el.getAttribute('data-drawn')) { return; }
    var s = parse(el);
    if (!s || !s.categories.length || !s.series.length) { return; }
    el.setAttribute('data-drawn', '1');
    el.setAttribute('role', 'img');
    el.classList.add('iikg-chart-drawn');
    el.style.height = height(s, el) + 'px';
    var chart = window.echarts.init(el, null, { renderer: 'canvas', locale: zh ? 'ZH' : 'EN' });
    chart.setOption(option(s, el));
    el.setAttribute('aria-label', (s.title || '') + (s.synthetic ? ' (' + SYN + ')' : ''));
    if (s.synthetic) { el.setAttribute('data-synthetic', '1'); }
    drawn.push(chart);
    if (window.ResizeObserver) { new ResizeObserver(function () { chart.resize(); }).observe(el); }
  }

  function drawAll() {
    var els = document.querySelectorAll('div.iikg-chart[data-spec]');
    for (var i = 0; i < els.length; i++) {
      try { draw(els[i]); } catch (e) { if (window.console) { console.error('iikg chart', e); } }
    }
    document.documentElement.setAttribute('data-charts', 'ready');
  }

  function withEcharts(cb) {
    if (window.echarts) { cb(); return; }
    var el = document.createElement('script');
    el.src = base + 'vendor/echarts/echarts.min.js';
    el.onload = cb;
    document.head.appendChild(el);
  }

  function start() {
    if (!document.querySelector('div.iikg-chart[data-spec]')) {
      document.documentElement.setAttribute('data-charts', 'ready');
      return;
    }
    withEcharts(drawAll);
  }

  window.IIKGCharts = { drawAll: function () { withEcharts(drawAll); }, charts: drawn };
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); }
  else { start(); }
  window.addEventListener('resize', function () { drawn.forEach(function (c) { c.resize(); }); });
})();
