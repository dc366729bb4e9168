// The minigrad graph explorer: draws Graphviz's layout of the collapsed graph, opens
// steps in place, and replays the backward pass in the order the engine ran it.
// Everything it needs is in the page's JSON block; it makes no network request.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("data").textContent);
  const L = D.layout;
  const NS = "http://www.w3.org/2000/svg";
  const PAD = 8, HEAD = 18; // inner margin and label band of an opened step
  const svg = document.getElementById("graph");
  const opBySeq = new Map(D.ops.map((o) => [o.seq, o]));
  const leafByVid = new Map(D.leaves.map((x) => [x.vid, x]));
  const opByVid = new Map(D.ops.filter((o) => o.vid).map((o) => [o.vid, o]));
  const stepByVid = new Map(D.steps.map((s, k) => [s.vid, k]));
  const rank = new Map(D.order.map((seq, i) => [seq, i])); // seq -> position in backward
  const VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"];
  const NONFINITE = "#e8463a"; // an infinite or NaN gradient norm (viz.colours.NONFINITE)

  const state = { open: new Set(), pos: 0, playing: false, matches: new Set(), pinned: null };
  const visitedLog = []; // what the animation has visited, in order, since the last reset
  let shapes = new Map(); // key ("op:12", "step:3", "leaf:x4") -> <g> drawn for it
  let view = { x: 0, y: 0, w: L.size[0], h: L.size[1] };

  // ------------------------------------------------------------------ colours
  function mix(a, b, f) {
    const p = (h, i) => parseInt(h.slice(i, i + 2), 16);
    const c = [1, 3, 5].map((i) => Math.round(p(a, i) + (p(b, i) - p(a, i)) * f));
    return "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
  }
  function colour(norm) {
    if (typeof norm === "string") return NONFINITE; // "inf" or "nan": off the scale
    if (!(norm > 0) || !D.range) return VIRIDIS[0];
    const [lo, hi] = D.range;
    let x = hi > lo ? (Math.log10(norm) - lo) / (hi - lo) : 1;
    x = Math.min(1, Math.max(0, x)) * (VIRIDIS.length - 1);
    const k = Math.min(Math.floor(x), VIRIDIS.length - 2);
    return mix(VIRIDIS[k], VIRIDIS[k + 1], x - k);
  }
  function ink(fill) {
    const p = (i) => parseInt(fill.slice(i, i + 2), 16);
    return 0.299 * p(1) + 0.587 * p(3) + 0.114 * p(5) > 140 ? "#000" : "#fff";
  }
  const fmt = (v) => (v === null || v === undefined ? "—" : typeof v === "string" ? v : Number(v).toPrecision(4));

  // ------------------------------------------------------------------ layout
  function stretch() {
    // Opening a step inserts room to its right and below it; the map is monotone,
    // so nothing that Graphviz placed apart can come to overlap.
    const xs = new Map(), ys = new Map();
    for (const k of state.open) {
      const s = D.steps[k], [cx, cy, w, h] = L.nodes[s.vid], t = D.templates[s.template];
      const x1 = Math.round(cx + w / 2), y1 = Math.round(cy + h / 2);
      xs.set(x1, Math.max(xs.get(x1) || 0, t.size[0] + 2 * PAD - w));
      ys.set(y1, Math.max(ys.get(y1) || 0, t.size[1] + 2 * PAD + HEAD - h));
    }
    const cuts = (m) => [...m].filter((d) => d[1] > 0).sort((a, b) => a[0] - b[0]);
    const bx = cuts(xs), by = cuts(ys);
    const f = (cs) => (v) => { let out = v; for (const [b, d] of cs) if (v >= b - 0.5) out += d; return out; };
    return { fx: f(bx), fy: f(by), dx: bx.reduce((a, d) => a + d[1], 0), dy: by.reduce((a, d) => a + d[1], 0) };
  }

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, label, cls) {
    const lines = String(label).split("\\n");
    lines.forEach((line, i) => {
      const t = el("text", { x: x, y: y + (i - (lines.length - 1) / 2) * 12 }, parent);
      if (cls) t.setAttribute("class", cls);
      t.textContent = line;
    });
  }
  function box(parent, key, kind, cx, cy, w, h, label, extra) {
    const g = el("g", { class: "node " + kind + (extra || ""), "data-key": key }, parent);
    el("rect", { x: cx - w / 2, y: cy - h / 2, width: w, height: h, rx: kind === "param" || kind === "input" ? 0 : 6 }, g);
    text(g, cx, cy, label);
    shapes.set(key, g);
    return g;
  }
  function curve(parent, pts, arrow, label, lp, map) {
    const g = el("g", { class: "edge" }, parent);
    const P = pts.map(([x, y]) => [map.fx(x), map.fy(y)]);
    let d = "M" + P[0].join(",");
    for (let i = 1; i + 2 < P.length; i += 3) {
      d += " C" + P[i].join(",") + " " + P[i + 1].join(",") + " " + P[i + 2].join(",");
    }
    el("path", { d: d }, g);
    if (arrow) {
      const [ax, ay] = [map.fx(arrow[0]), map.fy(arrow[1])], [bx, by] = P[P.length - 1];
      const len = Math.hypot(ax - bx, ay - by) || 1, ux = (ax - bx) / len, uy = (ay - by) / len;
      const pts2 = [[ax, ay], [bx - uy * 3, by + ux * 3], [bx + uy * 3, by - ux * 3]];
      el("line", { x1: bx, y1: by, x2: ax, y2: ay, stroke: "#444" }, g);
      el("polygon", { points: pts2.map((p) => p.join(",")).join(" ") }, g);
    }
    if (label && lp) text(g, map.fx(lp[0]), map.fy(lp[1]), label);
    return g;
  }

  function render() {
    const map = stretch();
    shapes = new Map();
    svg.textContent = "";
    const root = el("g", {}, svg);
    const clusters = el("g", {}, root), edges = el("g", {}, root), nodes = el("g", {}, root);
    for (const c of [...L.clusters].sort((a, b) => a.depth - b.depth)) {
      const [x0, y0, x1, y1] = c.bb;
      const g = el("g", { class: "cluster" }, clusters);
      el("rect", { x: map.fx(x0), y: map.fy(y0), width: map.fx(x1) - map.fx(x0), height: map.fy(y1) - map.fy(y0), rx: 8 }, g);
      if (c.lp) text(g, map.fx(c.lp[0]), map.fy(c.lp[1]), c.label);
    }
    for (const e of L.edges) curve(edges, e.path, e.arrow, e.label, e.lp, map);
    for (const vid in L.nodes) {
      const [cx, cy, w, h] = L.nodes[vid], v = D.vertices[vid];
      if (!v) continue;
      const k = stepByVid.get(vid);
      if (k !== undefined && state.open.has(k)) { openStep(nodes, k, cx - w / 2, cy - h / 2, map); continue; }
      const key = k !== undefined ? "step:" + k : v.kind === "op" ? "op:" + opByVid.get(vid).seq
        : v.kind === "stub" ? "stub:" + vid : "leaf:" + vid;
      box(nodes, key, v.kind, map.fx(cx), map.fy(cy), w, h, v.label, v.output ? " out" : "");
    }
    svg.setAttribute("data-size", [L.size[0] + map.dx, L.size[1] + map.dy].join(","));
    paint();
    mark();
    setView();
  }

  function openStep(parent, k, x0, y0, map) {
    const s = D.steps[k], t = D.templates[s.template];
    const X = map.fx(x0), Y = map.fy(y0);
    const g = el("g", { class: "open-step", "data-key": "open:" + k }, parent);
    shapes.set("open:" + k, g);
    const r = el("rect", { x: X, y: Y, width: t.size[0] + 2 * PAD, height: t.size[1] + 2 * PAD + HEAD, rx: 8 }, g);
    text(g, X + (t.size[0] + 2 * PAD) / 2, Y + HEAD / 2 + 2, s.name);
    for (const c of [r, g.lastChild]) c.addEventListener("click", (ev) => { ev.stopPropagation(); toggle(k); });
    const ox = X + PAD, oy = Y + PAD + HEAD, inner = { fx: (x) => x + ox, fy: (y) => y + oy };
    for (const e of t.edges) curve(g, e.path, e.arrow, e.label, e.lp, inner);
    for (const name in t.nodes) {
      const [cx, cy, w, h] = t.nodes[name], i = Number(name.slice(1));
      if (name[0] === "m") {
        const op = opBySeq.get(s.members[i]);
        box(g, "op:" + op.seq, "op", cx + ox, cy + oy, w, h, op.label);
      } else {
        box(g, "stub:" + k + ":" + i, "stub", cx + ox, cy + oy, w, h, s.stubs[i]);
      }
    }
  }

  // ------------------------------------------------------------------ painting
  function visitedStep(k) {
    return D.steps[k].members.some((seq) => rank.has(seq) && rank.get(seq) < state.pos);
  }
  function fill(g, c) {
    const r = g.querySelector("rect");
    r.style.fill = c || "";
    g.querySelectorAll("text").forEach((t) => (t.style.fill = c ? ink(c) : ""));
  }
  function paintKey(key) {
    const g = shapes.get(key);
    if (!g) return;
    const [kind, id] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
    if (kind === "op") {
      const seq = Number(id), seen = rank.has(seq) && rank.get(seq) < state.pos;
      fill(g, seen ? colour(opBySeq.get(seq).norm) : null);
    } else if (kind === "step") {
      fill(g, visitedStep(Number(id)) ? colour(D.steps[Number(id)].norm) : null);
    } else if (kind === "leaf") {
      const x = leafByVid.get(id), done = state.pos >= D.order.length && D.order.length > 0;
      fill(g, done && x.requires_grad && x.norm !== null ? colour(x.norm) : null);
    }
  }
  function paint() { for (const key of shapes.keys()) paintKey(key); }

  function keyOfSeq(seq) {
    const op = opBySeq.get(seq);
    if (shapes.has("op:" + seq)) return "op:" + seq;
    return op && op.step >= 0 ? "step:" + op.step : null;
  }
  function advance(n) {
    const end = Math.min(D.order.length, state.pos + n);
    let last = null;
    while (state.pos < end) {
      const seq = D.order[state.pos++];
      visitedLog.push(seq);
      last = keyOfSeq(seq);
      if (last) paintKey(last);
    }
    if (state.pos >= D.order.length) for (const x of D.leaves) paintKey("leaf:" + x.vid);
    shapes.forEach((g) => g.classList.remove("current"));
    if (last && shapes.get(last)) shapes.get(last).classList.add("current");
    status();
  }
  function seek(pos) {
    state.pos = Math.max(0, Math.min(D.order.length, pos));
    visitedLog.length = 0;
    paint();
    status();
  }

  // Slider positions: where backward leaves each block of one step (or of the ops
  // outside the steps), in the order it ran.
  const blocks = [];
  D.order.forEach((seq, i) => {
    const k = opBySeq.get(seq).step;
    if (blocks.length && blocks[blocks.length - 1].step === k) blocks[blocks.length - 1].end = i + 1;
    else blocks.push({ step: k, end: i + 1 });
  });
  const slider = document.getElementById("slider");
  slider.max = blocks.length;
  function blockAt(pos) { let j = 0; while (j < blocks.length && blocks[j].end <= pos) j++; return j; }
  function status() {
    const j = blockAt(state.pos);
    slider.value = String(j);
    const cur = state.pos > 0 ? opBySeq.get(D.order[state.pos - 1]) : null;
    const where = cur ? (cur.step >= 0 ? D.steps[cur.step].scope : "outside the steps") : "before backward";
    document.getElementById("where").textContent =
      `${where} · ${state.pos} / ${D.order.length} vjps` + (cur ? ` · last: ${cur.op}` : "");
  }

  function frame() {
    if (!state.playing) return;
    const speed = Number(document.getElementById("speed").value);
    if (speed === 0) {
      const j = blockAt(state.pos);
      advance((j < blocks.length ? blocks[j].end : D.order.length) - state.pos);
    } else advance(speed);
    if (state.pos >= D.order.length) { play(false); return; }
    requestAnimationFrame(frame);
  }
  function play(on) {
    state.playing = on;
    document.getElementById("play").textContent = on ? "⏸ pause" : "▶ play backward";
    if (on) {
      if (state.pos >= D.order.length) seek(0);
      requestAnimationFrame(frame);
    }
  }

  // ------------------------------------------------------------------ details
  function hist(h) {
    const m = Math.max(1, ...h), w = 12;
    const bars = h.map((c, i) => `<rect x="${i * w}" y="${30 - (30 * c) / m}" width="${w - 1}" height="${(30 * c) / m}" fill="#5b8def"/>`);
    return `<svg width="${h.length * w}" height="32" role="img" aria-label="histogram">${bars.join("")}</svg>`;
  }
  function statsRows(s) {
    if (!s) return `<tr><td>value</td><td class="hint">not recorded (run under viz.trace())</td></tr>`;
    return `<tr><td>dtype</td><td>${s.dtype}</td></tr>` +
      `<tr><td>min / mean / max</td><td>${fmt(s.min)} / ${fmt(s.mean)} / ${fmt(s.max)}</td></tr>` +
      `<tr><td>histogram</td><td>${hist(s.hist)}</td></tr>` +
      (s.nonfinite ? `<tr><td>not finite</td><td>${s.nonfinite}</td></tr>` : "");
  }
  function partsTable(parts, via) {
    if (!parts || !parts.length) return "";
    const top = Math.max(...parts.map((p) => p[1] || 0));
    const lo = Math.min(...parts.map((p) => (p[1] > 0 ? p[1] : top)));
    const width = (v) => (v > 0 && top > lo ? 4 + 96 * (Math.log10(v) - Math.log10(lo)) / (Math.log10(top) - Math.log10(lo)) : 100);
    const rows = parts.map(([k, v]) => `<tr><td>${D.steps[k].name}</td><td>${fmt(v)}</td><td><span class="bar" style="width:${width(v)}px"></span></td></tr>`);
    const how = via && via.length ? ` (reaching it through its ${via.join(", ")})` : "";
    return `<p>Gradient sent by each step${how}, in backward order; they add up to ‖grad‖:</p>` +
      `<div class="parts"><table>${rows.join("")}</table></div>`;
  }
  function details(key) {
    const box = document.getElementById("details");
    if (!key) return;
    const [kind, id] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
    let h = "";
    if (kind === "op") {
      const o = opBySeq.get(Number(id));
      const r = rank.has(o.seq) ? `${rank.get(o.seq) + 1} of ${D.order.length}` : "not reached";
      h = `<h2>${o.label.split("\\n")[0]}</h2><table>` +
        `<tr><td>op</td><td>${o.op}</td></tr><tr><td>shape</td><td>${o.shape}</td></tr>` +
        statsRows(o.stats) +
        `<tr><td>‖grad‖</td><td class="norm">${fmt(o.norm)}</td></tr>` +
        `<tr><td>scope</td><td>${o.scope || "(none)"}</td></tr>` +
        `<tr><td>created</td><td>#${o.seq} (creation order)</td></tr>` +
        `<tr><td>backward</td><td>${r}</td></tr></table>` + partsTable(o.parts);
    } else if (kind === "step") {
      const s = D.steps[Number(id)];
      h = `<h2>${s.name}</h2><table><tr><td>scope</td><td>${s.scope}</td></tr>` +
        `<tr><td>ops</td><td>${s.members.length}</td></tr>` +
        `<tr><td>‖grad‖ of its state</td><td class="norm">${fmt(s.norm)}</td></tr></table>` +
        `<p class="hint">${state.open.has(Number(id)) ? "Click its frame to close it." : "Click to open this step in place."}</p>`;
    } else if (kind === "leaf") {
      const x = leafByVid.get(id);
      h = `<h2>${x.name}</h2><table><tr><td>kind</td><td>${x.requires_grad ? "weight (requires grad)" : "input"}</td></tr>` +
        `<tr><td>shape</td><td>${x.shape}</td></tr>` + statsRows(x.stats) +
        `<tr><td>‖grad‖</td><td class="norm">${fmt(x.norm)}</td></tr></table>` + partsTable(x.parts, x.via);
    } else return;
    box.innerHTML = h;
    box.setAttribute("data-key", key);
  }

  // ------------------------------------------------------------------ legend
  function legend() {
    const cells = VIRIDIS.map((c) => `<span class="swatch" style="background:${c};margin:0;border:0;width:22px"></span>`).join("");
    const range = D.range ? `<div>${cells}</div><div style="display:flex;justify-content:space-between;width:242px"><span>${D.range[0].toFixed(1)}</span><span>log10 ‖grad‖</span><span>${D.range[1].toFixed(1)}</span></div>`
      : `<p class="hint">No gradients recorded: run forward and backward under viz.trace().</p>`;
    const bad = D.nonfinite ? `<p><span class="swatch" style="background:${NONFINITE}"></span>‖grad‖ inf or NaN</p>` : "";
    document.getElementById("legend").innerHTML = `<h2 style="font-size:13px">Legend</h2>${range}${bad}
      <p><span class="swatch" style="background:#dbe8f6"></span>weight &nbsp;
      <span class="swatch" style="border-style:dashed"></span>input &nbsp;
      <span class="swatch" style="border-radius:3px"></span>op &nbsp;
      <span class="swatch" style="border-width:2px;border-radius:3px"></span>time step</p>
      <p class="hint">Play replays backward: each node takes the colour of log10 of the gradient norm reaching it, in the order the engine ran the vjps. A step lights up when backward enters it; weights when their gradients are written, at the end. Frames group the steps by layer and direction. A double border marks an output.</p>`;
  }

  // ------------------------------------------------------------------ search
  function mark() {
    shapes.forEach((g, key) => g.classList.toggle("match", state.matches.has(key)));
  }
  function search(q) {
    q = q.trim().toLowerCase();
    state.matches = new Set();
    const hits = [];
    if (q) {
      D.steps.forEach((s, k) => {
        const scope = s.scope.toLowerCase();
        if (s.name.toLowerCase() === q || scope === q || scope.endsWith("/" + q)) hits.push(["step:" + k, k]);
      });
      D.ops.forEach((o) => { if (o.label.toLowerCase().includes(q) || o.op.toLowerCase() === q) hits.push(["op:" + o.seq, o.step]); });
      D.leaves.forEach((x) => { if (x.name.toLowerCase().includes(q)) hits.push(["leaf:" + x.vid, -1]); });
    }
    for (const [key, k] of hits) {
      state.matches.add(key);
      if (k >= 0) state.matches.add("step:" + k);
    }
    document.getElementById("found").textContent = q ? `${hits.length} match${hits.length === 1 ? "" : "es"}` : "";
    mark();
    return hits;
  }

  // ------------------------------------------------------------------ view
  function setView() { svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`); }
  function fit() {
    const [w, h] = svg.getAttribute("data-size").split(",").map(Number);
    view = { x: -10, y: -10, w: w + 20, h: h + 20 };
    setView();
  }
  function focus(key) {
    const g = shapes.get(key);
    if (!g) return;
    // fit the node (or opened step) with a margin, never closer than 300 pt across
    const b = g.getBBox(), aspect = svg.clientHeight / Math.max(1, svg.clientWidth);
    const w = Math.max(300, b.width * 1.3, (b.height * 1.3) / aspect), h = w * aspect;
    view = { x: b.x + b.width / 2 - w / 2, y: b.y + b.height / 2 - h / 2, w: w, h: h };
    setView();
  }
  function toggle(k) {
    if (state.open.has(k)) state.open.delete(k); else state.open.add(k);
    render();
  }

  const canvas = document.getElementById("canvas");
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect(), f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
    const px = view.x + ((ev.clientX - r.left) / r.width) * view.w, py = view.y + ((ev.clientY - r.top) / r.height) * view.h;
    view = { x: px - (px - view.x) * f, y: py - (py - view.y) * f, w: view.w * f, h: view.h * f };
    setView();
  }, { passive: false });
  let drag = null;
  canvas.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, v: { ...view }, moved: false }; canvas.classList.add("dragging"); });
  window.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect(), s = Math.max(view.w / r.width, view.h / r.height);
    if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) drag.moved = true;
    view = { ...drag.v, x: drag.v.x - (ev.clientX - drag.x) * s, y: drag.v.y - (ev.clientY - drag.y) * s };
    setView();
  });
  window.addEventListener("mouseup", () => { canvas.classList.remove("dragging"); setTimeout(() => (drag = null), 0); });
  svg.addEventListener("mouseover", (ev) => {
    const g = ev.target.closest(".node");
    if (g && !state.pinned) details(g.getAttribute("data-key"));
  });
  svg.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const g = ev.target.closest(".node");
    if (!g) { state.pinned = null; return; }
    const key = g.getAttribute("data-key");
    if (key.startsWith("step:")) { toggle(Number(key.slice(5))); details(key); return; }
    state.pinned = state.pinned === key ? null : key;
    details(key);
  });
  document.getElementById("play").addEventListener("click", () => play(!state.playing));
  document.getElementById("step").addEventListener("click", () => { play(false); advance(1); });
  document.getElementById("reset").addEventListener("click", () => { play(false); seek(0); });
  slider.addEventListener("input", () => {
    play(false);
    const j = Number(slider.value);
    seek(j === 0 ? 0 : blocks[j - 1].end);
  });
  document.getElementById("open-all").addEventListener("click", () => { D.steps.forEach((_, k) => state.open.add(k)); render(); fit(); });
  document.getElementById("close-all").addEventListener("click", () => { state.open.clear(); render(); fit(); });
  document.getElementById("fit").addEventListener("click", fit);
  const query = document.getElementById("search");
  query.addEventListener("input", () => search(query.value));
  query.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    const hits = search(query.value);
    if (!hits.length) return;
    const [key, k] = hits[0];
    // an op's step, or the step itself (t=42), opens in place
    if (k >= 0 && !state.open.has(k)) { state.open.add(k); render(); }
    focus(key.startsWith("step:") ? "open:" + k : key);
    details(key);
  });

  const nSteps = D.steps.length;
  document.getElementById("counts").textContent =
    `${D.ops.length} ops · ${nSteps} steps · ${D.leaves.length} leaves · ${D.order.length} vjps recorded`;
  legend();
  render();
  fit();
  status();
  window.minigradExplorer = {
    ready: true,
    readyAt: performance.now(),
    opCount: D.ops.length,
    order: D.order.slice(),
    visited: () => visitedLog.slice(),
    done: () => state.pos >= D.order.length,
    drawnOps: () => [...shapes.keys()].filter((k) => k.startsWith("op:")).length,
    openAll: () => { D.steps.forEach((_, k) => state.open.add(k)); render(); },
    open: (k) => { state.open.add(k); render(); },
    focus: focus,
  };
})();
