/* shieldsim explore: the page's logic. Talks only to this server (see server.py for the API). */
"use strict";

const COLOURS = { defended: "#0072b2", threatened: "#e69f00", battery: "#000000", batteryOff: "#999999",
  radar: "#cc79a7", launch: "#d55e00", land: "#f2efe6", border: "#8c8c8c", city: "#444444" };

const S = {
  controls: { scenario: "", option: "", threat_area: "all", profile: "", batteries_off: [], radars_off: [],
              speed_percent: 100, launch_delay_s: null, grid_deg: 1, radar_ranges_km: {}, interceptors: {} },
  seq: 0, key: null, described: null,
};

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === null || n === undefined) ? "–" : Math.round(n).toLocaleString("en-GB");
const pct = (f) => (f === null || f === undefined) ? "–" : (100 * f).toFixed(1) + "%";

async function getJSON(path) {
  const r = await fetch(path, { headers: { "Accept": "application/json" } });
  return r.json();
}
async function postJSON(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                body: typeof body === "string" ? body : JSON.stringify(body) });
  return r.json();
}

/* ------------------------------------------------------------------ map */
const map = L.map("map", { preferCanvas: true, zoomSnap: 0.25, worldCopyJump: false });
const VIEW = [[30, -12], [68, 58]];  // Europe and the launch areas of the built-in scenarios
map.fitBounds(VIEW);
new ResizeObserver(() => map.invalidateSize()).observe(document.getElementById("map"));
map.attributionControl.setPrefix("Leaflet");
map.attributionControl.addAttribution("Borders: Natural Earth; cities: GeoNames; shieldsim");
map.createPane("land").style.zIndex = 250;  // borders under the cells whatever arrives first
const landRenderer = L.canvas({ padding: 0.2, pane: "land" });
const renderer = L.canvas({ padding: 0.2 });
const layers = { borders: L.layerGroup().addTo(map), cells: L.layerGroup().addTo(map),
  fields: L.layerGroup().addTo(map), sites: L.layerGroup().addTo(map), cities: L.layerGroup().addTo(map),
  deterrent: L.layerGroup().addTo(map) };
L.control.layers(null, { "Cells": layers.cells, "Radar fields and battery reach": layers.fields,
  "Sites": layers.sites, "Cities": layers.cities, "Deterrent view": layers.deterrent }, { collapsed: true }).addTo(map);
const legend = L.control({ position: "bottomright" });
legend.onAdd = () => {
  const d = L.DomUtil.create("div", "legend");
  d.innerHTML = `<div><i style="background:${COLOURS.defended}"></i>defended</div>` +
    `<div><i style="background:${COLOURS.threatened}"></i>threatened, not defended</div>` +
    `<div><i style="background:${COLOURS.battery}"></i>battery (reach: interceptor range)</div>` +
    `<div><i style="background:${COLOURS.radar}"></i>radar (field vs 0.1 m²)</div>` +
    `<div><i style="background:${COLOURS.launch}"></i>launch point</div>`;
  return d;
};
legend.addTo(map);

function drawBorders(geo) {
  L.geoJSON(geo, { renderer: landRenderer, pane: "land", interactive: false,
    style: { color: COLOURS.border, weight: 0.6, fillColor: COLOURS.land, fillOpacity: 1 } }).addTo(layers.borders);
}

function drawCities(cities) {
  cities.forEach((c, i) => {
    const m = L.circleMarker([c.lat, c.lon], { renderer, radius: 2.5, color: COLOURS.city, weight: 1, fillOpacity: 1 });
    // one tooltip per layer (Leaflet wires the first binding's events only): the largest cities labelled
    if (i < 25) m.bindTooltip(c.name, { permanent: true, direction: "right", className: "city-label", offset: [3, 0] });
    else m.bindTooltip(`${c.name} (${c.iso3}), ${fmt(c.population)} people`);
    m.on("click", () => showTimeline(c));
    m.addTo(layers.cities);
  });
}

function drawCells(res) {
  layers.cells.clearLayers();
  const h = res.grid_deg / 2, c = res.cells;
  for (let k = 0; k < c.lat.length; k++) {
    const d = c.defended[k];
    L.rectangle([[c.lat[k] - h, c.lon[k] - h], [c.lat[k] + h, c.lon[k] + h]], { renderer, interactive: false,
      stroke: false, fillColor: d ? COLOURS.defended : COLOURS.threatened, fillOpacity: d ? 0.55 : 0.45 })
      .addTo(layers.cells);
  }
}

function drawSites(sites) {
  layers.fields.clearLayers(); layers.sites.clearLayers();
  for (const r of sites.radars) {
    L.polygon(r.outline, { renderer, interactive: false, color: COLOURS.radar, weight: 1, fillOpacity: 0.04,
      dashArray: r.fire_control ? null : "4 3" }).addTo(layers.fields);
    L.circleMarker([r.lat, r.lon], { renderer, radius: 5, color: COLOURS.radar, fillOpacity: 0.9 })
      .bindTooltip(`radar ${r.name} (${r.side}), ${fmt(r.range_km)} km vs 0.1 m²`).addTo(layers.sites);
  }
  for (const b of sites.batteries) {
    const col = b.on ? COLOURS.battery : COLOURS.batteryOff;
    L.polyline(b.outline, { renderer, interactive: false, color: col, weight: 1, dashArray: "2 4" }).addTo(layers.fields);
    L.circleMarker([b.lat, b.lon], { renderer, radius: 6, color: col, fillColor: b.on ? "#fff" : "#ddd", weight: 3, fillOpacity: 1 })
      .bindTooltip(`battery ${b.name} (${b.side}, ${b.interceptor}, reach ${fmt(b.reach_km)} km)${b.on ? "" : " — off"}`)
      .addTo(layers.sites);
  }
  for (const p of sites.launch_points) {
    L.circleMarker([p.lat, p.lon], { renderer, radius: 4, color: COLOURS.launch, weight: 2, fillOpacity: 0.2 })
      .bindTooltip(`launch point ${p.name} (${p.area})`).addTo(layers.sites);
  }
}

/* ------------------------------------------------------------------ a city's engagement timeline */
function esc(t) { const d = document.createElement("div"); d.textContent = t === null || t === undefined ? "" : String(t); return d.innerHTML; }

async function showTimeline(city) {
  const panel = $("timeline-panel"), body = $("timeline-body");
  const seq = (S.timelineSeq = (S.timelineSeq || 0) + 1);
  panel.hidden = false;
  body.innerHTML = `<b>${esc(city.name)}</b><br>computing the engagement timeline…`;
  const r = await postJSON("/api/timeline", { controls: S.controls, city: { name: city.name, lat: city.lat, lon: city.lon } });
  if (seq !== S.timelineSeq) return;  // another city was clicked meanwhile
  if (r.status !== "ok") { body.innerHTML = `<b>${esc(city.name)}</b><br><span class="error">${esc(r.message)}</span>`; return; }
  const parts = [`<div id="timeline" data-city="${esc(r.city)}"><b>${esc(r.city)}</b>: engagement timeline (the report's events and figure)`];
  for (const c of r.cases) {
    if (!c.reached) { parts.push(`<p>${esc(c.area)}: ${esc(c.threat)} does not reach ${esc(r.city)}.</p>`); continue; }
    parts.push(`<h4>${esc(c.threat)} (${esc(c.area)}): ${c.engageable ? "engageable" : "not engageable"}` +
      (c.engageable ? `, ${c.shots} shot opportunities, kill probability ${pct(c.kill_probability)}` : "") + `</h4>`);
    parts.push("<table class=\"events\"><tr><th>time, s</th><th>event</th><th>actor</th><th>detail</th></tr>" +
      c.events.map((e) => `<tr><td>${e.time_s === null ? "" : e.time_s.toFixed(0)}</td><td>${esc(e.event)}</td>` +
        `<td>${esc(e.actor)}</td><td>${esc(e.detail)}</td></tr>`).join("") + "</table>");
    if (c.figure) parts.push(`<img class="timeline-figure" alt="altitude against time of ${esc(c.threat)}" src="${c.figure}">`);
  }
  parts.push("</div>");
  body.innerHTML = parts.join("");
}

/* ------------------------------------------------------------------ the deterrent view */
const DETERRENT_VIEW = [[28, -125], [84, 105]];  // North America, the Arctic, Europe and Russia
const PAIR_COLOURS = ["#d55e00", "#0072b2", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#f0e442"];

async function refreshDeterrent(fit) {
  const sum = $("deterrent-summary");
  const seq = (S.detSeq = (S.detSeq || 0) + 1);
  $("error-deterrent").textContent = ""; $("error-deterrent_variant").textContent = "";
  if (!$("deterrent").checked) {
    layers.deterrent.clearLayers(); sum.dataset.state = "off"; sum.textContent = "";
    if (fit) map.fitBounds(VIEW, { animate: false });
    return;
  }
  sum.dataset.state = "running";
  sum.textContent = "computing the deterrent view (the first time flies every ICBM and SLBM: a minute or two)…";
  let r;
  try { r = await postJSON("/api/deterrent", { controls: S.controls, variant: $("deterrent_variant").value }); }
  catch (e) { r = { status: "failed", message: String(e) }; }
  if (seq !== S.detSeq) return;  // the controls changed meanwhile
  if (r.status !== "ok") {
    sum.dataset.state = "failed"; sum.textContent = "";
    ($("error-" + r.control) || $("error-deterrent")).textContent = r.message;
    return;
  }
  drawDeterrent(r, fit);
}

function drawDeterrent(r, fit) {
  layers.deterrent.clearLayers();
  const colour = {};
  r.batteries.forEach((b, j) => { colour[b.name] = PAIR_COLOURS[j % PAIR_COLOURS.length]; });
  for (const t of r.tracks) {
    L.polyline(t.pieces, { renderer, color: "#666", weight: 1, opacity: 0.55 }).bindTooltip(t.label).addTo(layers.deterrent);
  }
  for (const p of r.pairs) {
    L.polyline(p.pieces, { renderer, color: colour[p.battery], weight: 5, opacity: 0.9, className: "pair" })
      .bindTooltip(`${r.tracks[p.flight].label}: engageable by ${p.battery} from ${p.intercept_first_s.toFixed(0)} s ` +
                   `to ${p.intercept_last_s.toFixed(0)} s after launch (first at ${p.first_alt_km} km)`)
      .addTo(layers.deterrent);
  }
  for (const b of r.bases) {
    L.circleMarker([b.lat, b.lon], { renderer, radius: 5, color: COLOURS.launch, weight: 2, fillOpacity: 0.8 })
      .bindTooltip(`base ${b.name}`).addTo(layers.deterrent);
  }
  const sum = $("deterrent-summary");
  sum.dataset.flights = r.flights; sum.dataset.pairs = r.pairs_engageable; sum.dataset.state = "ready";
  sum.dataset.drawn = r.pairs.length; sum.dataset.variant = r.variant;
  const rows = r.batteries.map((b) => `<div><i style="background:${colour[b.name]}"></i>${esc(b.name)} (${esc(b.interceptor)}): ` +
    `${pct(r.fraction_engageable[b.name])} of flights engageable</div>`).join("");
  sum.innerHTML = `<b>${r.flights}</b> flights from ${r.bases.length} bases and patrol areas; <b>${r.pairs_engageable}</b> ` +
    `engageable flight × battery pairs (batteries of ${esc(r.phase)}, timeline “${esc(r.variant)}”); by any battery ` +
    `${pct(r.fraction_engageable.any)}.` + rows;
  if (fit) map.fitBounds(DETERRENT_VIEW, { animate: false });
}

/* ------------------------------------------------------------------ figures */
function setFigure(id, value, text) {
  const el = $(id);
  el.dataset.value = value === null || value === undefined ? "" : String(value);
  el.textContent = text;
}

function render(res) {
  S.key = res.key;
  const n = res.nato_europe, r = res.rest_of_region;
  setFigure("nato-defended", n.population_defended, fmt(n.population_defended));
  setFigure("nato-threatened", n.population_threatened, fmt(n.population_threatened));
  setFigure("nato-fraction", n.fraction_defended_of_threatened, pct(n.fraction_defended_of_threatened));
  setFigure("rest-defended", r.population_defended, fmt(r.population_defended));
  $("assumptions-note").textContent = `${res.scenario}: ${res.title} — NATO members of ${n.membership_year}` +
    (n.membership_year_from === "default" ? " (default year)" : "") + `; grid ${res.grid_deg}°; areas ${res.areas.join(", ")}` +
    (res.assumptions ? `; ${res.assumptions}` : "");
  const tbody = $("countries").querySelector("tbody");
  tbody.replaceChildren(...res.countries.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.iso3 = c.iso3;
    for (const v of [c.name, c.nato_europe ? "yes" : "", fmt(c.population_threatened), fmt(c.population_defended),
                     pct(c.fraction_defended_of_threatened)]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    return tr;
  }));
  drawCells(res);
  drawSites(res.sites);
  if (!S.fitted) { map.invalidateSize(); map.fitBounds(VIEW); S.fitted = true; }  // once the layout has settled
  for (const [id, file] of [["dl-toml", "scenario.toml"], ["dl-csv", "figures.csv"], ["dl-geojson", "figures.geojson"],
                            ["dl-png", "map.png"], ["dl-svg", "map.svg"]]) {
    $(id).href = `/download/${res.key}/${file}`;
  }
  setStatus("ready", `up to date (${res.scenario})`, 1, 1);
  $("status").dataset.key = res.key;
  if ($("deterrent").checked && S.detKey !== res.key) { S.detKey = res.key; refreshDeterrent(false); }
}

function setStatus(state, text, done, total) {
  const st = $("status");
  st.dataset.state = state;
  $("status-text").textContent = text;
  $("progress").max = total || 1;
  $("progress").value = done || 0;
}

function clearErrors() {
  document.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
  document.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
}

function showError(control, message) {
  const el = $("error-" + control) || $("error-scenario");
  el.textContent = message;
  const input = $(control) || (["batteries_off", "interceptors"].includes(control) ? $("batteries") :
    ["radars_off", "radar_ranges_km"].includes(control) ? $("radars") : null);
  if (input) input.classList.add("invalid");
  if (control === "upload") return;  // a refused upload changes nothing: the page still shows the scenario above
  setStatus("invalid", `not computed: fix ${control}`, 0, 1);
  for (const id of ["dl-toml", "dl-csv", "dl-geojson", "dl-png", "dl-svg"]) $(id).removeAttribute("href");
}

/* ------------------------------------------------------------------ computing */
async function compute() {
  const seq = ++S.seq;
  clearErrors();
  setStatus("running", "computing…", 0, 1);
  let r;
  try { r = await postJSON("/api/compute", S.controls); } catch (e) { if (seq === S.seq) setStatus("failed", String(e)); return; }
  if (seq !== S.seq) return;
  if (r.status === "invalid") return showError(r.control, r.message);
  if (r.status === "done") return render(r.result);
  await poll(r.job, seq);
}

async function poll(job, seq) {
  for (;;) {
    await new Promise((ok) => setTimeout(ok, 200));
    if (seq !== S.seq) return;
    let r;
    try { r = await getJSON(`/api/job/${job}`); } catch (e) { continue; }
    if (seq !== S.seq) return;
    if (r.status === "running") {
      setStatus("running", `computing: ${r.stage} (${r.done}/${r.total} flights)`, r.done, r.total);
    } else if (r.status === "done") {
      return render(r.result);
    } else if (r.status === "failed") {
      return setStatus("failed", `failed: ${r.message}`, 0, 1);
    } else {
      return;  // cancelled: a newer request is running
    }
  }
}

/* ------------------------------------------------------------------ controls */
function fillSelect(id, values, keepFirst) {
  const sel = $(id);
  const first = keepFirst ? [sel.options[0]] : [];
  sel.replaceChildren(...first, ...values.map(([v, t]) => { const o = document.createElement("option"); o.value = v; o.textContent = t; return o; }));
}

function toggles(kind, names) {
  const box = $(kind).querySelector(".list");
  box.replaceChildren(...names.map((name) => {
    const label = document.createElement("label");
    const cb = document.createElement("input");
    cb.type = "checkbox"; cb.checked = true; cb.id = `${kind === "batteries" ? "battery" : "radar"}-${name}`;
    cb.dataset.name = name;
    cb.addEventListener("change", () => {
      const key = kind === "batteries" ? "batteries_off" : "radars_off";
      const off = new Set(S.controls[key]);
      cb.checked ? off.delete(name) : off.add(name);
      S.controls[key] = [...off];
      compute();
    });
    label.append(cb, " " + name);
    if (kind === "batteries") {  // the interceptor it fires (catalogue or the scenario's own)
      const sel = document.createElement("select");
      sel.className = "interceptor"; sel.id = `interceptor-${name}`; sel.title = "interceptor this battery fires";
      const own = S.described.battery_interceptors[name];
      for (const i of S.described.interceptor_choices) {
        const o = document.createElement("option"); o.value = i; o.textContent = i === own ? `${i} (scenario)` : i; sel.appendChild(o);
      }
      sel.value = own;
      sel.addEventListener("change", () => {
        if (sel.value === own) delete S.controls.interceptors[name]; else S.controls.interceptors[name] = sel.value;
        compute();
      });
      label.append(" ", sel);
    }
    if (kind === "radars") {  // reference range, km (blank: the scenario's)
      const km = document.createElement("input");
      km.type = "number"; km.className = "range-km"; km.id = `range-${name}`; km.min = 1; km.max = 50000; km.step = 50;
      km.placeholder = String(S.described.reference_ranges_km[name]); km.title = "reference range, km (blank: the scenario's)";
      km.addEventListener("change", () => {
        const v = km.value.trim();
        if (v === "") delete S.controls.radar_ranges_km[name]; else S.controls.radar_ranges_km[name] = v;
        compute();
      });
      label.append(" ", km, " km");
    }
    return label;
  }));
}

async function describe(area) {
  const seq = ++S.seq;
  const d = await postJSON("/api/describe", S.controls);
  if (seq !== S.seq) return false;
  if (d.status !== "ok") { clearErrors(); showError(d.control, d.message); return false; }
  S.described = d;
  S.controls.batteries_off = []; S.controls.radars_off = []; S.controls.radar_ranges_km = {}; S.controls.interceptors = {};
  S.controls.threat_area = d.launch_areas.includes(area) ? area : "all";
  fillSelect("threat_area", [["all", "all areas"], ...d.launch_areas.map((a) => [a, a])], false);
  $("threat_area").value = S.controls.threat_area;
  toggles("batteries", d.batteries);
  toggles("radars", d.radars);
  return true;
}

async function scenarioChanged(area) {
  if (await describe(area || "all")) compute();
}

function numberControl(id, optional) {
  $(id).addEventListener("change", () => {
    const v = $(id).value.trim();
    S.controls[id] = v === "" ? (optional ? null : "") : v;  // the server checks the number and its range
    compute();
  });
}

async function upload(file) {
  const text = await file.text();
  clearErrors();
  const r = await postJSON("/api/upload", text);
  if (r.status !== "ok") { showError("upload", r.message); return; }
  const sel = $("scenario");
  const o = document.createElement("option"); o.value = r.scenario; o.textContent = `uploaded: ${file.name}`;
  sel.appendChild(o); sel.value = r.scenario;
  S.controls.scenario = r.scenario; S.controls.option = ""; $("option").value = "";
  scenarioChanged(S.controls.threat_area);
}

async function init() {
  const opts = await getJSON("/api/options");
  fillSelect("scenario", opts.scenarios.map((s) => [s, s]), false);
  fillSelect("option", opts.options.map((o) => [o.label, `${o.label} (${o.scenario})`]), true);
  fillSelect("profile", opts.profiles.map((p) => [p, p]), true);
  for (const [id, [lo, hi]] of Object.entries(opts.ranges)) { $(id).min = lo; $(id).max = hi; }
  S.controls.scenario = opts.initial.scenario; $("scenario").value = opts.initial.scenario;
  S.controls.grid_deg = opts.initial.grid_deg; $("grid_deg").value = opts.initial.grid_deg;
  // a new scenario keeps the threat area when it has one of that name
  $("scenario").addEventListener("change", () => {
    S.controls.scenario = $("scenario").value; S.controls.option = ""; $("option").value = "";
    scenarioChanged(S.controls.threat_area);
  });
  $("option").addEventListener("change", () => { S.controls.option = $("option").value; scenarioChanged(S.controls.threat_area); });
  $("threat_area").addEventListener("change", () => { S.controls.threat_area = $("threat_area").value; compute(); });
  $("profile").addEventListener("change", () => { S.controls.profile = $("profile").value; compute(); });
  $("upload").addEventListener("change", () => { if ($("upload").files.length) upload($("upload").files[0]); });
  $("deterrent").addEventListener("change", () => { S.detKey = S.key; refreshDeterrent(true); });
  $("deterrent_variant").addEventListener("change", () => refreshDeterrent(false));
  numberControl("speed_percent", false);
  numberControl("launch_delay_s", true);
  numberControl("grid_deg", false);
  getJSON("/api/layers").then((l) => { drawBorders(l.borders); drawCities(l.cities); });
  $("timeline-close").addEventListener("click", () => { $("timeline-panel").hidden = true; S.timelineSeq = (S.timelineSeq || 0) + 1; });
  await scenarioChanged(opts.initial.threat_area);
}

init();
