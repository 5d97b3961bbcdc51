// Measures the samples/s the demo page reaches in headless Chromium
// (SwiftShader WebGPU here): trains with the given query for a while and
// prints the page's own samples/s and its step count over the timed window.
//
//   node web/e2e/measure.mjs '?layers=64,64&batch=100&train=2000&test=200' 60

import { browser, serve, text, watch } from './browser.mjs';

const query = process.argv[2] ?? '?layers=64,64&batch=100&train=2000&test=200';
const seconds = Number(process.argv[3] ?? 60);
const settings = new URLSearchParams(query);
const batch = Number(settings.get('batch') ?? 200);

const server = await serve();
const { context, close } = await browser();
try {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${server.url}${query}${query.includes('?') ? '&' : '?'}epochs=1000&autostart=1`);
  await page.waitForFunction(() => +document.querySelector('[data-testid=step]').textContent >= 3, null, { timeout: 300_000 });
  const step0 = Number(await text(page, 'step'));
  const t0 = Date.now();
  await page.waitForTimeout(seconds * 1000);
  const step1 = Number(await text(page, 'step'));
  const elapsed = (Date.now() - t0) / 1000;
  console.log(`adapter: ${await text(page, 'adapter')}`);
  console.log(`query: ${query}`);
  console.log(`steps ${step0} -> ${step1} in ${elapsed.toFixed(1)} s: ${((step1 - step0) * batch / elapsed).toFixed(1)} samples/s (training and the page's evaluations together)`);
  console.log(`page's samples/s (training chunks only): ${await page.locator('#rate').innerText()}`);
  console.log(`test error: ${await text(page, 'test-error')}`);
  if (errors.length) console.log(errors.join('\n'));
} finally {
  await close();
  server.stop();
}
