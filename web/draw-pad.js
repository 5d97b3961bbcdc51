// A canvas to draw a digit on with mouse, pen or finger, and its conversion
// to what the network was trained on: MNIST's 28x28, the digit scaled into
// a 20x20 box and its centre of mass at the centre (LeCun et al.'s recipe).

const SIDE = 28;
const BOX = 20;

export class DrawPad {
  /** `onChange()` runs while strokes are drawn and after a clear. */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.drawing = false;
    this.last = null;
    this.empty = true;
    this.clear(false);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const end of ['pointerup', 'pointercancel', 'pointerleave']) {
      canvas.addEventListener(end, () => this.up());
    }
  }

  clear(notify = true) {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.empty = true;
    if (notify) this.onChange();
  }

  /** Pointer position in canvas pixels (the CSS box may be scaled). */
  at(e) {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * this.canvas.width) / r.width, ((e.clientY - r.top) * this.canvas.height) / r.height];
  }

  down(e) {
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drawing = true;
    this.last = this.at(e);
    this.stroke(this.last, this.last);
  }

  move(e) {
    if (!this.drawing) return;
    e.preventDefault();
    const p = this.at(e);
    this.stroke(this.last, p);
    this.last = p;
  }

  up() {
    this.drawing = false;
  }

  stroke(from, to) {
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
    this.empty = false;
    this.onChange();
  }

  /** The drawing as 784 MNIST-style bytes (0 background, 255 ink), or null when blank. */
  pixels() {
    if (this.empty) return null;
    const { width: w, height: h } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, w, h).data;
    const ink = (x, y) => rgba[4 * (y * w + x)];
    let [x0, y0, x1, y1] = [w, h, -1, -1];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (ink(x, y) > 20) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return null;
    // Area-average the bounding box down into a 20x20 box (keeping the
    // aspect ratio): a plain drawImage would alias a 14x reduction.
    const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
    const scale = BOX / side;
    const sum = new Float32Array(SIDE * SIDE);
    const count = new Float32Array(SIDE * SIDE);
    const offX = (SIDE - (x1 - x0 + 1) * scale) / 2;
    const offY = (SIDE - (y1 - y0 + 1) * scale) / 2;
    for (let y = y0; y <= y1; y++) {
      const ty = Math.min(SIDE - 1, Math.floor(offY + (y - y0) * scale));
      for (let x = x0; x <= x1; x++) {
        const tx = Math.min(SIDE - 1, Math.floor(offX + (x - x0) * scale));
        sum[ty * SIDE + tx] += ink(x, y);
        count[ty * SIDE + tx] += 1;
      }
    }
    // A target pixel's value is its ink over a full pixel's worth of source.
    const full = 1 / (scale * scale);
    const boxed = sum.map((s, i) => (count[i] ? s / Math.max(full, count[i]) : 0));
    let [mass, mx, my] = [0, 0, 0];
    boxed.forEach((v, i) => {
      mass += v;
      mx += v * (i % SIDE);
      my += v * Math.floor(i / SIDE);
    });
    const dx = Math.round((SIDE - 1) / 2 - mx / mass);
    const dy = Math.round((SIDE - 1) / 2 - my / mass);
    const out = new Uint8Array(SIDE * SIDE);
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const sx = x - dx;
        const sy = y - dy;
        if (sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE) out[y * SIDE + x] = Math.min(255, Math.round(boxed[sy * SIDE + sx]));
      }
    }
    return out;
  }
}

/** Paints 784 grey bytes into a 28x28 canvas (white ink on black). */
export function paintDigit(canvas, bytes) {
  canvas.width = SIDE;
  canvas.height = SIDE;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = bytes ? bytes[i] : 0;
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}
