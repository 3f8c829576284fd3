"""The report page: its words (verdict, scenario), its tables, and the script that draws the map and territory table.

User data (rep ids, unit ids, scenario text) reaches the page only escaped: through `html.escape` in the HTML, and as
JSON that the script puts into the page with `textContent` (and escapes itself in hover text).
"""

from __future__ import annotations

import html
import json

import pandas as pd

from simulator.catalogue import format_level, format_relative, in_sentence
from simulator.catalogue import metric as catalogue_metric
from simulator.report.decision import decision_blocks
from simulator.report.verdict import Findings, difference_cells, verdict_lines
from simulator.stats.compare import level_interval

VERDICT_CLASS = {"better": "better", "worse": "worse"}


def decision_html(findings: Findings) -> str:
    """The decision summary: one row per plan (its primary change and whether it is clear, gains, costs, moves)."""
    rows = "".join(f"<tr><th>{html.escape(policy)}</th><td>{'<br>'.join(html.escape(line) for line in lines)}</td></tr>"
                   for policy, lines in decision_blocks(findings))
    points = findings.comparison["sweep_point"].nunique()
    where = " at the first sweep point (the sweeps section compares the others)" if points > 1 else ""
    return (f"<table class='decision'><caption>Decision: each plan against {html.escape(findings.baseline)}{where}"
            f"</caption>{rows}</table>") if rows else ""


def verdict_section(findings: Findings, manifest: dict) -> str:
    """The verdict in sentences, then the paired differences in the metrics' units (green better, red worse)."""
    lines = decision_html(findings) + "".join(f"<p>{html.escape(line)}</p>" for line in verdict_lines(findings))
    rounds = manifest.get("rounds") or {}
    if rounds.get("precision_target") is not None:
        reached = rounds.get("half_width_reached")
        lines += (f"<p class='note'>Replicated {manifest['replications']} times "
                  + ("until every " if rounds.get("precision_met") else "(the maximum) trying to know every ")
                  + f"{in_sentence(html.escape(catalogue_metric(rounds['primary']).label))} difference "
                  + ("was known within " if rounds.get("precision_met") else "within ")
                  + f"±{html.escape(format_relative(rounds['precision_target']).lstrip('+'))} of "
                  f"{html.escape(findings.baseline)}: ±"
                  f"{html.escape(format_relative(reached).lstrip('+') if reached is not None else 'n/a')} reached.</p>")
    policies = [p for p in findings.policies if p != findings.baseline]
    head = "".join(f"<th>{html.escape(p)}</th>" for p in policies)
    body = []
    for key, cells in difference_cells(findings):
        tds = "".join(f"<td class='{VERDICT_CLASS.get(verdict, 'unclear')}' title='{html.escape(verdict)}'>"
                      f"{html.escape(text)}</td>" for text, verdict in cells)
        body.append(f"<tr><th>{html.escape(catalogue_metric(key).label)}</th>{tds}</tr>")
    table = (f"<table class='differences'><caption>Paired differences versus {html.escape(findings.baseline)} "
             f"(mean ± 95% interval half-width; green: clearly better, red: clearly worse, grey: no clear "
             f"difference)</caption><tr><th></th>{head}</tr>{''.join(body)}</table>")
    return f"<div class='verdict'>{lines}</div>{table}"


def scenario_section(manifest: dict) -> str:
    """The scenario and the settings that decide the answer, in words."""
    scenario = manifest["resolved_scenario"]
    world = scenario["world"]
    if world.get("synthetic"):
        synthetic = world["synthetic"]
        source = f"a synthetic world of {synthetic['reps']} reps and {synthetic['accounts']:,} accounts"
    elif world.get("geography"):
        geo = world["geography"]
        where = ", ".join(geo["states"]) if geo.get("states") else "the contiguous US"
        source = f"{where} ({geo['layer']}), {geo['reps']} reps and {geo['accounts']:,} accounts"
    else:
        source = f"accounts from {world['files']['accounts']}"
    calendar = scenario["calendar"]
    items = [
        f"World: {source}; {calendar['quarters']} quarters of {calendar['days_per_quarter']} working days.",
        f"Policies compared: {', '.join(manifest['policies'])}, against the baseline {manifest['baseline']}, over "
        f"{manifest['replications']} replications with common random numbers (seed {manifest['seed']}).",
        f"Pacing through the quarter: {_pacing_words(scenario.get('pacing', 'even'))}.",
        f"Quota: {_quota_words(scenario.get('quota') or {})}.",
        "Vacancy cover: " + "; ".join(f"{policy}: {name}" for policy, name in
                                      (manifest.get("vacancy_policies") or {}).items()) + ".",
        f"Attrition: {_attrition_words((scenario.get('workforce') or {}).get('attrition') or {})}.",
        f"Planned events: {_events_words(scenario.get('events') or [])}.",
    ]
    if scenario.get("sweep"):
        items.append(f"Sweep: {', '.join(scenario['sweep'])} over {len(manifest['sweep_points'])} points "
                     "(the charts above show the first point).")
    description = scenario.get("description") or ""
    return (f"<p><b>{html.escape(manifest['scenario'])}</b>: {html.escape(description)}</p><ul>"
            + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>")


def _pacing_words(pacing: object) -> str:
    if pacing == "even":
        return "even (the same effort every month)"
    if pacing == "back_loaded":
        return "back-loaded (reps push harder in the quarter's last month)"
    return f"a custom profile {pacing}"


def _quota_words(quota: dict) -> str:
    policy = quota.get("policy", "potential")
    if quota.get("company_target"):
        return f"by {policy}, a company target of {format_level('revenue', quota['company_target'])} per quarter"
    share = quota.get("share_of_potential")
    return f"by {policy}" + (f", {share:.1%} of territory potential per quarter in total" if share else "")


def _attrition_words(attrition: dict) -> str:
    if not attrition.get("enabled", True):
        return "off (nobody quits)"
    rate = attrition.get("annual_quit_rate")
    return "on" + (f", {rate:.0%} a year before tenure, fairness and attainment effects" if rate is not None else "")


def _events_words(events: list) -> str:
    if not events:
        return "none"
    kinds = pd.Series([e.get("type", "event") for e in events]).value_counts()
    return ", ".join(f"{count} {kind}" for kind, count in kinds.items())


def levels_table(summary: pd.DataFrame, policies: list[str], keys: list[str]) -> str:
    """Metrics (rows) x policies (columns): mean ± 95% half-width over replications, at sweep point 0."""
    rows = summary[summary["sweep_point"] == 0]
    head = "".join(f"<th>{html.escape(p)}</th>" for p in policies)
    body = []
    for key in keys:
        cells = []
        for policy in policies:
            mean, half = level_interval(rows.loc[(rows["policy"] == policy) & (rows["metric"] == key),
                                                 "value"].to_numpy(dtype=float))
            cells.append(f"<td>{html.escape(format_level(key, mean, half))}</td>" if mean is not None
                         else "<td></td>")
        body.append(f"<tr><th>{html.escape(catalogue_metric(key).label)}</th>{''.join(cells)}</tr>")
    return f'<table class="levels"><tr><th></th>{head}</tr>{"".join(body)}</table>'


def territories_section(data: dict) -> str:
    """The policy selector, the map and the territory table (drawn by MAP_SCRIPT from the embedded data)."""
    options = "".join(f"<option value='{html.escape(p)}'>{html.escape(p)}</option>" for p in data["policies"])
    # no "<", ">" or "&" inside the script element, whatever the ids hold ("<!--<script" would derail the parser)
    payload = (json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
               .replace(">", "\\u003e").replace("&", "\\u0026"))
    return (f"<div class='controls'><label>Policy <select id='policy-select'>{options}</select></label> "
            f"<label>Show <select id='map-view'><option value='territories'>territories</option>"
            f"<option value='moved'>accounts' units that change rep versus {html.escape(data['baseline'])}</option>"
            f"</select></label> <a id='territory-csv' download='territories.csv' href='#'>download the table "
            f"(CSV)</a></div><div id='territory-map' class='plotly-graph-div' style='height:560px'></div>"
            f"<table id='territory-table' class='territories'><thead></thead><tbody></tbody></table>"
            f"<script type='application/json' id='map-data'>{payload}</script><script>{MAP_SCRIPT}</script>")


MAP_SCRIPT = r"""
(function () {
  const data = JSON.parse(document.getElementById('map-data').textContent);
  const shapes = data.shapes.kind === 'polygons' ? data.shapes.shapes.map(function (rings) {
    const x = [], y = [], s = data.shapes.scale;
    rings.forEach(function (ring) {
      const start = x.length;
      let a = ring[0], b = ring[1];
      x.push(a / s); y.push(b / s);
      for (let i = 2; i < ring.length; i += 2) { a += ring[i]; b += ring[i + 1]; x.push(a / s); y.push(b / s); }
      x.push(x[start]); y.push(y[start]);  // close the ring, then a gap before the next
      x.push(null); y.push(null);
    });
    return [x, y];
  }) : null;
  const escape = function (t) { return String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); };
  const columns = [['rep', 'rep'], ['rep_id', data.id_label], ['home', 'home'], ['accounts', 'accounts'],
    ['workload', 'workload h/quarter'], ['potential', 'potential'], ['quota', 'quota per quarter'],
    ['attainment', 'attainment (range)'], ['coverage_gap', 'coverage gap'], ['vacancy_days', 'vacancy days'],
    ['gained', 'accounts gained'], ['lost', 'accounts lost']];
  let sortKey = 'rep', sortUp = true;
  function hover(plan, seat) {
    const t = plan.text[String(seat)];
    if (!t) { return 'no rep'; }
    return escape(t.rep) + ' (' + escape(t.home) + ')<br>accounts ' + t.accounts + ', workload ' + t.workload +
      '/quarter<br>potential ' + t.potential + ', quota ' + t.quota + '<br>attainment ' + t.attainment +
      '<br>vacancy days ' + t.vacancy_days;
  }
  function draw(policy, view) {
    const plan = data.plans[policy], traces = [];
    const colourOf = function (u) {
      if (view === 'moved') { return plan.searched[String(u)] ? '#6a3d9a' : plan.moved[u] ? '#d62728' : '#e8e8e8'; }
      return plan.colour[String(plan.unit_seat[u])] || '#ffffff';
    };
    const n = plan.unit_seat.length, lines = data.outlines;
    const outline = lines ? {type: 'scatter', mode: 'lines', name: 'state outlines', x: lines.x, y: lines.y,
      line: {width: 1.2, color: '#6b6b6b'}, hoverinfo: 'skip', showlegend: false} : null;
    if (lines && !shapes) {  // points on land: the states shaded, then their borders, then the dots
      outline.fill = 'toself'; outline.fillcolor = '#f2f1ec';
    }
    if (shapes) {
      const groups = {};
      for (let u = 0; u < n; u++) {
        const c = colourOf(u);
        (groups[c] = groups[c] || [[], []]);
        Array.prototype.push.apply(groups[c][0], shapes[u][0]);
        Array.prototype.push.apply(groups[c][1], shapes[u][1]);
      }
      Object.keys(groups).forEach(function (c) {
        traces.push({type: 'scatter', mode: 'lines', name: 'territories', x: groups[c][0], y: groups[c][1],
          fill: 'toself',
          fillcolor: c, line: {width: 0.3, color: '#ffffff'}, hoverinfo: 'skip', showlegend: false});
      });
    }
    if (outline) { traces.push(outline); }  // over the county fills, under the dots
    const colours = [], texts = [];
    const base = data.plans[data.baseline];
    for (let u = 0; u < n; u++) {
      colours.push(colourOf(u));
      let text = escape(data.units.id[u]) + '<br>' + hover(plan, plan.unit_seat[u]);
      if (plan.moved[u]) {  // from whom to whom
        const before = base.text[String(base.unit_seat[u])];
        text += '<br>moves from ' + escape(before ? before.rep : 'nobody') + ' (' + escape(data.baseline) + ')';
      }
      if (plan.searched[String(u)]) { text += '<br>' + escape(plan.searched[String(u)]); }
      texts.push(text);
    }
    traces.push({type: 'scatter', mode: 'markers', name: 'units', x: data.units.lon, y: data.units.lat, text: texts,
      hoverinfo: 'text', showlegend: false, marker: shapes ? {size: 7, opacity: 0} : {size: 6, color: colours}});
    traces.push({type: 'scatter', mode: 'markers', name: 'home base',
      x: plan.rows.map(function (r) { return r.home_lon; }), y: plan.rows.map(function (r) { return r.home_lat; }),
      text: plan.rows.map(function (r) { return hover(plan, r.seat); }), hoverinfo: 'text',
      marker: {symbol: 'star', size: 9, color: '#222222'}});
    const searched = Object.keys(plan.searched).length ? ', moved by its search (purple)' : '';
    const title = view === 'moved' ? policy + ': units whose rep differs from ' + data.baseline + ' (red)' + searched
      : policy + ': territories (coloured so that neighbours differ)';
    const xaxis = {visible: false}, yaxis = {visible: false, scaleanchor: 'x', scaleratio: 1.25};
    if (lines) { xaxis.range = lines.extent.lon; yaxis.range = lines.extent.lat; }
    const map = document.getElementById('territory-map');
    Plotly.react(map, traces, {title: {text: escape(title)}, height: 560, template: 'plotly_white',
      margin: {l: 20, r: 20, t: 50, b: 20}, xaxis: xaxis, hovermode: 'closest', yaxis: yaxis,
      legend: {orientation: 'h'}}, {displaylogo: false, responsive: true});
    map.setAttribute('data-policy', policy);  // what is drawn, bottom to top, and where (read by the tests)
    map.setAttribute('data-traces', map.data.map(function (t) { return t.name || ''; }).join(','));
    map.setAttribute('data-extent', JSON.stringify([map.layout.xaxis.range, map.layout.yaxis.range]));
    table(policy);
  }
  function table(policy) {
    const plan = data.plans[policy];
    const rows = plan.rows.slice().sort(function (a, b) {
      const x = a[sortKey], y = b[sortKey];
      if (x === y) { return a.seat - b.seat; }
      if (x === null) { return 1; } if (y === null) { return -1; }
      return (x < y ? -1 : 1) * (sortUp ? 1 : -1);
    });
    const head = document.querySelector('#territory-table thead');
    const body = document.querySelector('#territory-table tbody');
    head.textContent = ''; body.textContent = '';
    const tr = document.createElement('tr');
    columns.forEach(function (c) {
      const th = document.createElement('th');
      th.textContent = c[1] + (c[0] === sortKey ? (sortUp ? ' ▲' : ' ▼') : '');
      th.addEventListener('click', function () {
        sortUp = sortKey === c[0] ? !sortUp : true; sortKey = c[0]; table(policy);
      });
      tr.appendChild(th);
    });
    head.appendChild(tr);
    rows.forEach(function (r) {
      const row = document.createElement('tr'), t = plan.text[String(r.seat)];
      columns.forEach(function (c) {
        const td = document.createElement('td'); td.textContent = t[c[0]]; row.appendChild(td);
      });
      body.appendChild(row);
    });
    const fields = ['seat', 'rep', 'rep_id', 'home', 'home_lat', 'home_lon', 'accounts', 'workload', 'potential',
      'quota', 'attainment', 'attainment_low', 'attainment_high', 'coverage_gap', 'vacancy_days', 'gained', 'lost'];
    const quote = function (v) {  // a text cell that a spreadsheet would run as a formula gets a ' (OWASP)
      let s = v === null ? '' : String(v);
      if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) { s = "'" + s; }
      return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    const csv = ['policy,' + fields.join(',')].concat(plan.rows.map(function (r) {
      return [policy].concat(fields.map(function (f) { return r[f]; })).map(quote).join(',');
    })).join('\n');
    const link = document.getElementById('territory-csv');
    link.href = URL.createObjectURL(new Blob([csv], {type: 'text/csv'}));
    link.download = 'territories-' + policy + '.csv';
  }
  const select = document.getElementById('policy-select'), view = document.getElementById('map-view');
  const wanted = new URLSearchParams(location.hash.slice(1));
  if (Object.prototype.hasOwnProperty.call(data.plans, wanted.get('policy'))) { select.value = wanted.get('policy'); }
  if (wanted.get('view') === 'moved') { view.value = 'moved'; }
  const redraw = function () { draw(select.value, view.value); };
  select.addEventListener('change', redraw);
  view.addEventListener('change', redraw);
  redraw();
})();
"""
