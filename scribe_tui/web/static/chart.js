// The Throughput chart: chunks per minute over the last minutes as bars, tokens per minute as
// a line on its own scale, and the configured request limit as a dashed line. Plain SVG.
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 320, H = 140, LEFT = 34, RIGHT = 6, TOP = 8, BOTTOM = 18;

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(value) {
    if (value <= 0) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  function compact(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
    if (n >= 1e3) return (n / 1e3).toFixed(1).replace(/\.0$/, "") + "k";
    return String(Math.round(n));
  }

  // chunks, tokens: one value per minute, oldest first (the current minute last); limit: per minute or null.
  function drawThroughput(svg, chunks, tokens, limit) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const n = Math.max(chunks.length, 1);
    const top = niceMax(Math.max(1, ...chunks, limit || 0) * 1.05);
    const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    const y = (v) => TOP + plotH - (v / top) * plotH;
    const slot = plotW / n;

    for (const tick of [0, top / 2, top]) {
      svg.appendChild(el("line", { x1: LEFT, x2: W - RIGHT, y1: y(tick), y2: y(tick), class: "axis" }));
      svg.appendChild(el("text", { x: LEFT - 4, y: y(tick) + 3, "text-anchor": "end" }, compact(tick)));
    }
    chunks.forEach((value, i) => {
      const height = Math.max(0, (value / top) * plotH);
      const bar = el("rect", { x: LEFT + i * slot + 1, y: TOP + plotH - height, width: Math.max(1, slot - 2),
                               height: height, class: "bar" });
      bar.appendChild(el("title", {}, `${n - 1 - i} min ago: ${value} chunks`));
      svg.appendChild(bar);
    });
    const maxTokens = Math.max(0, ...tokens);
    if (maxTokens > 0) {
      const points = tokens.map((value, i) =>
        `${LEFT + i * slot + slot / 2},${TOP + plotH - (value / niceMax(maxTokens)) * plotH}`);
      const line = el("polyline", { points: points.join(" "), class: "tokens" });
      line.appendChild(el("title", {}, `tokens per minute (own scale, peak ${compact(maxTokens)})`));
      svg.appendChild(line);
    }
    if (limit) {
      svg.appendChild(el("line", { x1: LEFT, x2: W - RIGHT, y1: y(limit), y2: y(limit), class: "limit" }));
      svg.appendChild(el("text", { x: W - RIGHT, y: y(limit) - 3, "text-anchor": "end" }, `limit ${compact(limit)}/min`));
    }
    svg.appendChild(el("text", { x: LEFT, y: H - 4 }, `${n - 1} min ago`));
    svg.appendChild(el("text", { x: W - RIGHT, y: H - 4, "text-anchor": "end" }, "now"));
  }

  window.scribeChart = { drawThroughput };
})();
