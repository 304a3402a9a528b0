// The officials' dashboard: draws every chart from the suppressed data embedded in the page.
// No library, no network: plain DOM and SVG. Redacted counts arrive as null and stay null.
(() => {
  "use strict";

  const view = JSON.parse(document.getElementById("dashboard-data").textContent);
  const $ = (selector) => document.querySelector(selector);
  // Okabe-Ito (categorical) and viridis (sequential): readable with colour-vision deficiencies.
  const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"];
  const SEQUENTIAL = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"];
  const GRID = {
    ZELAO: [0, 0], SZAO: [1, 0], SAO: [2, 0], SVAO: [3, 0],
    ZAO: [1, 1], CAO: [2, 1], VAO: [3, 1],
    NAO: [0, 2], YUZAO: [1, 2], YUAO: [2, 2], YUVAO: [3, 2],
    TAO: [0, 3],
  };
  const state = { okrug: "all", start: 0, end: view.dates.length - 1 };

  const number = (v) => (v === null || v === undefined ? null : v);
  const format = (v, digits = 0) =>
    v === null || v === undefined
      ? '<span class="redacted" title="7 or fewer: suppressed">redacted</span>'
      : Number(v).toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const plain = (v, digits = 0) => (v === null || v === undefined ? "redacted" : Number(v).toFixed(digits));
  const okrugName = (code) =>
    code === "all" ? "the whole city" : (view.okrugs.find((o) => o.code === code) || { name: code }).name;
  const series = (column, choice = state.okrug) => view.daily[choice][column];
  const dates = () => view.dates.slice(state.start, state.end + 1);
  const inRange = (values) => values.slice(state.start, state.end + 1);
  const ratio = (a, b, per) => (a === null || b === null || !b ? null : (per * a) / b);

  function element(tag, attributes = {}, text = "") {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text) node.textContent = text;
    return node;
  }

  // One chart: bars and/or lines over the selected dates, nulls left as gaps.
  function chart(target, config) {
    const W = 720, H = 250, L = 56, R = 12, T = 10, B = 28;
    const labels = config.labels;
    const n = labels.length;
    const values = config.series.flatMap((s) => s.values.filter((v) => v !== null));
    const tick = niceStep(Math.max(...values, 1) / 4);
    const top = Math.max(tick * Math.ceil(Math.max(...values, 1) / tick), tick);
    const x = (i) => L + ((W - L - R) * (i + 0.5)) / Math.max(n, 1);
    const y = (v) => H - B - ((H - T - B) * v) / top;
    const svg = element("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${target.id}-title ${target.id}-desc` });
    svg.appendChild(element("title", { id: `${target.id}-title` }, config.title));
    svg.appendChild(element("desc", { id: `${target.id}-desc` }, config.summary));
    for (let v = 0; v <= top + tick / 2; v += tick) {
      svg.appendChild(element("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e6e6e6" }));
      svg.appendChild(element("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, Number(v.toPrecision(6)).toLocaleString("en-GB")));
    }
    if (config.shadeFrom !== undefined && config.shadeFrom < n) {
      const x0 = x(config.shadeFrom) - (W - L - R) / n / 2;
      svg.appendChild(element("rect", { x: x0, y: T, width: W - R - x0, height: H - T - B, fill: "url(#incomplete)", "data-incomplete": "true" }));
    }
    const step = Math.max(1, Math.ceil(n / 8));
    labels.forEach((label, i) => {
      if (i % step === 0) svg.appendChild(element("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, label.slice(0, 10)));
    });
    const width = Math.max(1, ((W - L - R) / Math.max(n, 1)) * 0.8);
    config.series.forEach((s) => {
      if (s.kind === "bar") {
        const path = s.values
          .map((v, i) => (v === null ? "" : `M${(x(i) - width / 2).toFixed(1)} ${(H - B).toFixed(1)}V${y(v).toFixed(1)}h${width.toFixed(1)}V${(H - B).toFixed(1)}z`))
          .join("");
        svg.appendChild(element("path", { d: path, fill: s.colour, opacity: 0.75, "data-series": s.name }));
      } else {
        let d = "";
        let pen = false;
        s.values.forEach((v, i) => {
          if (v === null) { pen = false; return; }
          d += `${pen ? "L" : "M"}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
          pen = true;
        });
        svg.appendChild(element("path", { d, fill: "none", stroke: s.colour, "stroke-width": 2.2, "data-series": s.name }));
      }
    });
    target.replaceChildren(svg);
    const legend = target.parentElement.querySelector(".legend");
    if (legend) {
      legend.innerHTML = config.series.map((s) => `<span><i style="background:${s.colour}"></i>${s.name}</span>`).join("")
        + (config.shadeFrom !== undefined ? '<span><i style="background:repeating-linear-gradient(45deg,#bbb 0 2px,#fff 2px 5px)"></i>incomplete: results still arriving</span>' : "");
    }
    const caption = target.parentElement.querySelector("figcaption");
    if (caption) caption.textContent = config.summary;
    const table = target.parentElement.querySelector("details table");
    if (table) {
      const last = Math.max(0, n - 14);
      table.innerHTML = `<thead><tr><th>date</th>${config.series.map((s) => `<th>${s.name}</th>`).join("")}</tr></thead><tbody>`
        + labels.slice(last).map((label, j) => `<tr><td>${label}</td>${config.series.map((s) => `<td>${plain(s.values[last + j], s.digits || 0)}</td>`).join("")}</tr>`).join("")
        + "</tbody>";
    }
  }

  // 1, 2 or 5 times a power of ten: axis steps people read at a glance.
  function niceStep(raw) {
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    const scaled = raw / magnitude;
    return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude;
  }

  function describe(name, labels, values, digits = 0) {
    const known = values.map((v, i) => [v, labels[i]]).filter(([v]) => v !== null);
    if (!known.length) return `${name}: no figures to show (all redacted or none) for ${okrugName(state.okrug)}.`;
    const [peak, peakDay] = known.reduce((a, b) => (b[0] > a[0] ? b : a));
    const [latest, latestDay] = known[known.length - 1];
    return `${name} in ${okrugName(state.okrug)}, ${labels[0]} to ${labels[labels.length - 1]}: highest ${plain(peak, digits)} on ${peakDay}; latest ${plain(latest, digits)} on ${latestDay}.`;
  }

  function renderTiles() {
    const t = view.tiles[state.okrug];
    const tiles = [
      ["cases_7d", "New cases, last 7 days", 0, (s) => `${format(s.cases_rate_7d, 1)} per 100,000`],
      ["pcr_positivity_7d", "PCR positivity, 7 days (%)", 1, null],
      ["admissions_7d", "Hospital admissions, 7 days", 0, null],
      ["occupied_beds", "Occupied beds", 0, (s) => `ICU ${format(s.icu_occupied)}`],
      ["deaths_28d_7d", "Deaths within 28 days, 7 days", 0, null],
      ["contacts_within_24h_pct", "Contacts reached within 24 h (%)", 1, (s) => `of ${format(s.contacts_7d)} contacts`],
      ["coverage_pct", "Vaccination coverage (%)", 1, () => "fully vaccinated or recovered"],
    ];
    $("#tiles").innerHTML = tiles.map(([key, label, digits, sub]) => {
      const now = t.now[key], before = t.before[key];
      let change = "";
      if (now !== null && before !== null) {
        const delta = now - before;
        const arrow = delta > 0 ? "▲" : delta < 0 ? "▼" : "■";
        change = `${arrow} ${delta > 0 ? "+" : ""}${Number(delta.toFixed(digits)).toLocaleString("en-GB")} vs previous 7 days`;
      }
      return `<div class="tile" data-tile="${key}"><div class="label">${label}</div>`
        + `<div class="value" data-value="${now === null ? "" : now}">${format(now, digits)}</div>`
        + (sub ? `<div class="sub">${sub(t.now)}</div>` : "")
        + `<div class="change">${change}</div></div>`;
    }).join("");
  }

  function renderCurve() {
    const labels = dates();
    const cases = inRange(series("new_cases"));
    const average = inRange(series("cases_rolling_7d")).map((v) => (v === null ? null : v / 7));
    const incompleteFrom = view.dates.length - view.incomplete_days - state.start;
    const target = $("#curve");
    target.dataset.total = cases.reduce((a, v) => a + (v || 0), 0);
    chart(target, {
      title: `Daily new cases by specimen date, ${okrugName(state.okrug)}`,
      labels,
      shadeFrom: state.end >= view.dates.length - view.incomplete_days ? incompleteFrom : undefined,
      summary: describe("Daily new cases", labels, cases) + ` The last ${view.incomplete_days} days are incomplete.`,
      series: [
        { name: "new cases", values: cases, colour: COLOURS[0], kind: "bar" },
        { name: "7-day average", values: average, colour: COLOURS[3], kind: "line", digits: 1 },
      ],
    });
  }

  function okrugFigures() {
    const end = state.end;
    return view.okrugs.map((o) => {
      const d = view.daily[o.code];
      const rolling = d.cases_rolling_7d[end];
      return {
        code: o.code,
        name: o.name,
        cases_7d: rolling,
        rate: ratio(rolling, d.population[end], 100000),
        positivity: d.pcr_positivity_7d[end],
        beds: d.occupied_beds[end],
        coverage: ratio(d.covered[end], d.population[end], 100),
      };
    });
  }

  let sortKey = "rate", sortDown = true;
  function renderOkrugs() {
    const rows = okrugFigures();
    const rates = rows.map((r) => r.rate).filter((r) => r !== null).sort((a, b) => a - b);
    const bin = (r) => (r === null || !rates.length ? -1 : Math.min(4, Math.floor((5 * rates.filter((x) => x < r).length) / rates.length)));
    $("#okrug-grid").innerHTML = rows.map((r) => {
      const [col, row] = GRID[r.code] || [0, 0];
      const b = bin(r.rate);
      const fill = b < 0 ? "#eeeeee" : SEQUENTIAL[b];
      const ink = b >= 3 ? "#ffffff" : "#1b1b1b";
      return `<button style="grid-column:${col + 1};grid-row:${row + 1};background:${fill};color:${ink}" data-okrug="${r.code}" aria-pressed="${state.okrug === r.code}" title="${r.name}: ${plain(r.rate, 1)} per 100,000">`
        + `<strong>${r.code}</strong><small>${format(r.rate, 1)}</small></button>`;
    }).join("");
    $("#okrug-scale").innerHTML = SEQUENTIAL.map((c, i) => `<span style="background:${c};color:${i >= 3 ? "#fff" : "#1b1b1b"}">${["lowest", "", "", "", "highest"][i] || "&nbsp;"}</span>`).join("");
    $("#okrug-caption").textContent = `7-day case rate per 100,000 on ${view.dates[state.end]}, by okrug (colour: fifths of the okrugs' rates). Select an okrug to filter the page.`;
    rows.sort((a, b) => {
      const va = a[sortKey], vb = b[sortKey];
      if (va === vb) return 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      return (va < vb ? -1 : 1) * (sortDown ? -1 : 1);
    });
    const columns = [["code", "Okrug"], ["name", "Name"], ["cases_7d", "Cases, 7 days"], ["rate", "Rate per 100,000"], ["positivity", "PCR positivity %"], ["beds", "Occupied beds"], ["coverage", "Coverage %"]];
    $("#okrug-table").innerHTML = `<caption class="sr-only">Okrugs on ${view.dates[state.end]}, sorted by ${sortKey}</caption><thead><tr>`
      + columns.map(([key, label]) => `<th aria-sort="${key === sortKey ? (sortDown ? "descending" : "ascending") : "none"}"><button data-sort="${key}">${label}</button></th>`).join("")
      + "</tr></thead><tbody>"
      + rows.map((r) => `<tr data-okrug="${r.code}"><td>${r.code}</td><td>${r.name}</td><td>${format(r.cases_7d)}</td><td>${format(r.rate, 1)}</td><td>${format(r.positivity, 1)}</td><td>${format(r.beds)}</td><td>${format(r.coverage, 1)}</td></tr>`).join("")
      + "</tbody>";
  }

  function renderAgeBands() {
    const bands = view.age_bands;
    const first = view.dates[state.start], last = view.dates[state.end];
    const keep = bands.weeks.map((w, i) => [w, i]).filter(([w]) => w >= shiftDays(first, -6) && w <= last);
    const labels = keep.map(([w]) => w);
    const lines = bands.bands.map((band, k) => ({
      name: band,
      values: keep.map(([, i]) => bands.cases[state.okrug][band][i]),
      colour: COLOURS[k],
      kind: "line",
    }));
    chart($("#age-bands"), {
      title: `New cases per week by age band, ${okrugName(state.okrug)}`,
      labels,
      summary: lines.map((l) => describe(`Weekly cases aged ${l.name}`, labels, l.values)).join(" "),
      series: lines,
    });
  }

  function shiftDays(iso, days) {
    const d = new Date(`${iso}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  function lineChart(id, title, columns, digits = 0) {
    const labels = dates();
    const lines = columns.map(([column, name, kind], k) => ({
      name,
      values: typeof column === "function" ? column() : inRange(series(column)),
      colour: COLOURS[k + (kind === "bar" ? 5 : 0)],
      kind: kind || "line",
      digits,
    }));
    chart($(id), {
      title: `${title}, ${okrugName(state.okrug)}`,
      labels,
      summary: lines.map((l) => describe(l.name, labels, l.values, digits)).join(" "),
      series: lines,
    });
  }

  function percentOf(numerator, denominator) {
    return () => inRange(series(numerator)).map((v, i) => ratio(v, inRange(series(denominator))[i], 100));
  }

  function renderAll() {
    renderTiles();
    renderCurve();
    renderOkrugs();
    renderAgeBands();
    lineChart("#hospital", "Hospital and ambulance load", [["ambulance_callouts", "ambulance call-outs", "bar"], ["occupied_beds", "occupied beds"], ["icu_occupied", "ICU beds"], ["admissions", "admissions"]]);
    lineChart("#tracing", "Contact tracing", [["contacts", "contacts", "bar"], ["index_cases", "index cases"]]);
    lineChart("#tracing-24h", "Contacts reached within 24 hours (%)", [[percentOf("contacts_notified_24h", "contacts"), "reached within 24 h %"]], 1);
    lineChart("#immunity", "Immune status of residents", [["fully_vaccinated", "fully vaccinated"], ["recovered", "recovered"], ["antibody_positive", "antibody positive"], ["vaccinated_first_dose", "first dose"]]);
    lineChart("#coverage", "Vaccination coverage, fully vaccinated or recovered (%)", [[percentOf("covered", "population"), "coverage %"]], 1);
    lineChart("#monitoring", "Home monitoring (telemedicine)", [["patients_monitored", "patients monitored"], ["low_spo2_alerts", "SpO2 < 94% alerts"], ["escalated_to_hospital", "escalated to hospital"]]);
    $("#filter-summary").textContent = `Showing ${okrugName(state.okrug)}, ${view.dates[state.start]} to ${view.dates[state.end]}.`;
  }

  function setup() {
    if (!view.dates.length) {
      $("main").innerHTML = "<p>No data yet: run the pipeline.</p>";
      document.body.dataset.ready = "true";
      return;
    }
    const select = $("#okrug");
    select.innerHTML = '<option value="all">Whole city</option>'
      + view.okrugs.map((o) => `<option value="${o.code}">${o.code}: ${o.name}</option>`).join("");
    const from = $("#from"), to = $("#to");
    for (const input of [from, to]) {
      input.min = view.dates[0];
      input.max = view.as_of;
    }
    from.value = view.dates[0];
    to.value = view.as_of;
    const clampIndex = (value, fallback) => {
      const i = view.dates.indexOf(value);
      return i < 0 ? fallback : i;
    };
    select.addEventListener("change", () => { state.okrug = select.value; renderAll(); });
    const onDates = () => {
      const start = clampIndex(from.value, 0), end = clampIndex(to.value, view.dates.length - 1);
      state.start = Math.min(start, end);
      state.end = Math.max(start, end);
      renderAll();
    };
    from.addEventListener("change", onDates);
    to.addEventListener("change", onDates);
    $("#okrug-grid").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-okrug]");
      if (!button) return;
      state.okrug = state.okrug === button.dataset.okrug ? "all" : button.dataset.okrug;
      select.value = state.okrug;
      renderAll();
    });
    $("#okrug-table").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-sort]");
      if (!button) return;
      sortDown = sortKey === button.dataset.sort ? !sortDown : true;
      sortKey = button.dataset.sort;
      renderOkrugs();
    });
    renderAll();
    document.body.dataset.ready = "true";
    // Milliseconds from navigation start until every chart is drawn (read by bench.dashboard).
    document.body.dataset.readyMs = performance.now().toFixed(1);
  }

  setup();
})();
