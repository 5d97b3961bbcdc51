// A grid of test digits, each marked with the network's prediction: green
// when right, red (with the true label) when wrong.

import { paintDigit } from './draw-pad.js';

export class TestGrid {
  constructor(container, summary) {
    this.container = container;
    this.summary = summary;
    this.cells = [];
  }

  /** Shows `count` images from `bytes` (784 per image) with no prediction yet. */
  show(bytes, count) {
    this.container.replaceChildren();
    this.cells = [];
    for (let i = 0; i < count; i++) {
      const cell = document.createElement('figure');
      cell.className = 'digit';
      const canvas = document.createElement('canvas');
      paintDigit(canvas, bytes.subarray(784 * i, 784 * (i + 1)));
      const mark = document.createElement('figcaption');
      mark.textContent = '\u00a0';
      cell.append(canvas, mark);
      this.container.append(cell);
      this.cells.push({ cell, mark });
    }
    this.summary.textContent = '';
  }

  /** Marks every cell with `predictions[i]` against `labels[i]`. */
  mark({ predictions, labels }) {
    let right = 0;
    predictions.forEach((p, i) => {
      const c = this.cells[i];
      if (!c) return;
      const ok = p === labels[i];
      right += ok;
      c.cell.classList.toggle('right', ok);
      c.cell.classList.toggle('wrong', !ok);
      c.mark.textContent = ok ? `${p}` : `${p} \u2260 ${labels[i]}`;
      c.cell.title = ok ? `predicted ${p}, correct` : `predicted ${p}, true label ${labels[i]}`;
    });
    this.summary.textContent = `${right} of ${predictions.length} right`;
  }
}
