/* IIKG pages: search suggestions as you type, small conveniences. No data ever goes through innerHTML:
 * every element is built with createElement and textContent. */
(function () {
  'use strict';

  function suggest(input) {
    var url = input.getAttribute('data-suggest');
    var box = document.createElement('ul');
    box.className = 'suggestions';
    box.setAttribute('role', 'listbox');
    box.hidden = true;
    input.parentNode.classList.add('has-suggest');
    input.parentNode.appendChild(box);
    input.setAttribute('aria-autocomplete', 'list');
    var timer = null, seq = 0, active = -1;

    function clear() {
      while (box.firstChild) { box.removeChild(box.firstChild); }
      box.hidden = true;
      active = -1;
    }
    function items() { return box.querySelectorAll('li'); }
    function mark(i) {
      var li = items();
      li.forEach(function (x) { x.classList.remove('active'); x.setAttribute('aria-selected', 'false'); });
      if (i >= 0 && i < li.length) { li[i].classList.add('active'); li[i].setAttribute('aria-selected', 'true'); }
      active = i;
    }
    function show(results) {
      clear();
      results.forEach(function (r) {
        if (!r.url) { return; }
        var li = document.createElement('li');
        li.setAttribute('role', 'option');
        var a = document.createElement('a');
        a.href = r.url;
        var tag = document.createElement('span');
        tag.className = 'tag tag-' + String(r.label || '').toLowerCase();
        tag.textContent = r.label_name || r.label || '';
        var name = document.createElement('span');
        name.className = 'sname';
        name.textContent = r.name || r.id;
        a.appendChild(tag);
        a.appendChild(name);
        if (r.matched && r.matched !== r.name) {
          var m = document.createElement('span');
          m.className = 'muted small';
          m.textContent = ' ' + r.matched;
          a.appendChild(m);
        }
        li.appendChild(a);
        box.appendChild(li);
      });
      box.hidden = !box.firstChild;
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { clear(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(url + '?limit=8&q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (d) { if (mine === seq) { show(d.results || []); } })
          .catch(function () { clear(); });
      }, 140);
    });
    input.addEventListener('keydown', function (ev) {
      var li = items();
      if (ev.key === 'ArrowDown' && li.length) { ev.preventDefault(); mark((active + 1) % li.length); }
      else if (ev.key === 'ArrowUp' && li.length) { ev.preventDefault(); mark((active - 1 + li.length) % li.length); }
      else if (ev.key === 'Enter' && active >= 0 && li[active]) { ev.preventDefault(); window.location.href = li[active].querySelector('a').href; }
      else if (ev.key === 'Escape') { clear(); }
    });
    document.addEventListener('click', function (ev) { if (!box.contains(ev.target) && ev.target !== input) { clear(); } });
  }

  function start() {
    document.querySelectorAll('input.suggest[data-suggest]').forEach(suggest);
    // chat: bring the newest answer into view and keep the cursor in the question box
    var last = document.querySelector('.answer-card.latest');
    if (last) { last.scrollIntoView({ block: 'start' }); }
    var ask = document.querySelector('form.chat-form input[name="q"]');
    if (ask) { ask.focus({ preventScroll: true }); }
    // file input: show the chosen name
    document.querySelectorAll('input[type=file][data-show]').forEach(function (inp) {
      inp.addEventListener('change', function () {
        var out = document.getElementById(inp.getAttribute('data-show'));
        if (out) { out.textContent = inp.files && inp.files[0] ? inp.files[0].name : ''; }
      });
    });
    // disable a submit button while its form is sent (uploads can take a moment)
    document.querySelectorAll('form[data-busy]').forEach(function (f) {
      f.addEventListener('submit', function () {
        var b = f.querySelector('button[type=submit]');
        if (b) { b.disabled = true; b.classList.add('busy'); }
      });
    });
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
