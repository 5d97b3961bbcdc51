// The run's settings: defaults, presets, and their round trip through the
// URL query, so that a link reproduces a run (`?layers=64,64&autostart=1`).

export const OBJECTIVES = {
  ff: { name: 'ff \u00b7 Forward-Forward', about: 'Each layer judges an input by its own goodness alone.' },
  cff: { name: 'cff \u00b7 Collaborative FF', about: 'Each layer adds every other layer\u2019s (fixed) goodness to its own.' },
  'cff-lt': { name: 'cff-lt \u00b7 Collaborative, earlier layers', about: 'Each layer adds the goodness of the layers before it.' },
};

// The CLI's defaults on the paper's network; `theta: ''` means ffgpu's default.
export const DEFAULTS = {
  objective: 'cff',
  layers: '500,500,500',
  theta: '',
  lr: 0.001,
  batch: 200,
  epochs: 10,
  seed: 0,
  train: 60000,
  test: 1000,
};

// Small enough for a software GPU (SwiftShader, ~0.2 GFLOP/s) or a phone.
// Its learning rate was picked with the CLI on the same 2,000 images: with
// lr 0.003 and ffgpu's default theta (the width) all three objectives reach
// 30-45% error in 5 epochs.
export const PRESETS = {
  small: { layers: '64,64', train: 2000, test: 500, batch: 50, lr: 0.003, theta: '' },
  paper: { layers: '500,500,500', train: 60000, test: 1000, batch: 200, lr: 0.001, theta: '' },
};

const LIMITS = {
  lr: [1e-6, 1],
  batch: [1, 4096],
  epochs: [1, 1000],
  seed: [0, 2 ** 32 - 1],
  train: [1, 60000],
  test: [1, 10000],
};

const INTEGERS = new Set(['batch', 'epochs', 'seed', 'train', 'test']);

/** Checks one setting; returns [value, problem or null]. */
export function check(name, raw) {
  const text = String(raw ?? '').trim();
  if (name === 'objective') {
    return text in OBJECTIVES ? [text, null] : [DEFAULTS.objective, `objective "${text}" is not one of ${Object.keys(OBJECTIVES).join(', ')}`];
  }
  if (name === 'layers') {
    const widths = text.split(',').map((w) => w.trim());
    const ok = widths.length >= 1 && widths.length <= 16 && widths.every((w) => /^\d+$/.test(w) && +w >= 1 && +w <= 4096);
    return ok ? [widths.join(','), null] : [DEFAULTS.layers, `layers "${text}": give 1 to 16 widths of 1..4096, e.g. 500,500,500`];
  }
  if (name === 'theta') {
    if (text === '') return ['', null];
    return Number.isFinite(+text) ? [text, null] : ['', `theta "${text}" is not a number`];
  }
  const value = Number(text);
  const [lo, hi] = LIMITS[name];
  const whole = !INTEGERS.has(name) || Number.isInteger(value);
  if (text === '' || !Number.isFinite(value) || !whole || value < lo || value > hi) {
    return [DEFAULTS[name], `${name} "${text}": expected ${INTEGERS.has(name) ? 'a whole number' : 'a number'} from ${lo} to ${hi}`];
  }
  return [value, null];
}

/** Settings from a query string, with a list of what was not understood. */
export function fromQuery(search) {
  const query = new URLSearchParams(search);
  const settings = { ...DEFAULTS };
  const problems = [];
  for (const name of Object.keys(DEFAULTS)) {
    if (!query.has(name)) continue;
    const [value, problem] = check(name, query.get(name));
    settings[name] = value;
    if (problem) problems.push(problem);
  }
  const autostart = ['1', 'true', 'yes'].includes(query.get('autostart'));
  const chosen = Object.keys(DEFAULTS).some((name) => query.has(name));
  return { settings, autostart, problems, chosen };
}

/** The query string for `settings`: only what differs from the defaults. */
export function toQuery(settings, autostart) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(settings)) {
    if (String(value) !== String(DEFAULTS[name])) query.set(name, value);
  }
  if (autostart) query.set('autostart', '1');
  const text = query.toString().replaceAll('%2C', ',');
  return text ? `?${text}` : '';
}

/** The JSON the wasm facade's `open` takes. */
export function forTrainer(settings) {
  return JSON.stringify({
    objective: settings.objective,
    layers: settings.layers,
    theta: settings.theta === '' ? null : Number(settings.theta),
    lr: Number(settings.lr),
    batch: Number(settings.batch),
    epochs: Number(settings.epochs),
    seed: Number(settings.seed),
    train: Number(settings.train),
    test: Number(settings.test),
  });
}
