// A small line chart of [step, value] points on a <canvas>; no library, nothing fetched.

export function drawLine(canvas, points, { color = "#2f6fde", label = "loss" } = {}) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = { l: 48, r: 10, t: 10, b: 24 };
  ctx.clearRect(0, 0, w, h);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#6b7385";
  if (!points || points.length === 0) {
    ctx.fillText(`no ${label} yet`, w / 2 - 30, h / 2);
    return;
  }
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const px = (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const py = (y) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  ctx.strokeStyle = "#dde1ea";
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t); ctx.lineTo(pad.l, h - pad.b); ctx.lineTo(w - pad.r, h - pad.b);
  ctx.stroke();
  ctx.fillText(y1.toPrecision(3), 2, pad.t + 8);
  ctx.fillText(y0.toPrecision(3), 2, h - pad.b);
  ctx.fillText(`step ${x0}`, pad.l, h - 6);
  ctx.fillText(`${x1}`, w - pad.r - 30, h - 6);
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach((p, i) => (i ? ctx.lineTo(px(p[0]), py(p[1])) : ctx.moveTo(px(p[0]), py(p[1]))));
  ctx.stroke();
}
