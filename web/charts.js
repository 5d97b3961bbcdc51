// Charts drawn by hand on a 2-D <canvas>: no library, nothing fetched.

// One colour per layer; the network as a whole is drawn in ink.
export const LAYER_COLORS = ['#4c6fff', '#f08c2e', '#18a874', '#b54df0', '#e5484d', '#12a3bd', '#c2a200', '#7a5c3e'];
export const INK = '#1b2130';

export const layerColor = (i) => LAYER_COLORS[i % LAYER_COLORS.length];

const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const GRID = '#e6e9f0';
const MUTED = '#7b8294';

/** Sizes the canvas's backing store to its CSS box on this screen; returns the 2-D context in CSS pixels. */
function fit(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  return ctx;
}

/** Round tick values (1, 2, 5 times a power of ten) covering [lo, hi]. */
function ticks(lo, hi, count) {
  const span = hi - lo || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** Lines over a shared x axis; redrawn whole on every update. */
export class LineChart {
  constructor(canvas, { yFormat = (v) => v.toPrecision(3), xLabel = 'epochs', yFloor = 0, yCeil = Infinity } = {}) {
    this.canvas = canvas;
    this.yFormat = yFormat;
    this.xLabel = xLabel;
    this.yFloor = yFloor;
    this.yCeil = yCeil;
    this.series = [];
    // the x axis spans at least this much (the run's planned epochs)
    this.xSpan = 1;
  }

  /** `series`: [{ color, width, dash, points: [[x, y], ...] }] */
  set(series) {
    this.series = series;
    this.draw();
  }

  draw() {
    const ctx = fit(this.canvas);
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const points = this.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
    ctx.font = FONT;
    if (points.length === 0) {
      ctx.fillStyle = MUTED;
      ctx.textAlign = 'center';
      ctx.fillText('appears when training starts', w / 2, h / 2);
      return;
    }
    const xMax = Math.max(...points.map(([x]) => x), this.xSpan);
    let yMin = Math.max(this.yFloor, Math.min(...points.map(([, y]) => y)));
    let yMax = Math.min(this.yCeil, Math.max(...points.map(([, y]) => y)));
    if (this.yFloor === 0) yMin = 0;
    if (yMax - yMin < 1e-9) yMax = yMin + (Math.abs(yMin) || 1);
    yMax += (yMax - yMin) * 0.06;
    const yTicks = ticks(yMin, yMax, 4);
    const labelWidth = Math.max(...yTicks.map((v) => ctx.measureText(this.yFormat(v)).width));
    const left = labelWidth + 12;
    const right = 10;
    const top = 8;
    const bottom = 22;
    const X = (x) => left + (x / xMax) * (w - left - right);
    const Y = (y) => top + (1 - (y - yMin) / (yMax - yMin)) * (h - top - bottom);

    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (const v of yTicks) {
      if (v > yMax) continue;
      ctx.strokeStyle = GRID;
      ctx.beginPath();
      ctx.moveTo(left, Math.round(Y(v)) + 0.5);
      ctx.lineTo(w - right, Math.round(Y(v)) + 0.5);
      ctx.stroke();
      ctx.fillStyle = MUTED;
      ctx.fillText(this.yFormat(v), left - 6, Y(v));
    }
    ctx.textBaseline = 'top';
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.fillText(this.xLabel, w - right, h - bottom + 6);
    const labelLeft = w - right - ctx.measureText(this.xLabel).width - 8;
    ctx.textAlign = 'center';
    for (const v of ticks(0, xMax, Math.max(2, Math.floor((w - left) / 70)))) {
      const tick = String(+v.toPrecision(3));
      if (v > xMax || X(v) + ctx.measureText(tick).width / 2 > labelLeft) continue;
      ctx.fillText(tick, X(v), h - bottom + 6);
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(left - 4, top - 4, w - left - right + 8, h - top - bottom + 8);
    ctx.clip();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const s of this.series) {
      const pts = s.points.filter(([, y]) => Number.isFinite(y));
      if (pts.length === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = s.width ?? 1.5;
      ctx.setLineDash(s.dash ?? []);
      ctx.beginPath();
      pts.forEach(([x, y], k) => (k ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
      ctx.stroke();
      ctx.setLineDash([]);
      if (pts.length === 1 || s.dots) {
        for (const [x, y] of pts) {
          ctx.beginPath();
          ctx.arc(X(x), Y(y), (s.width ?? 1.5) + 0.8, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    }
    ctx.restore();
  }
}

/**
 * Goodness of every label (x axis) stacked by layer, so the tallest bar is
 * the prediction (the label with the highest goodness summed over layers).
 * `goodness[label][layer]`; `prediction` is outlined.
 */
export function drawGoodnessBars(canvas, goodness, prediction) {
  const ctx = fit(canvas);
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  ctx.font = FONT;
  if (!goodness) {
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText('draw a digit to see each label\u2019s goodness', w / 2, h / 2);
    return;
  }
  const totals = goodness.map((g) => g.reduce((a, b) => a + Math.max(0, b), 0));
  const top = Math.max(...totals, 1e-9) * 1.08;
  const bottom = 20;
  const slot = w / goodness.length;
  const barWidth = Math.min(34, slot * 0.64);
  const Y = (v) => 6 + (1 - v / top) * (h - bottom - 6);
  goodness.forEach((layers, label) => {
    const x = slot * label + (slot - barWidth) / 2;
    let base = 0;
    layers.forEach((g, i) => {
      const v = Math.max(0, g);
      ctx.fillStyle = layerColor(i);
      ctx.globalAlpha = label === prediction ? 1 : 0.55;
      ctx.fillRect(x, Y(base + v), barWidth, Y(base) - Y(base + v));
      base += v;
    });
    ctx.globalAlpha = 1;
    if (label === prediction) {
      ctx.strokeStyle = INK;
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 1, Y(base) - 1, barWidth + 2, Y(0) - Y(base) + 2);
    }
    ctx.fillStyle = label === prediction ? INK : MUTED;
    ctx.font = label === prediction ? `bold ${FONT}` : FONT;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(String(label), x + barWidth / 2, h - bottom + 5);
  });
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, Math.round(Y(0)) + 0.5);
  ctx.lineTo(w, Math.round(Y(0)) + 0.5);
  ctx.stroke();
}
