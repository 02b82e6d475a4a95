// psa-escalator console: progressive enhancement only (every page works as plain HTML). Loaded as an external file:
// the Content-Security-Policy allows no inline script. No eval, no inline styles (uPlot sets CSSOM properties only).
(function () {
  'use strict';

  var dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  var zoneName = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

  /** Instants in the viewer's time zone; the calendar's zone stays in the title (hover). */
  function localTimes(root) {
    var els = root.querySelectorAll('time[datetime]:not([data-local])');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var d = new Date(el.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      el.textContent = dateFmt.format(d);
      el.setAttribute('data-local', '1');
      el.setAttribute('title', (el.getAttribute('title') || '') + ' — shown in ' + zoneName);
    }
  }

  function two(n) {
    return n < 10 ? '0' + n : String(n);
  }
  function fmt(ms) {
    var over = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var text =
      d > 0
        ? d + 'd ' + h + 'h ' + two(m) + 'm'
        : h > 0
          ? h + 'h ' + two(m) + 'm ' + two(sec) + 's'
          : m + 'm ' + two(sec) + 's';
    return over ? text + ' over' : text;
  }

  /** Countdowns: business ms left at render time, ticking only while business time runs. */
  function tick() {
    var els = document.querySelectorAll('.countdown[data-remaining-ms]');
    var now = performance.now();
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.hasAttribute('data-t0')) el.setAttribute('data-t0', String(now));
      var base = Number(el.getAttribute('data-remaining-ms'));
      var running = el.getAttribute('data-running') === '1';
      var left = base - (running ? now - Number(el.getAttribute('data-t0')) : 0);
      var text = fmt(left);
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle('overdue', left < 0);
      el.classList.toggle('soon', left >= 0 && left < 30 * 60000);
    }
  }

  var palette = ['#1f5fbf', '#c2410c', '#047857', '#7c3aed', '#b91c1c', '#0f766e'];

  /** Metrics charts (uPlot), from the JSON data island. */
  function charts() {
    var island = document.getElementById('metrics-data');
    if (!island || typeof window.uPlot !== 'function') return;
    var data = JSON.parse(island.textContent);
    var figures = document.querySelectorAll('figure.chart[data-chart]');
    var made = [];
    for (var i = 0; i < figures.length; i++) {
      var key = figures[i].getAttribute('data-chart');
      var area = figures[i].querySelector('.chart-area');
      if (!area || area.hasAttribute('data-drawn')) continue;
      var series = [{}];
      var values = [data.days];
      var groups =
        key === 'sla' ? data.sla : key === 'fcr' ? { FCR: data.fcr } : key === 'mttr' ? { MTTR: data.mttr } : data[key];
      var names = Object.keys(groups);
      for (var j = 0; j < names.length; j++) {
        series.push({ label: names[j], stroke: palette[j % palette.length], width: 2, points: { show: true } });
        values.push(groups[names[j]]);
      }
      area.setAttribute('data-drawn', '1');
      area.setAttribute('role', 'img');
      area.setAttribute(
        'aria-label',
        figures[i].querySelector('figcaption').textContent + ' — values in the table below',
      );
      var width = Math.max(260, area.clientWidth || 600);
      made.push({
        area: area,
        plot: new window.uPlot(
          { width: width, height: 220, series: series, axes: [{}, { size: 60 }], scales: { x: { time: true } } },
          values,
          area,
        ),
      });
    }
    window.addEventListener('resize', function () {
      for (var k = 0; k < made.length; k++)
        made[k].plot.setSize({ width: Math.max(260, made[k].area.clientWidth), height: 220 });
    });
  }

  /** The demo's sign-in link carries the token in the fragment (never sent to a server): fill it in and submit. */
  function fragmentSignIn() {
    var form = document.getElementById('sign-in-form');
    if (!form) return;
    var m = /^#token=([^&]+)/.exec(window.location.hash);
    if (!m) return;
    history.replaceState(null, '', window.location.pathname + window.location.search);
    if (document.getElementById('sign-in-error')) return; // never loop on a wrong token
    form.querySelector('#token').value = decodeURIComponent(m[1]);
    form.submit();
  }

  function process(root) {
    localTimes(root);
    tick();
  }

  document.addEventListener('DOMContentLoaded', function () {
    fragmentSignIn();
    process(document);
    charts();
    setInterval(tick, 1000);
    document.body.addEventListener('htmx:load', function (e) {
      process(e.target || document);
    });
  });
})();
