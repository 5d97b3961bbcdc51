// The demo end to end in headless Chromium: a tiny run trains (the step
// counter moves, the test error is a number after an evaluation that
// followed training), a stroke on the drawing pad gets a predicted digit,
// the controls answer, and a page without WebGPU says what to do.
// Screenshots go to web/e2e/out/. Exits non-zero on the first failure.
//
//   node web/e2e/test.mjs            (after web/build.sh)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, browser, serve, text, watch } from './browser.mjs';

// SwiftShader WebGPU does ~0.2 GFLOP/s: a tiny network on a few hundred images.
const TINY = '?layers=32&train=400&test=200&batch=50&epochs=2&autostart=1';
const OUT = join(ROOT, 'web', 'e2e', 'out');
const MINUTE = 60_000;

let failures = 0;
let passes = 0;
let skips = 0;
const SKIPPED = Symbol('skipped');
async function check(name, body) {
  const t0 = Date.now();
  try {
    if ((await body()) === SKIPPED) {
      skips += 1;
      console.log(`skip ${name}`);
      return;
    }
    passes += 1;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures += 1;
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
  }
}

const pct = (v) => `${(v * 100).toFixed(1)}%`;

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

mkdirSync(OUT, { recursive: true });
const server = await serve();
const { context, close } = await browser();
try {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${server.url}${TINY}`);

  await check('the page finds a WebGPU adapter and names it', async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid=adapter] b'), null, { timeout: MINUTE });
    console.log(`     adapter: ${await text(page, 'adapter')}`);
  });

  await check('autostart trains: the step counter advances', async () => {
    await page.waitForFunction(() => +document.querySelector('[data-testid=step]').textContent >= 2, null, { timeout: 3 * MINUTE });
    console.log(`     status ${await text(page, 'status')}, step ${await text(page, 'step')}`);
  });

  await check('the test error is a number, measured after training', async () => {
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid=test-error]');
        return +(el.dataset.evaluations ?? 0) >= 2 && /^\d+(\.\d+)?%$/.test(el.textContent);
      },
      null,
      { timeout: 5 * MINUTE },
    );
    console.log(`     test error ${await text(page, 'test-error')}, samples/s ${await page.locator('#rate').innerText()}`);
  });

  await check('a stroke on the drawing pad is classified', async () => {
    const pad = page.locator('[data-testid=draw-canvas]');
    await pad.scrollIntoViewIfNeeded();
    const box = await pad.boundingBox();
    const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
    // a "7": a bar, then a diagonal down to the left
    await page.mouse.move(...at(0.28, 0.25));
    await page.mouse.down();
    for (const [fx, fy] of [[0.5, 0.25], [0.72, 0.25], [0.62, 0.5], [0.52, 0.78]]) await page.mouse.move(...at(fx, fy), { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(() => /^\d$/.test(document.querySelector('[data-testid=prediction]').textContent), null, { timeout: 2 * MINUTE });
    console.log(`     prediction ${await text(page, 'prediction')}`);
  });

  await check('the run finishes and the screenshot is saved', async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').dataset.state === 'done', null, { timeout: 5 * MINUTE });
    const grid = await page.locator('#grid-summary').innerText();
    expect(/^\d+ of \d+ right$/.test(grid), `the test grid is not marked: "${grid}"`);
    console.log(`     test grid: ${grid}`);
    await page.screenshot({ path: join(OUT, 'demo.png'), fullPage: true });
    console.log(`     ${join('web', 'e2e', 'out', 'demo.png')}`);
  });

  let savedError = null;

  /** Loads a checkpoint through the page's file input; resolves to the test error it shows. */
  async function load(file, name) {
    await page.locator('#load').setInputFiles(file);
    await page.waitForFunction((n) => [...document.querySelectorAll('.notice.info')].some((e) => e.textContent.includes(`Loaded ${n}`)), name, { timeout: 2 * MINUTE });
    return text(page, 'test-error');
  }

  await check('a model saved by the page loads back with the same test error', async () => {
    const before = await text(page, 'test-error');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#save').click()]);
    const file = join(OUT, 'saved.safetensors');
    await download.saveAs(file);
    const after = await load(file, 'saved.safetensors');
    expect(after === before, `test error ${before} before saving, ${after} after loading`);
    savedError = parseFloat(after) / 100;
    console.log(`     ${download.suggestedFilename()}: ${after} before and after`);
  });

  await check('the CLI reads the page\'s model, the page reads the CLI\'s: same test errors', async () => {
    const cli = join(ROOT, 'target', 'release', 'ffgpu');
    if (!existsSync(cli)) {
      console.log('     no target/release/ffgpu (cargo build --release makes it)');
      return SKIPPED;
    }
    const file = join(OUT, 'cli.safetensors');
    const tiny = ['--layers', '32', '--train-limit', '400', '--test-limit', '200', '--batch', '50', '--epochs', '2', '--backend', 'cpu'];
    execFileSync(cli, ['train', ...tiny, '--train-eval', '0', '--save', file], { stdio: 'ignore' });
    const evaluate = (model) => {
      const out = execFileSync(cli, ['eval', '--model', model, '--test-limit', '200', '--backend', 'cpu', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
      return JSON.parse(out.toString().split('\n').find((l) => l.startsWith('{'))).test_error;
    };
    // GPU and CPU sums differ in rounding: allow one of the 200 images to flip.
    const close = (a, b) => Math.abs(a - b) <= 0.0051;
    const cliOnSaved = evaluate(join(OUT, 'saved.safetensors'));
    expect(savedError !== null && close(cliOnSaved, savedError), `the page's model: ${savedError} on the page, ${cliOnSaved} by ffgpu eval`);
    const cliError = evaluate(file);
    const pageError = parseFloat(await load(file, 'cli.safetensors')) / 100;
    expect(close(pageError, cliError), `the CLI's model: ${cliError} by ffgpu eval, ${pageError} on the page`);
    console.log(`     page's model: ${pct(savedError)} on the page, ${pct(cliOnSaved)} by ffgpu eval; CLI's model: ${pct(cliError)} by ffgpu eval, ${pct(pageError)} on the page`);
  });

  await check('clear empties the drawing and its prediction', async () => {
    await page.locator('[data-testid=clear-canvas]').click();
    await page.waitForFunction(() => !/^\d$/.test(document.querySelector('[data-testid=prediction]').textContent), null, { timeout: MINUTE });
  });

  await check('a finger stroke draws too (touch events, no scrolling)', async () => {
    const box = await page.locator('[data-testid=draw-canvas]').boundingBox();
    const at = (fx, fy) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
    const scrolled = await page.evaluate(() => scrollY);
    const touch = await context.newCDPSession(page);
    await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(0.5, 0.2)] });
    for (let k = 1; k <= 10; k++) await touch.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(0.5, 0.2 + 0.06 * k)] });
    await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await page.waitForFunction(() => /^\d$/.test(document.querySelector('[data-testid=prediction]').textContent), null, { timeout: MINUTE });
    expect((await page.evaluate(() => scrollY)) === scrolled, 'the page scrolled under the finger');
    await page.locator('[data-testid=clear-canvas]').click();
  });

  await check('reset opens a fresh network, start trains it and pause stops it', async () => {
    await page.locator('[data-testid=reset]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').dataset.state === 'ready', null, { timeout: 2 * MINUTE });
    expect((await text(page, 'step')) === '0', 'the step counter did not go back to 0');
    await page.locator('[data-testid=start]').click();
    await page.waitForFunction(() => +document.querySelector('[data-testid=step]').textContent >= 1, null, { timeout: 2 * MINUTE });
    await page.locator('[data-testid=pause]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').dataset.state === 'paused', null, { timeout: 2 * MINUTE });
    const step = await text(page, 'step');
    await page.waitForTimeout(1500);
    expect((await text(page, 'step')) === step, 'the step counter moved while paused');
  });

  await check('no uncaught errors on the page', async () => {
    expect(errors.length === 0, errors.join('; '));
  });

  await check('without WebGPU the page says so and what to do', async () => {
    const bare = await context.newPage();
    await bare.addInitScript(() => delete Navigator.prototype.gpu);
    await bare.goto(`${server.url}${TINY}`);
    await bare.waitForFunction(() => document.querySelector('[data-testid=status]').dataset.state === 'error', null, { timeout: MINUTE });
    const message = await bare.locator('.notice.error').innerText();
    expect(/no WebGPU/.test(message) && /Chrome/.test(message), `unexpected message: ${message}`);
    await bare.screenshot({ path: join(OUT, 'no-webgpu.png') });
    await bare.close();
  });
} finally {
  await close();
  server.stop();
}

console.log(`${passes} passed, ${failures} failed${skips ? `, ${skips} skipped` : ''}`);
process.exit(failures ? 1 : 0);
