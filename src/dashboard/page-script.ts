/**
 * The dashboard page's inline script (plain ES2019 for the browser, no modules, no libraries). It polls
 * /dashboard/api/status every POLL_MS, fills the page's elements with textContent only (no innerHTML:
 * member names cannot inject markup) and draws sparklines as inline SVG polylines. It sets no style
 * attributes (the page's CSP allows only its hashed style block), only classes and SVG attributes.
 * Free of backticks; its only template substitutions are the two constants below.
 */
export const POLL_MS = 2000;
/** Samples each sparkline keeps (2 minutes at the poll interval). */
export const SPARK_SAMPLES = 60;

export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var POLL_MS = ${POLL_MS};
  var SAMPLES = ${SPARK_SAMPLES};
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var history = {};
  var previous = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function bytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2)) + ' ' + units[i];
  }
  function millis(seconds) {
    if (seconds === null || seconds === undefined) return 'n/a';
    var ms = seconds * 1000;
    return (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)) + ' ms';
  }
  function count(n) { return n === null || n === undefined ? 'n/a' : Number(n).toLocaleString('en-US'); }
  function rate(n) { return n === null ? 'n/a' : (n >= 100 ? n.toFixed(0) : n.toFixed(1)) + '/s'; }

  function setValue(id, raw, shown) {
    var node = $(id);
    if (!node) return;
    node.textContent = shown;
    node.setAttribute('data-value', raw === null || raw === undefined ? '' : String(raw));
  }

  function push(name, value) {
    var list = history[name] || (history[name] = []);
    if (value === null || value === undefined || !isFinite(value)) return;
    list.push(value);
    if (list.length > SAMPLES) list.shift();
  }

  function sparkline(name) {
    var holder = $('spark-' + name);
    if (!holder) return;
    var data = history[name] || [];
    var w = 160, h = 32, pad = 2;
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.setAttribute('width', '100%');
    svg.setAttribute('height', String(h));
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', name + ' over the last ' + data.length + ' samples');
    if (data.length >= 2) {
      var min = Math.min.apply(null, data), max = Math.max.apply(null, data);
      var span = max - min;
      var points = data.map(function (v, i) {
        var x = pad + (w - 2 * pad) * i / (data.length - 1);
        var y = span === 0 ? h / 2 : h - pad - (h - 2 * pad) * (v - min) / span;
        return x.toFixed(1) + ',' + y.toFixed(1);
      });
      var line = document.createElementNS(SVG_NS, 'polyline');
      line.setAttribute('points', points.join(' '));
      line.setAttribute('fill', 'none');
      line.setAttribute('stroke', '#2f6fb3');
      line.setAttribute('stroke-width', '1.5');
      line.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.appendChild(line);
    }
    holder.replaceChildren(svg);
  }

  function perSecond(now, before, field) {
    if (!before) return null;
    var seconds = (now.timeMs - before.timeMs) / 1000;
    if (seconds <= 0) return null;
    return Math.max(0, (field(now) - field(before)) / seconds);
  }

  function dbBar(db) {
    var holder = $('db-bar');
    var w = 300, h = 14;
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.setAttribute('width', '100%');
    svg.setAttribute('height', String(h));
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'db size versus quota');
    function rect(fraction, color) {
      var r = document.createElementNS(SVG_NS, 'rect');
      r.setAttribute('x', '0');
      r.setAttribute('y', '0');
      r.setAttribute('height', String(h));
      r.setAttribute('width', String(Math.max(0, Math.min(1, fraction)) * w));
      r.setAttribute('fill', color);
      svg.appendChild(r);
    }
    rect(1, '#e3e7ec');
    var q = db.quotaBytes > 0 ? db.quotaBytes : 1;
    rect(db.sizeBytes / q, db.usedFraction >= 0.9 ? '#d9822b' : '#9cc3e6');
    rect(db.sizeInUseBytes / q, '#2f6fb3');
    holder.replaceChildren(svg);
  }

  function members(status) {
    var body = $('members-body');
    var rows = status.members.map(function (m) {
      var tr = el('tr', m.isSelf ? 'self' : '');
      tr.setAttribute('data-member-name', m.name);
      var role = m.isLeader ? 'leader' : m.isLearner ? 'learner' : 'follower';
      var nameCell = el('td', '', m.name || '(unstarted)');
      if (m.isLeader) nameCell.appendChild(el('span', 'badge leader', 'leader'));
      if (m.isSelf) nameCell.appendChild(el('span', 'badge', 'this member'));
      tr.appendChild(nameCell);
      tr.appendChild(el('td', 'mono', m.id));
      tr.appendChild(el('td', 'mono', m.idHex));
      tr.appendChild(el('td', 'role-' + role, role + (m.isLearner && m.isLeader ? ' (learner)' : '')));
      var hidden = status.restricted ? 'hidden (auth on)' : '';
      tr.appendChild(el('td', 'mono', m.peerUrls ? m.peerUrls.join(', ') : hidden));
      tr.appendChild(el('td', 'mono', m.clientUrls ? m.clientUrls.join(', ') : hidden));
      var reach = m.reachable === null ? 'unknown' : m.reachable ? 'reachable' : 'unreachable';
      tr.appendChild(el('td', 'reach-' + reach, reach));
      return tr;
    });
    body.replaceChildren.apply(body, rows);
  }

  function alarms(list) {
    var holder = $('alarms');
    if (list.length === 0) { holder.replaceChildren(el('span', 'ok', 'none')); return; }
    holder.replaceChildren.apply(holder, list.map(function (a) {
      return el('span', 'alarm', a.alarm + ' on ' + a.idHex);
    }));
  }

  function render(s) {
    var before = previous;
    previous = s;
    setValue('cluster-id', s.cluster.id, s.cluster.id + ' (' + s.cluster.idHex + ')');
    setValue('member-name', s.member.name, s.member.name);
    setValue('member-id', s.member.id, s.member.id + ' (' + s.member.idHex + ')');
    var roleText = s.member.isLeader ? 'leader' : s.member.isLearner ? 'learner' : 'follower';
    setValue('member-role', roleText, roleText);
    var leader = s.members.filter(function (m) { return m.isLeader; })[0];
    var leaderText = !s.leader ? 'none' : leader && leader.name ? leader.name + ' (' + s.leader.idHex + ')' : s.leader.idHex;
    setValue('leader-id', s.leader ? s.leader.id : null, leaderText);
    var health = $('health');
    health.textContent = s.health.ok ? 'healthy' : 'unhealthy: ' + s.health.reason;
    health.className = s.health.ok ? 'health healthy' : 'health unhealthy';
    setValue('raft-term', s.raft.term, count(s.raft.term));
    setValue('raft-index', s.raft.index, count(s.raft.index));
    setValue('raft-applied', s.raft.appliedIndex, count(s.raft.appliedIndex));
    setValue('revision', s.store.revision, count(s.store.revision));
    setValue('compact-revision', s.store.compactRevision, count(s.store.compactRevision));
    setValue('keys-total', s.store.keysTotal, count(s.store.keysTotal));
    setValue('db-size', s.db.sizeBytes, bytes(s.db.sizeBytes));
    setValue('db-in-use', s.db.sizeInUseBytes, bytes(s.db.sizeInUseBytes));
    setValue('db-quota', s.db.quotaBytes, bytes(s.db.quotaBytes));
    setValue('db-used', s.db.usedFraction, (s.db.usedFraction * 100).toFixed(1) + '% of quota');
    dbBar(s.db);
    alarms(s.alarms);
    setValue('leader-changes', s.leaderChanges, count(s.leaderChanges));
    setValue('proposals-committed', s.proposals.committed, count(s.proposals.committed));
    setValue('proposals-applied', s.proposals.applied, count(s.proposals.applied));
    setValue('proposals-pending', s.proposals.pending, count(s.proposals.pending));
    setValue('proposals-failed', s.proposals.failed, count(s.proposals.failed));
    setValue('wal-fsync-p99', s.disk.walFsyncP99Seconds, millis(s.disk.walFsyncP99Seconds));
    setValue('backend-commit-p99', s.disk.backendCommitP99Seconds, millis(s.disk.backendCommitP99Seconds));
    setValue('leases', s.leases.count, count(s.leases.count));
    setValue('watchers', s.watch.watchers, count(s.watch.watchers));
    setValue('watch-streams', s.watch.streams, count(s.watch.streams));
    var rpcRate = perSecond(s, before, function (x) { return x.rpc.started; });
    var applyRate = perSecond(s, before, function (x) { return x.proposals.applied; });
    setValue('rpc-rate', rpcRate, rate(rpcRate));
    setValue('rpc-total', s.rpc.started, count(s.rpc.started) + ' started, ' + count(s.rpc.failed) + ' failed');
    setValue('apply-rate', applyRate, rate(applyRate));
    members(s);
    push('revision', s.store.revision);
    push('db', s.db.sizeBytes);
    push('rpc', rpcRate);
    push('apply', applyRate);
    push('fsync', s.disk.walFsyncP99Seconds);
    push('commit', s.disk.backendCommitP99Seconds);
    push('keys', s.store.keysTotal);
    ['revision', 'db', 'rpc', 'apply', 'fsync', 'commit', 'keys'].forEach(sparkline);
    setValue('updated', s.timeMs, new Date(s.timeMs).toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
    $('error').textContent = '';
    document.body.setAttribute('data-loaded', 'true');
  }

  function poll() {
    fetch('/dashboard/api/status', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(render)
      .catch(function (e) { $('error').textContent = 'status unavailable: ' + e.message; })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
`;
