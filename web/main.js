// The demo page: settings, the training loop, live charts, the drawing pad
// and the test grid, around the wasm facade (src/web.rs). The page only
// schedules and draws; every number comes from ffgpu's Rust core on the GPU.

import init, { WebTrainer, defaultTheta, version } from './pkg/ffgpu.js';
import { DEFAULTS, OBJECTIVES, PRESETS, check, forTrainer, fromQuery, toQuery } from './settings.js';
import { INK, LineChart, drawGoodnessBars, layerColor } from './charts.js';
import { DrawPad, paintDigit } from './draw-pad.js';
import { GpuQueue } from './gpu-queue.js';
import { TestGrid } from './test-grid.js';

const $ = (id) => document.getElementById(id);

const MNIST_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const GRID_DIGITS = 40;
// GPU work between two readbacks: long enough that waiting for the readback
// costs little, short enough that a probe of the drawing waits little.
const CHUNK_TARGET_MS = 150;
// JS time spent recording steps in one animation frame, so drawing stays smooth.
const FRAME_BUDGET_MS = 10;
const MAX_CHUNK_STEPS = 2000;
// Points kept per chart line before older ones are merged pairwise.
const MAX_POINTS = 1200;

const query = fromQuery(location.search);
const app = {
  settings: query.settings,
  autostart: query.autostart,
  trainer: null,
  gpu: new GpuQueue(),
  info: null,
  progress: null,
  openedWith: null,
  running: false,
  loop: null,
  chunk: 1,
  rate: null,
  evalMs: 0,
  lastEvalAt: 0,
  evaluations: 0,
  history: null,
  probing: false,
  probeDirty: false,
  jsAdapter: null,
};

const charts = {
  error: new LineChart($('error-chart'), { yFormat: (v) => `${+(v * 100).toFixed(1)}%`, yCeil: 1 }),
  loss: new LineChart($('loss-chart'), { yFormat: (v) => +v.toPrecision(3) }),
  goodness: new LineChart($('goodness-chart'), { yFormat: (v) => +v.toPrecision(3) }),
};
const grid = new TestGrid($('test-grid'), $('grid-summary'));
const pad = new DrawPad($('draw-canvas'), () => requestProbe());

// ---------- messages and status ----------

function notice(kind, html, actions = []) {
  const box = document.createElement('div');
  box.className = `notice ${kind}`;
  const message = document.createElement('span');
  message.className = 'message';
  message.innerHTML = html;
  box.append(message);
  for (const [label, act] of actions) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', () => {
      box.remove();
      act();
    });
    box.append(b);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'close';
  close.setAttribute('aria-label', 'dismiss');
  close.textContent = '\u00d7';
  close.addEventListener('click', () => box.remove());
  box.append(close);
  $('notices').append(box);
  return box;
}

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function setStatus(state, text) {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = text;
}

function fail(error, what) {
  const message = error?.message ?? String(error);
  console.error(what, error);
  setStatus('error', 'Error');
  notice('error', `<b>${escape(what)}:</b> ${escape(message)}`);
  app.running = false;
  updateButtons();
}

function updateButtons() {
  const open = Boolean(app.info);
  $('start').disabled = !open || app.running;
  $('pause').disabled = !app.running;
  $('reset').disabled = !app.trainer;
  $('save').disabled = !open;
  $('load-label').classList.toggle('disabled', !app.trainer);
  $('load').disabled = !app.trainer;
  const changed = open && JSON.stringify(app.settings) !== app.openedWith;
  $('settings-hint').classList.toggle('attention', changed);
  $('reset').classList.toggle('attention', changed);
}

// ---------- settings form ----------

function fillForm() {
  const select = $('objective');
  if (!select.options.length) {
    for (const [value, { name }] of Object.entries(OBJECTIVES)) select.add(new Option(name, value));
  }
  for (const name of Object.keys(DEFAULTS)) {
    $(name).value = app.settings[name];
    $(name).classList.remove('invalid');
  }
  updateThetaHint();
}

function updateThetaHint() {
  $('objective-hint').textContent = OBJECTIVES[app.settings.objective].about;
  try {
    $('theta').placeholder = `default ${+defaultTheta(app.settings.objective, app.settings.layers).toPrecision(4)}`;
  } catch {
    $('theta').placeholder = 'default';
  }
}

function writeUrl() {
  history.replaceState(null, '', `${location.pathname}${toQuery(app.settings, app.autostart)}`);
}

function onFieldChange(event) {
  const name = event.target.name;
  if (!(name in DEFAULTS)) return;
  const [value, problem] = check(name, event.target.value);
  event.target.classList.toggle('invalid', Boolean(problem));
  event.target.title = problem ?? '';
  if (problem) return;
  app.settings[name] = value;
  writeUrl();
  if (name === 'objective' || name === 'layers') updateThetaHint();
  updateButtons();
}

function applyPreset(name) {
  Object.assign(app.settings, PRESETS[name]);
  fillForm();
  writeUrl();
  updateButtons();
}

// ---------- opening a run ----------

function freshHistory(layers) {
  const lines = () => Array.from({ length: layers }, () => []);
  return { error: [], layerError: lines(), loss: lines(), positive: lines(), negative: lines() };
}

/** Opens a run with `open()` (a facade call resolving to its description). */
async function openRun(open, label) {
  await pause();
  app.info = null;
  updateButtons();
  setStatus('loading', label);
  const info = await app.gpu.run(open);
  app.info = info;
  app.history = freshHistory(info.layers.length);
  app.rate = null;
  app.chunk = 1;
  app.evaluations = 0;
  app.progress = app.trainer.progress();
  for (const chart of Object.values(charts)) chart.xSpan = info.passes;
  showAdapter(info);
  showProgress();
  $('rate').textContent = '\u2013';
  $('test-error').textContent = '\u2013';
  $('test-error').classList.add('empty');
  drawCharts();
  const shown = Math.min(GRID_DIGITS, info.test);
  grid.show(app.trainer.testImages(shown), shown);
  setStatus('loading', 'Evaluating');
  await evaluate();
  requestProbe();
  setStatus(app.progress.done ? 'done' : 'ready', app.progress.done ? 'Finished' : 'Ready');
  updateButtons();
}

function openFresh() {
  app.openedWith = JSON.stringify(app.settings);
  return openRun(() => app.trainer.open(forTrainer(app.settings)), 'Compiling shaders');
}

async function loadCheckpoint(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  await openRun(() => app.trainer.openCheckpoint(file.name, bytes, forTrainer(app.settings)), `Loading ${file.name}`);
  // The page now shows the loaded model's settings (so Reset retrains the same network).
  const i = app.info;
  Object.assign(app.settings, { objective: i.objective, layers: i.layers.join(','), theta: String(+i.theta.toPrecision(6)), lr: i.lr, batch: i.batch, seed: i.seed });
  fillForm();
  writeUrl();
  app.openedWith = JSON.stringify(app.settings);
  updateButtons();
  notice('info', `Loaded <b>${escape(file.name)}</b>: ${i.layers.join(',')} (${escape(i.objective)}), ${i.passes_done} epochs done. Start trains on from there.`);
}

function showAdapter(info) {
  const js = app.jsAdapter?.info;
  const name = info.adapter || [js?.vendor, js?.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const software = info.software || js?.isFallbackAdapter === true;
  $('adapter').innerHTML = `<span class="dot ${software ? 'soft' : 'hard'}"></span><span><b>${escape(name)}</b> via WebGPU${software ? ' &middot; software' : ''}</span>`;
  $('adapter').title = `${info.adapter_backend}, ${info.device_type}; ${info.parameters.toLocaleString('en-US')} parameters`;
  if (software && !app.warnedSoftware) {
    app.warnedSoftware = true;
    const small = Object.entries(PRESETS.small).every(([k, v]) => String(app.settings[k]) === String(v));
    const suggestion = small
      ? 'This is the small preset (64,64 on 2,000 images): it learns visibly within a few minutes.'
      : 'The small preset (64,64 on 2,000 images) still learns visibly within a few minutes.';
    const useSmall = () => {
      applyPreset('small');
      resetRun();
    };
    notice(
      'warn',
      `<b>Your browser runs WebGPU in software</b> (no GPU, or it is blocked), about a thousand times slower than a real GPU. ${suggestion} ` +
        'For full speed enable hardware acceleration in the browser settings and check <code>chrome://gpu</code>.',
      small ? [] : [['Use the small preset', useSmall]],
    );
  }
}

// ---------- training ----------

const nextFrame = () => new Promise((resolve) => (document.hidden ? setTimeout(resolve, 0) : requestAnimationFrame(() => resolve())));

function start() {
  if (app.running || !app.info) return;
  if (JSON.stringify(app.settings) !== app.openedWith && app.progress.step === 0) {
    // Nothing trained yet: take the new settings first.
    openFresh().then(() => start(), (e) => fail(e, 'Cannot open the network'));
    return;
  }
  if (app.progress.done) {
    setStatus('done', 'Finished');
    notice('info', 'This run has done all its epochs. Raise <b>Epochs</b> and press <b>Reset</b> to train again, or save the model.');
    return;
  }
  app.running = true;
  updateButtons();
  app.loop = trainLoop().catch((e) => fail(e, 'Training stopped'));
}

async function pause() {
  app.running = false;
  if (app.loop) await app.loop;
  app.loop = null;
  if (app.info && !app.progress?.done && $('status').dataset.state === 'training') setStatus('paused', 'Paused');
  updateButtons();
}

async function resetRun() {
  try {
    await openFresh();
  } catch (e) {
    fail(e, 'Cannot open the network');
  }
}

/** Steps `chunk` steps over a few frames, then reads the statistics (which waits for the GPU). */
async function trainLoop() {
  setStatus('training', 'Training');
  while (app.running && !app.progress.done) {
    const t0 = performance.now();
    const before = app.progress;
    let steps = 0;
    while (app.running && steps < app.chunk && !app.progress.done) {
      // The readback that ended the last chunk already yielded: start at once
      // so the GPU does not idle for a frame, then go one batch per frame.
      if (steps > 0) await nextFrame();
      const frameStart = performance.now();
      await app.gpu.run(() => {
        do {
          app.progress = app.trainer.train(1);
          steps += 1;
        } while (steps < app.chunk && !app.progress.done && performance.now() - frameStart < FRAME_BUDGET_MS);
      });
      showProgress();
    }
    if (steps === 0) break;
    const stats = await app.gpu.run(() => app.trainer.readStats());
    const ms = performance.now() - t0;
    const samples = (app.progress.progress_passes - before.progress_passes) * app.info.train;
    const rate = (1000 * samples) / ms;
    app.rate = app.rate === null ? rate : 0.7 * app.rate + 0.3 * rate;
    $('rate').textContent = Math.round(app.rate).toLocaleString('en-US');
    app.chunk = Math.max(1, Math.min(MAX_CHUNK_STEPS, Math.round(app.chunk * Math.min(2, Math.max(0.5, CHUNK_TARGET_MS / ms)))));
    recordStats(stats);
    const passEnded = app.progress.pass !== before.pass || app.progress.done;
    const evalDue = performance.now() - app.lastEvalAt > Math.max(1500, 4 * app.evalMs);
    if (passEnded || evalDue) await evaluate();
  }
  if (app.progress.done) {
    app.running = false;
    setStatus('done', 'Finished');
  }
  updateButtons();
}

function showProgress() {
  const p = app.progress;
  $('epoch').textContent = `${p.pass}/${p.passes}${app.info.procedure === 'layer' && p.training_layers.length ? ` \u00b7 layer ${p.training_layers[0]}` : ''}`;
  $('step').textContent = String(p.step);
  $('steps-total').textContent = ` / ${p.steps_total.toLocaleString('en-US')}`;
}

// ---------- statistics, evaluation and charts ----------

/** Appends a point, merging neighbours pairwise when a line gets long. */
function push(line, point) {
  line.push(point);
  if (line.length > MAX_POINTS) {
    const merged = [];
    for (let k = 0; k + 1 < line.length; k += 2) merged.push([line[k + 1][0], (line[k][1] + line[k + 1][1]) / 2]);
    if (line.length % 2) merged.push(line[line.length - 1]);
    line.splice(0, line.length, ...merged);
  }
}

function recordStats(stats) {
  const x = app.progress.progress_passes;
  const h = app.history;
  stats.loss.forEach((v, i) => v !== null && push(h.loss[i], [x, v]));
  stats.goodness_positive.forEach((v, i) => v !== null && push(h.positive[i], [x, v]));
  stats.goodness_negative.forEach((v, i) => v !== null && push(h.negative[i], [x, v]));
  drawCharts();
}

async function evaluate() {
  const t0 = performance.now();
  const report = await app.gpu.run(() => app.trainer.evaluate(app.info.test));
  app.evalMs = performance.now() - t0;
  app.lastEvalAt = performance.now();
  app.evaluations += 1;
  const x = app.progress.progress_passes;
  push(app.history.error, [x, report.error]);
  report.per_layer_error.forEach((e, i) => push(app.history.layerError[i], [x, e]));
  const el = $('test-error');
  el.textContent = `${(report.error * 100).toFixed(1)}%`;
  el.classList.remove('empty');
  el.dataset.evaluations = String(app.evaluations);
  el.title = `on the first ${report.samples} test images; each layer alone: ${report.per_layer_error.map((e) => `${(e * 100).toFixed(1)}%`).join(', ')}`;
  drawCharts();
  grid.mark(await app.gpu.run(() => app.trainer.predictTest(grid.cells.length)));
  requestProbe();
}

function legend(id, items) {
  $(id).innerHTML = items
    .map(({ color, label, value, dash }) => `<span><i class="${dash ? 'dash' : ''}" style="--c:${color}"></i>${escape(label)}${value === undefined ? '' : ` <b>${escape(value)}</b>`}</span>`)
    .join('');
}

const last = (line) => (line.length ? line[line.length - 1][1] : undefined);
const fmt = (v, digits = 3) => (v === undefined || v === null ? '\u2013' : +v.toPrecision(digits));
const pct = (v) => (v === undefined ? '\u2013' : `${(v * 100).toFixed(1)}%`);

function drawCharts() {
  const h = app.history;
  if (!h) return;
  const layers = h.loss.map((_, i) => i);
  charts.error.set([
    ...layers.map((i) => ({ color: layerColor(i), width: 1.4, points: h.layerError[i], dots: h.error.length < 30 })),
    { color: INK, width: 2.6, points: h.error, dots: h.error.length < 30 },
  ]);
  legend('error-legend', [
    { color: INK, label: 'all layers', value: pct(last(h.error)) },
    ...layers.map((i) => ({ color: layerColor(i), label: `layer ${i + 1}`, value: pct(last(h.layerError[i])) })),
  ]);
  charts.loss.set(layers.map((i) => ({ color: layerColor(i), width: 1.6, points: h.loss[i] })));
  legend('loss-legend', layers.map((i) => ({ color: layerColor(i), label: `layer ${i + 1}`, value: fmt(last(h.loss[i])) })));
  charts.goodness.set(
    layers.flatMap((i) => [
      { color: layerColor(i), width: 1.6, points: h.positive[i] },
      { color: layerColor(i), width: 1.6, dash: [5, 4], points: h.negative[i] },
    ]),
  );
  legend(
    'goodness-legend',
    layers.map((i) => ({ color: layerColor(i), label: `layer ${i + 1}`, value: `${fmt(last(h.positive[i]))} vs ${fmt(last(h.negative[i]))}` })),
  );
}

// ---------- drawing ----------

function requestProbe() {
  app.probeDirty = true;
  if (!app.probing) probeLoop();
}

/** Probes the drawing until it stops changing: one probe in flight at a time. */
async function probeLoop() {
  app.probing = true;
  while (app.probeDirty) {
    app.probeDirty = false;
    const pixels = pad.pixels();
    paintDigit($('draw-preview'), pixels);
    if (!pixels || !app.info) {
      showProbe(null);
      continue;
    }
    try {
      showProbe(await app.gpu.run(() => app.trainer.probe(pixels)));
    } catch (e) {
      if (app.info) fail(e, 'Cannot classify the drawing');
    }
  }
  app.probing = false;
}

function showProbe(result) {
  drawGoodnessBars($('goodness-bars'), result?.goodness, result?.prediction);
  $('prediction').textContent = result ? String(result.prediction) : '\u2013';
  $('prediction').classList.toggle('empty', !result);
  $('per-layer-prediction').innerHTML = result
    ? `Each layer alone: ${result.per_layer_prediction.map((p, i) => `<span style="color:${layerColor(i)}">layer ${i + 1} says <b>${p}</b></span>`).join(' ')}`
    : 'Draw a digit 0\u20139 in the black square.';
  const n = result ? result.goodness[0].length : app.info?.layers.length ?? 0;
  legend('bars-legend', Array.from({ length: n }, (_, i) => ({ color: layerColor(i), label: `layer ${i + 1}` })));
}

// ---------- start-up ----------

async function findWebGpu() {
  if (!window.isSecureContext) {
    notice('error', '<b>WebGPU needs a secure page.</b> Open the demo over <code>https://</code> or from <code>http://127.0.0.1</code> / <code>http://localhost</code> (e.g. <code>python3 web/serve.py</code>), not from a file or a LAN address.');
    return false;
  }
  if (!navigator.gpu) {
    notice(
      'error',
      '<b>This browser has no WebGPU</b> (<code>navigator.gpu</code> is missing). What to do: use a current Chrome or Edge (version 113 or later) on Windows, macOS or ChromeOS, Chrome 121+ on Android, or Safari 26; ' +
        'in Firefox it is on by default on Windows (141+). On Linux, Chrome needs <code>chrome://flags/#enable-unsafe-webgpu</code> enabled.',
    );
    return false;
  }
  app.jsAdapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!app.jsAdapter) {
    notice(
      'error',
      '<b>WebGPU is there but offers no adapter.</b> The GPU may be blocklisted or hardware acceleration switched off: turn on &ldquo;Use graphics acceleration when available&rdquo; in the browser settings, update the GPU driver, and see <code>chrome://gpu</code> for the reason.',
    );
    return false;
  }
  return true;
}

async function fetchMnist() {
  const sizes = [];
  const files = await Promise.all(
    MNIST_FILES.map(async (name) => {
      const url = new URL(`../data/mnist/${name}`, import.meta.url);
      const response = await fetch(url);
      if (!response.ok) throw new Error(`cannot fetch ${url.pathname}: HTTP ${response.status}. Serve the repository's top folder (python3 web/serve.py).`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      sizes.push(bytes.length);
      return bytes;
    }),
  );
  return files;
}

function wire() {
  $('settings').addEventListener('input', onFieldChange);
  $('settings').addEventListener('change', onFieldChange);
  $('settings').addEventListener('submit', (e) => e.preventDefault());
  for (const b of document.querySelectorAll('[data-preset]')) b.addEventListener('click', () => applyPreset(b.dataset.preset));
  $('start').addEventListener('click', start);
  $('pause').addEventListener('click', () => pause());
  $('reset').addEventListener('click', resetRun);
  $('clear-canvas').addEventListener('click', () => pad.clear());
  $('save').addEventListener('click', async () => {
    try {
      const bytes = await app.gpu.run(() => app.trainer.saveCheckpoint());
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      a.download = `ffgpu-mnist-${app.info.objective}-${app.info.layers.join('x')}-epoch${app.progress.pass - (app.progress.done ? 0 : 1)}.safetensors`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (e) {
      fail(e, 'Cannot save the model');
    }
  });
  $('load').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    try {
      await loadCheckpoint(file);
    } catch (err) {
      fail(err, `Cannot load ${file.name}`);
    }
  });
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      drawCharts();
      requestProbe();
    }, 100);
  });
}

async function main() {
  wire();
  updateButtons();
  showProbe(null);
  for (const chart of Object.values(charts)) chart.set([]);
  for (const problem of query.problems) notice('warn', `URL: ${escape(problem)}; using the default.`);
  try {
    await init();
  } catch (e) {
    setStatus('error', 'Not built');
    notice('error', `<b>The WebAssembly module did not load</b> (${escape(e.message ?? e)}). Build it with <code>web/build.sh</code>, then serve with <code>python3 web/serve.py</code>.`);
    return;
  }
  fillForm();
  $('version').textContent = `ffgpu ${version()}`;
  setStatus('loading', 'Looking for a GPU');
  if (!(await findWebGpu())) {
    setStatus('error', 'No WebGPU');
    $('adapter').textContent = 'No WebGPU adapter';
    return;
  }
  if (app.jsAdapter.info?.isFallbackAdapter && !query.chosen) {
    // The paper's network would take minutes per evaluation on a software
    // GPU: a first visit there starts small (a link's own settings are kept).
    applyPreset('small');
  }
  try {
    setStatus('loading', 'Loading MNIST');
    const files = await fetchMnist();
    setStatus('loading', 'Unpacking MNIST');
    await nextFrame();
    app.trainer = new WebTrainer(...files);
    await openFresh();
  } catch (e) {
    fail(e, 'Cannot start');
    return;
  }
  if (app.autostart) start();
}

main();
