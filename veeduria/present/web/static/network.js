// Influence network: our own force layout drawn in SVG, with pan (drag), zoom (wheel) and
// click-to-open. Node labels are set with textContent only.
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";

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
    nodes.forEach((n, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, nodes.length);
      const r = Math.min(width, height) * 0.35;
      n.x = width / 2 + r * Math.cos(a);
      n.y = height / 2 + r * Math.sin(a);
      n.vx = 0; n.vy = 0;
    });
    const k = Math.sqrt((width * height) / Math.max(1, nodes.length)) * 0.6;
    const steps = nodes.length > 150 ? 180 : 300;
    for (let step = 0; step < steps; step++) {
      const temp = 1 - step / steps;
      for (let i = 0; i < nodes.length; i++) {
        const a = nodes[i];
        for (let j = i + 1; j < nodes.length; j++) {
          const b = nodes[j];
          let dx = a.x - b.x, dy = a.y - b.y;
          let d2 = dx * dx + dy * dy;
          if (d2 < 0.01) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; d2 = 0.5; }
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
        n.vx += (width / 2 - n.x) * 0.004; n.vy += (height / 2 - n.y) * 0.004;
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

  function draw(box, data) {
    const svg = document.getElementById("network-svg");
    const width = svg.clientWidth || 1000, height = svg.clientHeight || 640;
    const nodes = data.nodes || [];
    const links = layout(nodes, data.edges || [], width, height);
    svg.replaceChildren();
    const view = { x: 0, y: 0, w: width, h: height };
    const setView = () => svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    setView();
    const root = svgEl("g", { class: "graph" });
    svg.append(root);
    for (const { s, t, e } of links) {
      const line = svgEl("line", { class: "edge", x1: nodes[s].x, y1: nodes[s].y, x2: nodes[t].x, y2: nodes[t].y,
        "stroke-width": Math.min(4, 0.8 + Math.log1p(e.weight || 1)) });
      const title = svgEl("title");
      title.textContent = `${nodes[s].name} → ${nodes[t].name}: ${e.label || e.predicate || ""}`;
      line.append(title);
      root.append(line);
    }
    const focus = box.dataset.focus;
    for (const n of nodes) {
      const r = Math.min(16, 4 + Math.sqrt(n.degree || 1) * 1.6);
      const g = svgEl("g", { class: "node-g", "data-id": n.id });
      const c = svgEl("circle", { class: `node ${kind(n)}`, cx: n.x, cy: n.y, r: n.id === focus ? r + 4 : r,
        tabindex: "0", role: "link", "data-id": n.id });
      const title = svgEl("title");
      title.textContent = `${n.name} (${n.schema || ""})`;
      c.append(title);
      const label = svgEl("text", { class: "node-label", x: n.x + r + 2, y: n.y + 4 });
      label.textContent = n.name.length > 32 ? n.name.slice(0, 30) + "…" : n.name;
      g.append(c, label);
      root.append(g);
    }
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
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
      const rect = svg.getBoundingClientRect();
      const px = view.x + ((ev.clientX - rect.left) / rect.width) * view.w;
      const py = view.y + ((ev.clientY - rect.top) / rect.height) * view.h;
      view.w *= f; view.h *= f;
      view.x = px - (px - view.x) * f; view.y = py - (py - view.y) * f;
      setView();
    }, { passive: false });
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
