// Influence network: our own force layout drawn in SVG, with pan (drag), zoom (wheel or
// buttons), find-a-node, neighbour highlighting on hover and click-to-open. Node labels
// are set with textContent only.
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";
  const LABELLED = 30; // labels shown for the best-connected nodes; the rest on hover/zoom

  function svgEl(tag, attrs) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function layout(nodes, edges, width, height) {
    const index = new Map(nodes.map((n, i) => [n.id, i]));
    const links = edges.filter((e) => index.has(e.source) && index.has(e.target))
      .map((e) => ({ s: index.get(e.source), t: index.get(e.target), e }));
    // Deterministic start on a circle, so the same data gives the same picture.
    // The selected entity (hop 0) starts in the middle and nearer rings closer to it.
    nodes.forEach((n, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, nodes.length);
      const r = Math.min(width, height) * (n.hop === 0 ? 0 : n.hop === 1 ? 0.25 : 0.35);
      n.x = width / 2 + r * Math.cos(a);
      n.y = height / 2 + r * Math.sin(a);
      n.vx = 0; n.vy = 0;
    });
    const k = Math.sqrt((width * height) / Math.max(1, nodes.length)) * 0.6;
    const steps = nodes.length > 150 ? 180 : 300;
    const far2 = (5 * k) * (5 * k);
    for (let step = 0; step < steps; step++) {
      const temp = 1 - step / steps;
      for (let i = 0; i < nodes.length; i++) {
        const a = nodes[i];
        for (let j = i + 1; j < nodes.length; j++) {
          const b = nodes[j];
          let dx = a.x - b.x, dy = a.y - b.y;
          let d2 = dx * dx + dy * dy;
          if (d2 < 0.01) { dx = ((i * 7919 + j) % 13) / 13 - 0.5; dy = ((j * 104729 + i) % 17) / 17 - 0.5; d2 = 0.5; }
          // Repulsion fades beyond a few spring lengths, so small separate clusters
          // stay near the rest instead of drifting to the edges.
          if (d2 > far2) continue;
          const f = (k * k) / d2;
          a.vx += dx * f * 0.05; a.vy += dy * f * 0.05;
          b.vx -= dx * f * 0.05; b.vy -= dy * f * 0.05;
        }
      }
      for (const { s, t } of links) {
        const a = nodes[s], b = nodes[t];
        const dx = b.x - a.x, dy = b.y - a.y;
        const d = Math.sqrt(dx * dx + dy * dy) || 1;
        const f = (d - k) / d * 0.08;
        a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
      }
      for (const n of nodes) {
        n.vx += (width / 2 - n.x) * 0.01; n.vy += (height / 2 - n.y) * 0.01 * (width / height);
        const v = Math.sqrt(n.vx * n.vx + n.vy * n.vy) || 1;
        const cap = 30 * temp + 1;
        n.x += (n.vx / v) * Math.min(v, cap); n.y += (n.vy / v) * Math.min(v, cap);
        n.vx *= 0.5; n.vy *= 0.5;
      }
    }
    return links;
  }

  function kind(n) {
    if (n.foreign) return "n-foreign";
    if (n.schema === "PublicBody") return "n-public";
    return "n-other";
  }

  function radius(n) {
    return Math.min(16, 4 + Math.sqrt(n.degree || 1) * 1.6);
  }

  // The view box that shows every node with room for labels, keeping the SVG's aspect.
  // Stray nodes beyond the 2nd-98th percentiles are left outside (zoom out to see them).
  function fitBox(nodes, width, height) {
    if (!nodes.length) return { x: 0, y: 0, w: width, h: height };
    const xs = nodes.map((n) => n.x).sort((a, b) => a - b);
    const ys = nodes.map((n) => n.y).sort((a, b) => a - b);
    const cut = Math.floor(nodes.length * 0.02);
    let x0 = xs[cut] - 20, x1 = xs[xs.length - 1 - cut] + 110;
    let y0 = ys[cut] - 20, y1 = ys[ys.length - 1 - cut] + 20;
    let w = x1 - x0, h = y1 - y0;
    const aspect = width / height;
    if (w / h > aspect) { const nh = w / aspect; y0 -= (nh - h) / 2; h = nh; }
    else { const nw = h * aspect; x0 -= (nw - w) / 2; w = nw; }
    return { x: x0, y: y0, w, h };
  }

  function draw(box, data) {
    const svg = document.getElementById("network-svg");
    const width = svg.clientWidth || 1000, height = svg.clientHeight || 640;
    const nodes = data.nodes || [];
    if (!nodes.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = box.dataset.empty || "";
      box.prepend(p);
      box.dataset.ready = "0";
      return;
    }
    const links = layout(nodes, data.edges || [], width, height);
    svg.replaceChildren();
    const home = fitBox(nodes, width, height);
    const view = { ...home };
    const setView = () => {
      svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
      // Zoomed in far enough, every label fits: show them all.
      svg.classList.toggle("zoomed", view.w < home.w * 0.55);
    };
    setView();
    const root = svgEl("g", { class: "graph" });
    svg.append(root);
    const neighbours = new Map(nodes.map((n) => [n.id, new Set([n.id])]));
    const edgeEls = [];
    for (const { s, t, e } of links) {
      const a = nodes[s], b = nodes[t];
      neighbours.get(a.id).add(b.id); neighbours.get(b.id).add(a.id);
      const line = svgEl("line", { class: "edge", x1: a.x, y1: a.y, x2: b.x, y2: b.y,
        "stroke-width": Math.min(4, 0.8 + Math.log1p(e.weight || 1)) });
      const title = svgEl("title");
      title.textContent = `${a.name} → ${b.name}: ${e.label || e.predicate || ""}`;
      line.append(title);
      root.append(line);
      edgeEls.push({ line, a: a.id, b: b.id });
    }
    const focus = box.dataset.focus;
    const ranked = [...nodes].sort((p, q) => (q.degree || 0) - (p.degree || 0));
    const text = (n) => (n.name.length > 36 ? n.name.slice(0, 34) + "…" : n.name);
    // Labels for the best-connected nodes, skipping any that would overlap one already
    // placed; the others appear on hover, on search or when zoomed in.
    const labelled = new Set();
    const placed = [];
    const mustLabel = new Set(focus ? neighbours.get(focus) || [] : []);
    for (const n of ranked) {
      if (labelled.size >= LABELLED && !mustLabel.has(n.id)) continue;
      const r = radius(n);
      const box = { x0: n.x + r + 2, y0: n.y - 7, x1: n.x + r + 4 + text(n).length * 6.1, y1: n.y + 7 };
      const clash = placed.some((b) => box.x0 < b.x1 && b.x0 < box.x1 && box.y0 < b.y1 && b.y0 < box.y1);
      if (clash && !mustLabel.has(n.id)) continue;
      labelled.add(n.id);
      placed.push(box);
    }
    const groups = new Map();
    const labels = new Map();
    const labelLayer = svgEl("g", { class: "labels" });
    // Small nodes first, so hubs are drawn on top; labels above every node.
    for (const n of [...ranked].reverse()) {
      const r = radius(n);
      const g = svgEl("g", { class: "node-g" + (n.id === focus ? " focus" : "") + (n.hop === 2 ? " hop-2" : ""), "data-id": n.id });
      const c = svgEl("circle", { class: `node ${kind(n)}`, cx: n.x, cy: n.y, r: n.id === focus ? r + 4 : r,
        tabindex: "0", role: "link", "data-id": n.id, "aria-label": n.name });
      const title = svgEl("title");
      title.textContent = `${n.name} (${n.schema || ""})`;
      c.append(title);
      const label = svgEl("text", { class: "node-label" + (labelled.has(n.id) ? "" : " hidden") + (n.id === focus ? " focus" : ""),
        x: n.x + r + 3, y: n.y + 4 });
      label.textContent = text(n);
      g.append(c);
      root.append(g);
      labelLayer.append(label);
      groups.set(n.id, g);
      labels.set(n.id, label);
    }
    root.append(labelLayer);
    const highlight = (id) => {
      if (!id) { svg.classList.remove("hovering"); return; }
      const near = neighbours.get(id) || new Set([id]);
      for (const [nid, g] of groups) g.classList.toggle("near", near.has(nid));
      for (const [nid, l] of labels) l.classList.toggle("near", near.has(nid));
      for (const { line, a, b } of edgeEls) line.classList.toggle("near", a === id || b === id);
      svg.classList.add("hovering");
    };
    svg.addEventListener("pointerover", (ev) => {
      if (drag) return;
      const id = ev.target.dataset && ev.target.dataset.id;
      highlight(id || null);
    });
    svg.addEventListener("focusin", (ev) => highlight(ev.target.dataset && ev.target.dataset.id));
    svg.addEventListener("focusout", () => highlight(null));
    // Pan by dragging, zoom with the wheel, click (without drag) opens the entity.
    let drag = null;
    svg.addEventListener("pointerdown", (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false, target: ev.target };
      svg.setPointerCapture(ev.pointerId);
      svg.classList.add("dragging");
    });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const scale = view.w / svg.clientWidth;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      view.x = drag.vx - dx * scale; view.y = drag.vy - dy * scale;
      setView();
    });
    svg.addEventListener("pointerup", () => {
      svg.classList.remove("dragging");
      if (drag && !drag.moved && drag.target.dataset && drag.target.dataset.id) {
        window.location.href = "/entity/" + encodeURIComponent(drag.target.dataset.id);
      }
      drag = null;
    });
    svg.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && ev.target.dataset && ev.target.dataset.id) {
        window.location.href = "/entity/" + encodeURIComponent(ev.target.dataset.id);
      }
    });
    const zoom = (f, cx, cy) => {
      const px = view.x + cx * view.w, py = view.y + cy * view.h;
      view.w *= f; view.h *= f;
      view.x = px - (px - view.x) * f; view.y = py - (py - view.y) * f;
      setView();
    };
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const rect = svg.getBoundingClientRect();
      zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, (ev.clientX - rect.left) / rect.width, (ev.clientY - rect.top) / rect.height);
    }, { passive: false });
    const button = (id, fn) => { const b = document.getElementById(id); if (b) b.addEventListener("click", fn); };
    button("zoom-in", () => zoom(1 / 1.4, 0.5, 0.5));
    button("zoom-out", () => zoom(1.4, 0.5, 0.5));
    button("zoom-fit", () => { Object.assign(view, home); setView(); });
    const all = document.getElementById("all-labels");
    if (all) all.addEventListener("change", () => svg.classList.toggle("all-labels", all.checked));
    const find = document.getElementById("network-find");
    if (find) {
      find.addEventListener("input", () => {
        const q = find.value.trim().toLowerCase();
        let first = null;
        for (const n of nodes) {
          const hit = q.length >= 2 && n.name.toLowerCase().includes(q);
          groups.get(n.id).classList.toggle("match", hit);
          labels.get(n.id).classList.toggle("match", hit);
          if (hit && !first) first = n;
        }
        if (first) { // centre the first match and light up its neighbours
          view.x = first.x - view.w / 2; view.y = first.y - view.h / 2;
          setView();
          highlight(first.id);
        } else {
          highlight(null);
        }
      });
    }
    box.dataset.ready = String(nodes.length);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const box = document.getElementById("network");
    if (!box) return;
    try {
      const res = await fetch(box.dataset.src, { headers: { Accept: "application/json" } });
      const data = await res.json();
      if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
      draw(box, data);
    } catch (err) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = String(err.message || err);
      box.prepend(p);
    }
  });
})();
