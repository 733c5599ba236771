/**
 * The demo's figures (paper Figures 1–5 analogs), drawn with ./plot onto RGBA canvases and
 * written as PNG.
 */
import { SIDE } from './data';
import { textWidth } from './font';
import { Canvas, COLORS, divergingMap, drawHeader, grayMap, lineChart, Rgb, Series, wrapText } from './plot';

const QUAD = 'quadratic (moment-matched Gaussian)';

export interface CurvePoint {
  step: number;
  linear: { mixture: number; test: number };
  quadratic: { mixture: number; test: number };
}

/** Figure 2 analog: FVU (or, with `kind: 'kl'`, Figure 3's KL) against the training step. */
export function drawMetricVsStep(points: CurvePoint[], kind: 'fvu' | 'kl', warmup: number, path: string): void {
  const pts = points.filter((p) => p.step > 0);
  const xs = pts.map((p) => p.step);
  const series: Series[] = [
    { name: 'linear, mixture samples', x: xs, y: pts.map((p) => p.linear.mixture), color: COLORS.blue },
    { name: `${QUAD}, mixture samples`, x: xs, y: pts.map((p) => p.quadratic.mixture), color: COLORS.orange, marker: 'square' },
    { name: 'linear, real test images', x: xs, y: pts.map((p) => p.linear.test), color: COLORS.blue, dash: [7, 5], marker: 'none' },
    { name: `${QUAD}, real test images`, x: xs, y: pts.map((p) => p.quadratic.test), color: COLORS.orange, dash: [7, 5], marker: 'none' },
  ];
  const init = points.find((p) => p.step === 0);
  const fmt = (v: number) => (v < 0.01 ? v.toExponential(1) : v.toFixed(3));
  const subtitle = init
    ? `at step 0 (not drawn): linear ${fmt(init.linear.mixture)}, quadratic ${fmt(init.quadratic.mixture)} (mixture samples)`
    : undefined;
  const chart = lineChart(series, {
    title: kind === 'fvu' ? 'FVU of the approximants over training' : 'KL(softmax MLP || softmax approx.)',
    subtitle,
    xlabel: 'training step (log scale)',
    ylabel: kind === 'fvu' ? 'FVU (log scale)' : 'mean KL, nats (log scale)',
    xlog: 2,
    ylog: 10,
    legend: 'below',
    vlines: [{ x: warmup, label: 'end of warmup' }],
    width: 1100,
    height: 700,
  });
  chart.save(path);
}

/** Figure 5 analog: accuracy on the real test images against the number of ablated components. */
export function drawAttack(ks: number[], acc: { mlp: number[]; linear: number[]; quadratic: number[] }, chance: number, path: string): void {
  const chart = lineChart(
    [
      { name: 'ReLU MLP', x: ks, y: acc.mlp, color: COLORS.black },
      { name: 'linear approximant', x: ks, y: acc.linear, color: COLORS.blue, marker: 'square' },
      { name: QUAD, x: ks, y: acc.quadratic, color: COLORS.orange, dash: [8, 5] },
    ],
    {
      title: 'SVD attack on the real test images',
      subtitle: 'accuracy after projecting every image off the top k left singular vectors of beta: x -> (I - U_k^T U_k) x, the same for every model',
      xlabel: 'k = number of left singular vectors of beta ablated',
      ylabel: 'test accuracy',
      ymin: 0,
      ymax: 1,
      xticks: ks,
      hlines: [
        { y: chance, label: `chance ${chance.toFixed(2)}`, color: COLORS.red },
        { y: 0.5, label: '50%' },
      ],
      legend: 'below',
      width: 1000,
      height: 700,
    },
  );
  chart.save(path);
}

export interface FeatureRow {
  label: string;
  /** One 784-vector per column. */
  images: Float64Array[];
  /** Caption under each image (e.g. an eigenvalue). */
  captions?: string[];
}

/**
 * A grid of 28×28 feature images (Figure 1 analog): rows of images under a diverging color map,
 * each image scaled to its own largest |value| (red positive, blue negative, white 0).
 */
export function drawFeatureGrid(title: string, subtitle: string, columns: string[], rows: FeatureRow[], path: string): void {
  const cell = 3;
  const img = SIDE * cell;
  const gap = Math.max(14, Math.max(...columns.map((c) => textWidth(c) * 2)) - img + 12);
  const left = 300;
  const rowH = img + 40;
  const W = left + columns.length * (img + gap) + 20;
  const headerLines = wrapText(subtitle, W - 40, 2).length;
  const top = 14 + 36 + 4 + headerLines * 24 + 8 + 40;
  const H = top + rows.length * rowH + 50;
  const cv = new Canvas(W, H);
  drawHeader(cv, title, subtitle);
  columns.forEach((c, j) => cv.text(c, left + j * (img + gap) + img / 2, top - 26, { align: 'center' }));
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const words = row.label.split('\n');
    words.forEach((w, k) => cv.text(w, left - 16, y + img / 2 - (words.length * 22) / 2 + k * 22, { align: 'right' }));
    row.images.forEach((v, j) => {
      let m = 0;
      for (const x of v) m = Math.max(m, Math.abs(x));
      const x0 = left + j * (img + gap);
      cv.image(v, SIDE, x0, y, cell, divergingMap(m));
      cv.strokeRect(x0 - 1, y - 1, img + 2, img + 2, COLORS.grid);
      if (row.captions) cv.text(row.captions[j], x0 + img / 2, y + img + 8, { scale: 1, align: 'center', color: COLORS.muted });
    });
  });
  // Color key.
  const kx = 20;
  const ky = H - 36;
  const key = divergingMap(1);
  for (let i = 0; i < 200; i++) cv.fillRect(kx + i, ky, 1, 14, key(i / 99.5 - 1));
  cv.strokeRect(kx - 1, ky - 1, 202, 16, COLORS.grid);
  cv.text('-max|v|', kx, ky + 18, { scale: 1 });
  cv.text('0', kx + 100, ky + 18, { scale: 1, align: 'center' });
  cv.text('+max|v|', kx + 200, ky + 18, { scale: 1, align: 'right' });
  cv.save(path);
}

export interface DigitCell {
  pixels: Float64Array;
  top: string;
  bottom: string;
  /** Highlight the bottom caption (e.g. a wrong prediction). */
  alert?: boolean;
}

/** Figure 4 analog: rows of (attacked) digits with captions, on one shared gray scale. */
export function drawDigitRows(title: string, subtitle: string, rows: { label: string; cells: DigitCell[] }[], path: string): void {
  const cell = 3;
  const img = SIDE * cell;
  const gap = 12;
  const left = 20;
  const rowH = img + 96;
  const maxCols = Math.max(...rows.map((r) => r.cells.length));
  const W = left + maxCols * (img + gap) + 10;
  const top = 14 + 36 + 4 + wrapText(subtitle, W - 40, 2).length * 24 + 8 + 10;
  const H = top + rows.length * rowH + 40;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) for (const c of r.cells) for (const v of c.pixels) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const map = grayMap(lo, hi);
  const cv = new Canvas(W, H);
  drawHeader(cv, title, subtitle);
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    cv.text(row.label, left, y, { scale: 2 });
    row.cells.forEach((c, j) => {
      const x0 = left + j * (img + gap);
      cv.text(c.top, x0 + img / 2, y + 26, { align: 'center', scale: 2 });
      cv.image(c.pixels, SIDE, x0, y + 48, cell, map);
      const color: Rgb = c.alert ? COLORS.red : COLORS.black;
      cv.text(c.bottom, x0 + img / 2, y + 48 + img + 8, { align: 'center', scale: 2, color });
    });
  });
  cv.text(`gray scale: black = ${lo.toFixed(2)}, white = ${hi.toFixed(2)} (pixel values; the originals lie in [0, 1])`, left, H - 28, { scale: 1, color: COLORS.muted });
  cv.save(path);
}
