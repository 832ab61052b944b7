/// The HTML report's inline stylesheet, script and legend.
enum HTMLAssets {
    static let legend = """
    <div class="legend"><b>Legend</b>
    <span class="item"><span class="arrow syn"></span>SYN</span>
    <span class="item"><span class="arrow fin"></span>FIN</span>
    <span class="item"><span class="arrow rst"></span>RST</span>
    <span class="item"><span class="arrow data"></span>data, ACK</span>
    <span class="item"><span class="arrow dash"></span>retransmission, UDP/ICMP</span>
    <span class="item"><span class="box"></span>socket call</span>
    <span class="item err"><span class="box err"></span>call with errno</span>
    <span class="item err">⚠ finding</span>
    <span class="item states">states:
    <span class="pill s-listen">LISTEN</span><span class="pill s-syn">SYN-SENT, SYN-RECEIVED</span><span class="pill s-est">ESTABLISHED</span><span class="pill s-fin">FIN-WAIT-1/2, CLOSING</span><span class="pill s-cw">CLOSE-WAIT, LAST-ACK</span><span class="pill s-tw">TIME-WAIT</span><span class="pill s-closed">CLOSED</span></span>
    </div>

    """

    static let css = """
    :root { color-scheme: light; --ink: #1c2833; --muted: #5d6d7e; --line: #d5d8dc; --red: #c0392b; --syn: #1e8449; --fin: #2471a3; --data: #34495e; --mono: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; }
    * { box-sizing: border-box; }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; color: var(--ink); background: #fff; margin: 0; padding: 16px 24px 64px; }
    h1 { font-size: 22px; margin: 0 0 2px; }
    h2 { font-size: 19px; margin: 0 0 4px; }
    h3 { font-size: 15px; margin: 16px 0 6px; color: #34495e; }
    code { font-family: var(--mono); font-size: 0.92em; }
    a { color: #1f618d; }
    .meta { color: var(--muted); margin: 2px 0 8px; }
    header.top { margin-bottom: 10px; }
    nav.index { background: #f8f9f9; border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; margin: 10px 0; }
    nav.index h2 { font-size: 15px; margin: 0; }
    nav.index ol { margin: 4px 0; padding-left: 22px; }
    nav.index li { margin: 2px 0; }
    nav.index .meta { margin: 0; font-size: 13px; }
    section.run, section.capture { border-top: 3px solid #2c3e50; padding-top: 12px; margin-top: 26px; }
    .summary { max-width: 80em; background: #f4f6f7; border-left: 4px solid #5d6d7e; padding: 8px 12px; margin: 8px 0; }
    .warning { color: var(--red); font-weight: bold; }
    .badge { display: inline-block; font-size: 12px; font-weight: bold; line-height: 1; padding: 3px 8px; border-radius: 10px; vertical-align: middle; }
    .badge.pass { background: #d5f5e3; color: var(--syn); }
    .badge.diff { background: #fadbd8; color: var(--red); }
    .badge.unchecked { background: #eaecee; color: var(--muted); }
    ul.expect { list-style: none; padding: 0; margin: 0; }
    ul.expect li { padding: 1px 0; }
    ul.expect li.diff { color: var(--red); }
    ul.expect .badge { min-width: 3.4em; text-align: center; margin-right: 4px; }
    .observed { margin-left: 4.2em; font-size: 13px; font-family: var(--mono); }
    .verdict { font-weight: bold; margin: 6px 0; }
    .verdict.pass { color: var(--syn); }
    .verdict.diff { color: var(--red); }
    .tablewrap, .diagram { overflow-x: auto; }
    table.conns { border-collapse: collapse; font-size: 13px; }
    table.conns th, table.conns td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; white-space: nowrap; }
    table.conns th { background: #f2f3f4; font-weight: 600; }
    table.conns td.num { text-align: right; font-variant-numeric: tabular-nums; }
    table.conns tr.bad td { background: #fdedec; }
    .findings, td.findings { color: var(--red); }
    table.conns td.findings { white-space: normal; min-width: 14em; }
    .hs-refused, .hs-unanswered, .td-reset-by-originator, .td-reset-by-responder, .td-abort-after-fin { color: var(--red); font-weight: 600; }
    .diagram { border: 1px solid var(--line); border-radius: 6px; background: #fff; margin: 4px 0 8px; }
    details.conn { margin: 6px 0; border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; }
    details.conn > summary, details.more > summary { cursor: pointer; padding: 2px 0; }
    details.more { margin: 4px 0 8px; }
    details.conn.bad > summary { color: var(--red); }
    .legend { font-size: 12.5px; color: var(--muted); margin: 8px 0 4px; display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; }
    .legend b { color: var(--ink); }
    .legend .item { display: inline-flex; align-items: center; gap: 5px; }
    .legend .item.err { color: var(--red); font-weight: 600; }
    .legend .arrow { display: inline-block; width: 28px; border-top: 2px solid var(--data); }
    .legend .arrow.syn { border-color: var(--syn); }
    .legend .arrow.fin { border-color: var(--fin); }
    .legend .arrow.rst { border-color: var(--red); border-top-width: 3px; }
    .legend .arrow.dash { border-top-style: dashed; }
    .legend .box { display: inline-block; width: 11px; height: 11px; border-radius: 2px; background: #2c3e50; }
    .legend .box.err { background: var(--red); }
    .legend .pill { display: inline-block; font: bold 10px/1 var(--mono); padding: 3px 7px; border-radius: 8px; border: 1px solid; margin-right: 4px; }
    .pill.s-listen { background: #efe3f6; color: #8e44ad; }
    .pill.s-syn { background: #fdebd0; color: #ca6f1e; }
    .pill.s-est { background: #d5f5e3; color: #1e8449; }
    .pill.s-fin { background: #d6eaf8; color: #2471a3; }
    .pill.s-cw { background: #d0ece7; color: #117a65; }
    .pill.s-tw { background: #e5e8e8; color: #5d6d7e; }
    .pill.s-closed { background: #fff; color: #99a3a4; }
    /* The sequence diagrams. */
    .seqdiag { display: block; font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; }
    .seqdiag text { font-size: 12px; fill: var(--ink); }
    .seqdiag .lbl, .seqdiag .finding, .seqdiag .ms, .seqdiag .gap text, .seqdiag .state text, .seqdiag .addr { font-family: var(--mono); font-size: 11px; }
    .seqdiag .ms { fill: var(--muted); }
    .seqdiag .aside { font-size: 11px; fill: var(--muted); }
    .seqdiag .head { font-weight: bold; }
    .seqdiag .lane { stroke: #aab7b8; stroke-width: 1; stroke-dasharray: 4 4; }
    .seqdiag .lanehead rect { fill: #2c3e50; }
    .seqdiag .lanehead text { fill: #fff; }
    .seqdiag .lanehead .name { font-weight: bold; font-size: 13px; }
    .seqdiag .lanehead.phantom rect { fill: #fff; stroke: #7f8c8d; stroke-dasharray: 4 3; }
    .seqdiag .lanehead.phantom text { fill: #566573; }
    .seqdiag .lanehead.phantom .addr { font-style: italic; }
    .seqdiag .lanehead.phantom .name { font-family: var(--mono); font-size: 11px; }
    .seqdiag .lanehead.compact rect { fill: #5d6d7e; }
    .seqdiag .lanehead.compact.phantom rect { fill: #fff; }
    .seqdiag .lanehead .cname { font-weight: bold; font-size: 11px; }
    .seqdiag .state.cont { opacity: 0.8; }
    .seqdiag .band { opacity: 0.3; }
    .seqdiag .halo { fill: #fff; opacity: 0.88; }
    .seqdiag .state text { font-size: 10px; font-weight: bold; }
    .seg, .call, .dgram { cursor: pointer; }
    .seqdiag .hit { stroke: transparent; stroke-width: 14; fill: none; pointer-events: stroke; }
    .seqdiag .ln { stroke: var(--data); stroke-width: 1.6; fill: none; }
    .seqdiag .ln.dash { stroke-dasharray: 6 4; }
    .seqdiag .hd { fill: var(--data); }
    .seqdiag .flags { font-weight: bold; }
    .seqdiag .idx { fill: var(--muted); }
    .seqdiag [data-kind="syn"] .ln { stroke: var(--syn); }
    .seqdiag [data-kind="syn"] .hd, .seqdiag [data-kind="syn"] .flags { fill: var(--syn); }
    .seqdiag [data-kind="fin"] .ln { stroke: var(--fin); }
    .seqdiag [data-kind="fin"] .hd, .seqdiag [data-kind="fin"] .flags { fill: var(--fin); }
    .seqdiag [data-kind="ack"] .ln { stroke: #5d6d7e; }
    .seqdiag [data-kind="ack"] .hd { fill: #5d6d7e; }
    .seqdiag [data-kind="udp"] .ln { stroke: #7d3c98; }
    .seqdiag [data-kind="udp"] .hd, .seqdiag [data-kind="udp"] .flags { fill: #7d3c98; }
    .seqdiag [data-alert="rst"] .ln, .seqdiag [data-alert="error"] .ln { stroke: var(--red); stroke-width: 2.4; }
    .seqdiag [data-alert="rst"] .hd, .seqdiag [data-alert="error"] .hd { fill: var(--red); }
    .seqdiag [data-alert="rst"] .lbl, .seqdiag [data-alert="error"] .lbl, .seqdiag [data-alert="rst"] .flags, .seqdiag [data-alert="error"] .flags { fill: var(--red); font-weight: bold; }
    .seqdiag [data-alert="finding"] .lbl { fill: var(--red); }
    .seqdiag .finding { fill: var(--red); font-weight: bold; }
    .seqdiag .call .tick { fill: #2c3e50; }
    .seqdiag .call.err .tick { fill: var(--red); }
    .seqdiag .call.err .lbl { fill: var(--red); font-weight: bold; }
    .seqdiag .gap rect { fill: #fef9e7; stroke: #d4ac0d; stroke-dasharray: 5 3; }
    .seqdiag .gap text { fill: #7d6608; font-weight: bold; }
    .seqdiag .selected .ln { stroke-width: 3.4; }
    .seqdiag .selected .halo { fill: #fcf3cf; opacity: 1; }
    .seqdiag .selected .lbl { font-weight: bold; }
    .seqdiag g:focus { outline: none; }
    .seqdiag g:focus-visible .halo { stroke: #2471a3; stroke-width: 1.5; }
    /* The details panel. */
    .panel { position: fixed; right: 16px; bottom: 16px; width: min(520px, calc(100vw - 32px)); max-height: 75vh; overflow: auto; background: #fff; border: 1px solid #85929e; border-radius: 8px; box-shadow: 0 6px 24px rgba(0, 0, 0, 0.2); padding: 10px 14px; font-size: 13px; z-index: 10; }
    .panel[hidden] { display: none; }
    .panel h3 { margin: 0 26px 6px 0; font-size: 14px; }
    .panel table { border-collapse: collapse; }
    .panel th { white-space: nowrap; color: var(--muted); font-weight: normal; text-align: left; vertical-align: top; padding: 1px 10px 1px 0; }
    .panel td { font-family: var(--mono); font-size: 12px; overflow-wrap: anywhere; padding: 1px 0; }
    .panel .close { position: absolute; top: 4px; right: 8px; border: 0; background: none; font-size: 22px; line-height: 1; cursor: pointer; color: var(--muted); }
    @media print {
      @page { size: A4 landscape; margin: 10mm; }
      body { padding: 0; font-size: 10pt; }
      .panel { display: none !important; }
      .tablewrap, .diagram { overflow: visible; }
      .diagram { border: 0; }
      .seqdiag { max-width: 100%; height: auto; break-inside: avoid; }
      .diagram { break-before: avoid; }
      section.run, section.capture { break-before: page; border-top: 0; margin-top: 0; }
      h2, h3 { break-after: avoid; }
      tr, li, summary { break-inside: avoid; }
      details.conn { border: 0; padding: 0; }
      details.conn > summary { list-style: none; font-weight: bold; }
      a { color: inherit; text-decoration: none; }
      * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    }
    @media print { details::details-content { content-visibility: visible; display: contents; } }

    """

    static let script = """
    (function () {
      'use strict';
      var panel = document.getElementById('panel');
      var selected = null;
      function show(g) {
        var t = g.querySelector('title');
        if (!t || !panel) return;
        var lines = t.textContent.split('\\n');
        panel.querySelector('h3').textContent = lines[0];
        var body = panel.querySelector('tbody');
        body.textContent = '';
        for (var i = 1; i < lines.length; i++) {
          var line = lines[i], k = line.indexOf(': ');
          var tr = document.createElement('tr'), th = document.createElement('th'), td = document.createElement('td');
          th.textContent = k > 0 ? line.slice(0, k) : '';
          td.textContent = k > 0 ? line.slice(k + 2) : line;
          tr.appendChild(th);
          tr.appendChild(td);
          body.appendChild(tr);
        }
        if (selected) selected.classList.remove('selected');
        selected = g;
        g.classList.add('selected');
        panel.hidden = false;
      }
      function hide() {
        if (panel) panel.hidden = true;
        if (selected) selected.classList.remove('selected');
        selected = null;
      }
      function item(e) {
        var n = e.target;
        return n && n.closest ? n.closest('.seg, .call, .dgram') : null;
      }
      document.addEventListener('click', function (e) {
        if (e.target && e.target.closest && e.target.closest('#panel .close')) { hide(); return; }
        var g = item(e);
        if (g) show(g);
      });
      document.addEventListener('keydown', function (e) {
        if (e.key === 'Escape') { hide(); return; }
        if (e.key === 'Enter' || e.key === ' ') {
          var g = item(e);
          if (g) { e.preventDefault(); show(g); }
        }
      });
      // Print every connection, not only the open ones.
      window.addEventListener('beforeprint', function () {
        var d = document.querySelectorAll('details');
        for (var i = 0; i < d.length; i++) d[i].open = true;
      });
      // A link from the table opens its connection.
      function openTarget() {
        var el = location.hash.length > 1 ? document.getElementById(location.hash.slice(1)) : null;
        if (el && el.tagName === 'DETAILS') el.open = true;
      }
      window.addEventListener('hashchange', openTarget);
      openTarget();
      // For synscope's browser test (file://...#synscope-selftest): click the
      // first arrow and report what the page holds in its title.
      if (location.hash === '#synscope-selftest') {
        var segs = document.querySelectorAll('.seg');
        var first = document.querySelector('.seg, .dgram');
        var rows = 0;
        if (first) {
          first.dispatchEvent(new MouseEvent('click', { bubbles: true }));
          rows = panel.hidden ? -1 : panel.querySelectorAll('tr').length;
          hide();
        }
        var resources = window.performance && performance.getEntriesByType ? performance.getEntriesByType('resource').length : -1;
        document.title = 'ok:segs=' + segs.length + ';calls=' + document.querySelectorAll('.call').length +
          ';svgs=' + document.querySelectorAll('svg').length + ';panel=' + rows + ';resources=' + resources +
          ';height=' + document.documentElement.scrollHeight;
        var note = document.createElement('p');
        note.id = 'synscope-selftest';
        note.textContent = document.title;
        document.body.insertBefore(note, document.body.firstChild);
      }
    })();

    """
}
