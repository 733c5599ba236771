/**
 * Just enough plotting for the demo's figures, drawn onto an RGBA buffer and written as PNG with
 * pngjs (pure JavaScript: no browser, no canvas build, no per-platform binaries): anti-aliased
 * lines and markers, axes with linear or log₂/log₁₀ ticks, a legend, text in a hand-drawn bitmap
 * font, and 28×28 images under gray or diverging color maps.
 */
import * as fs from 'fs';
import { PNG } from 'pngjs';
import { ADVANCE, glyph, GLYPH_H, GLYPH_W, textWidth } from './font';

export type Rgb = [number, number, number];

export const COLORS = {
  black: [0, 0, 0] as Rgb,
  white: [255, 255, 255] as Rgb,
  grid: [228, 228, 228] as Rgb,
  axis: [60, 60, 60] as Rgb,
  muted: [110, 110, 110] as Rgb,
  blue: [31, 119, 180] as Rgb,
  orange: [230, 120, 20] as Rgb,
  green: [44, 160, 44] as Rgb,
  red: [214, 39, 40] as Rgb,
  purple: [148, 103, 189] as Rgb,
};

export class Canvas {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    bg: Rgb = COLORS.white,
  ) {
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[i * 4] = bg[0];
      this.data[i * 4 + 1] = bg[1];
      this.data[i * 4 + 2] = bg[2];
      this.data[i * 4 + 3] = 255;
    }
  }

  /** Blends color c over pixel (x, y) with coverage a in [0, 1]. */
  blend(x: number, y: number, c: Rgb, a = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 4;
    const t = Math.min(a, 1);
    for (let k = 0; k < 3; k++) this.data[i + k] = Math.round(this.data[i + k] * (1 - t) + c[k] * t);
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = Math.max(0, Math.floor(y)); j < Math.min(this.height, Math.floor(y + h)); j++) {
      for (let i = Math.max(0, Math.floor(x)); i < Math.min(this.width, Math.floor(x + w)); i++) this.blend(i, j, c);
    }
  }

  strokeRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    this.fillRect(x, y, w, 1, c);
    this.fillRect(x, y + h - 1, w, 1, c);
    this.fillRect(x, y, 1, h, c);
    this.fillRect(x + w - 1, y, 1, h, c);
  }

  /** Anti-aliased segment of width `lw` (coverage from the distance to the segment). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, lw = 2): void {
    const r = lw / 2;
    const minX = Math.floor(Math.min(x0, x1) - r - 1);
    const maxX = Math.ceil(Math.max(x0, x1) + r + 1);
    const minY = Math.floor(Math.min(y0, y1) - r - 1);
    const maxY = Math.ceil(Math.max(y0, y1) + r + 1);
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len2 = dx * dx + dy * dy;
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        let t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0;
        t = Math.max(0, Math.min(1, t));
        const d = Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
        this.blend(x, y, c, r + 0.5 - d);
      }
    }
  }

  /** A polyline, solid or dashed ([on, off] lengths in pixels). */
  polyline(pts: [number, number][], c: Rgb, lw = 2, dash: [number, number] | null = null): void {
    if (!dash) {
      for (let i = 1; i < pts.length; i++) this.line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], c, lw);
      return;
    }
    let phase = 0;
    for (let i = 1; i < pts.length; i++) {
      const [ax, ay] = pts[i - 1];
      const [bx, by] = pts[i];
      const len = Math.hypot(bx - ax, by - ay);
      let s = 0;
      while (s < len) {
        const period = dash[0] + dash[1];
        const inOn = phase < dash[0];
        const step = Math.min(len - s, inOn ? dash[0] - phase : period - phase);
        if (inOn) {
          const t0 = s / len;
          const t1 = (s + step) / len;
          this.line(ax + (bx - ax) * t0, ay + (by - ay) * t0, ax + (bx - ax) * t1, ay + (by - ay) * t1, c, lw);
        }
        s += step;
        phase = (phase + step) % period;
      }
    }
  }

  /** Filled anti-aliased disc. */
  disc(cx: number, cy: number, r: number, c: Rgb): void {
    for (let y = Math.floor(cy - r - 1); y <= Math.ceil(cy + r + 1); y++) {
      for (let x = Math.floor(cx - r - 1); x <= Math.ceil(cx + r + 1); x++) {
        this.blend(x, y, c, r + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy));
      }
    }
  }

  /** Filled square marker (for telling series apart in gray-scale prints). */
  square(cx: number, cy: number, r: number, c: Rgb): void {
    this.fillRect(Math.round(cx - r), Math.round(cy - r), Math.round(2 * r), Math.round(2 * r), c);
  }

  /**
   * Text in the bitmap font at integer `scale`; (x, y) is the anchor: align 'left' | 'center' |
   * 'right' horizontally, and y is the top of the capital letters. `vertical` rotates it 90°
   * counter-clockwise (reading bottom to top; then x is the left edge and y the anchor).
   */
  text(s: string, x: number, y: number, opts: { scale?: number; color?: Rgb; align?: 'left' | 'center' | 'right'; vertical?: boolean } = {}): void {
    const sc = opts.scale ?? 2;
    const c = opts.color ?? COLORS.black;
    const w = textWidth(s) * sc;
    const off = opts.align === 'center' ? -w / 2 : opts.align === 'right' ? -w : 0;
    let pen = 0;
    for (const ch of s) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) {
        for (let q = 0; q < GLYPH_W; q++) {
          if (!g[r * GLYPH_W + q]) continue;
          if (opts.vertical) {
            // Rotated: the string runs upward from (x, y + off·−1).
            this.fillRect(Math.round(x + r * sc), Math.round(y - off - (pen + q + 1) * sc), sc, sc, c);
          } else {
            this.fillRect(Math.round(x + off + (pen + q) * sc), Math.round(y + r * sc), sc, sc, c);
          }
        }
      }
      pen += ADVANCE;
    }
  }

  /**
   * Draws a 28×28 (side×side) image with each cell `cell` pixels wide, colored by `map`.
   */
  image(values: ArrayLike<number>, side: number, x: number, y: number, cell: number, map: (v: number) => Rgb): void {
    for (let r = 0; r < side; r++) {
      for (let q = 0; q < side; q++) this.fillRect(x + q * cell, y + r * cell, cell, cell, map(values[r * side + q]));
    }
  }

  save(path: string): void {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    fs.writeFileSync(path, PNG.sync.write(png));
  }
}

/** Splits text at spaces into lines of at most `maxWidth` pixels at `scale`. */
export function wrapText(s: string, maxWidth: number, scale: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of s.split(' ')) {
    const next = cur ? `${cur} ${w}` : w;
    if (cur && textWidth(next) * scale > maxWidth) {
      lines.push(cur);
      cur = w;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

/**
 * Draws a centered title (scale 3, or 2 when it would not fit) and a wrapped gray subtitle;
 * returns the y just below them.
 */
export function drawHeader(cv: Canvas, title: string, subtitle: string | undefined, y = 14): number {
  const scale = textWidth(title) * 3 <= cv.width - 20 ? 3 : 2;
  for (const line of wrapText(title, cv.width - 20, scale)) {
    cv.text(line, cv.width / 2, y, { scale, align: 'center' });
    y += 12 * scale;
  }
  y += 4;
  for (const line of subtitle ? wrapText(subtitle, cv.width - 40, 2) : []) {
    cv.text(line, cv.width / 2, y, { scale: 2, align: 'center', color: COLORS.muted });
    y += 24;
  }
  return y + 8;
}

/** Gray map: lo → black, hi → white. */
export function grayMap(lo: number, hi: number): (v: number) => Rgb {
  return (v) => {
    const t = Math.max(0, Math.min(1, (v - lo) / (hi - lo || 1)));
    const g = Math.round(255 * t);
    return [g, g, g];
  };
}

/** Diverging map symmetric about 0: −m → blue, 0 → white, +m → red (ColorBrewer RdBu ends). */
export function divergingMap(m: number): (v: number) => Rgb {
  const neg: Rgb = [33, 102, 172];
  const pos: Rgb = [178, 24, 43];
  return (v) => {
    const t = Math.max(-1, Math.min(1, v / (m || 1)));
    const end = t < 0 ? neg : pos;
    const a = Math.abs(t);
    return [0, 1, 2].map((k) => Math.round(255 + (end[k] - 255) * a)) as Rgb;
  };
}

export interface Series {
  name: string;
  x: number[];
  y: number[];
  color: Rgb;
  dash?: [number, number] | null;
  marker?: 'disc' | 'square' | 'none';
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xlabel: string;
  ylabel: string;
  xlog?: 2 | 10;
  ylog?: 10;
  ymin?: number;
  ymax?: number;
  /** Horizontal reference lines with labels (e.g. chance level). */
  hlines?: { y: number; label: string; color?: Rgb }[];
  /** Vertical reference lines with labels (e.g. the end of warmup). */
  vlines?: { x: number; label: string; color?: Rgb }[];
  /** Inside a corner of the plot, or 'below' it in two columns (default 'top-right'). */
  legend?: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'below';
  width?: number;
  height?: number;
  /** Integer x ticks (linear axis). */
  xticks?: number[];
}

function niceStep(range: number, target: number): number {
  const raw = range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function fmtTick(v: number, step: number): string {
  if (v === 0) return '0';
  let digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  // A step of 2.5·10^k needs one more digit than 10^k.
  if (Math.abs(step * 10 ** digits - Math.round(step * 10 ** digits)) > 1e-9) digits++;
  return v.toFixed(Math.min(digits, 6));
}

function fmtPow(base: number, e: number): string {
  const v = base ** e;
  if (base === 2) return v >= 1024 ? `${v / 1024}k` : String(v);
  if (e >= 0 && e <= 4) return String(v);
  if (e < 0 && e >= -3) return v.toFixed(-e);
  return `1e${e}`;
}

/** A line chart as a new canvas. */
export function lineChart(series: Series[], o: ChartOptions): Canvas {
  const W = o.width ?? 960;
  const H = o.height ?? 600;
  const cv = new Canvas(W, H);
  const left = 116;
  const right = 30;
  const top = drawHeader(cv, o.title, o.subtitle) + 10;
  // Two legend columns below the plot when the longest entry fits in half the width, else one.
  const entryW = Math.max(...series.map((s) => textWidth(s.name) * 2)) + 70;
  const legendCols = entryW <= (W - 130) / 2 ? 2 : 1;
  const legendRows = o.legend === 'below' ? Math.ceil(series.length / legendCols) : 0;
  const bottom = 80 + (legendRows > 0 ? legendRows * 26 + 16 : 0);
  const pw = W - left - right;
  const ph = H - top - bottom;
  const all = series.flatMap((s) => s.x.map((x, i) => [x, s.y[i]] as [number, number])).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const tx = (v: number) => (o.xlog ? Math.log(v) / Math.log(o.xlog) : v);
  const ty = (v: number) => (o.ylog ? Math.log10(v) : v);
  let x0 = Math.min(...all.map((p) => tx(p[0])));
  let x1 = Math.max(...all.map((p) => tx(p[0])));
  let y0 = o.ymin !== undefined ? ty(o.ymin) : Math.min(...all.map((p) => ty(p[1])));
  let y1 = o.ymax !== undefined ? ty(o.ymax) : Math.max(...all.map((p) => ty(p[1])));
  if (o.ylog) {
    y0 = Math.floor(y0 + 1e-9);
    y1 = Math.ceil(y1 - 1e-9);
  } else if (o.ymin === undefined || o.ymax === undefined) {
    const pad = (y1 - y0 || 1) * 0.05;
    if (o.ymin === undefined) y0 -= pad;
    if (o.ymax === undefined) y1 += pad;
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const xpad = (x1 - x0) * 0.02;
  x0 -= xpad;
  x1 += xpad;
  const px = (v: number) => left + ((tx(v) - x0) / (x1 - x0)) * pw;
  const py = (v: number) => top + ph - ((ty(v) - y0) / (y1 - y0)) * ph;

  // Grid and ticks.
  const yt: { v: number; label: string }[] = [];
  if (o.ylog) {
    for (let e = Math.round(y0); e <= Math.round(y1); e++) yt.push({ v: 10 ** e, label: fmtPow(10, e) });
  } else {
    const step = niceStep(y1 - y0, 6);
    for (let v = Math.ceil(y0 / step) * step; v <= y1 + 1e-12; v += step) yt.push({ v: Math.abs(v) < step * 1e-9 ? 0 : v, label: fmtTick(Math.abs(v) < step * 1e-9 ? 0 : v, step) });
  }
  if (o.ylog) {
    for (let e = Math.round(y0); e < Math.round(y1); e++) {
      for (let m = 2; m < 10; m++) cv.fillRect(left, Math.round(py(m * 10 ** e)), pw, 1, [242, 242, 242]);
    }
  }
  for (const t of yt) {
    const y = Math.round(py(t.v));
    cv.fillRect(left, y, pw, 1, COLORS.grid);
    cv.fillRect(left - 6, y, 6, 1, COLORS.axis);
    cv.text(t.label, left - 10, y - 7, { align: 'right' });
  }
  const xt: { v: number; label: string }[] = [];
  if (o.xlog) {
    const b = o.xlog;
    const e0 = Math.ceil(x0 - 1e-9);
    const e1 = Math.floor(x1 + 1e-9);
    const every = b === 2 ? Math.max(1, Math.ceil((e1 - e0 + 1) / 8)) : 1;
    for (let e = e0; e <= e1; e++) if ((e - e0) % every === 0) xt.push({ v: b ** e, label: fmtPow(b, e) });
  } else if (o.xticks) {
    for (const v of o.xticks) xt.push({ v, label: String(v) });
  } else {
    const step = niceStep(x1 - x0, 8);
    for (let v = Math.ceil(x0 / step) * step; v <= x1 + 1e-12; v += step) xt.push({ v, label: fmtTick(v, step) });
  }
  for (const t of xt) {
    const x = Math.round(px(t.v));
    cv.fillRect(x, top, 1, ph, COLORS.grid);
    cv.fillRect(x, top + ph, 1, 6, COLORS.axis);
    cv.text(t.label, x, top + ph + 12, { align: 'center' });
  }
  cv.fillRect(left, top, 1, ph + 1, COLORS.axis);
  cv.fillRect(left, top + ph, pw + 1, 1, COLORS.axis);
  cv.text(o.xlabel, left + pw / 2, top + ph + 44, { align: 'center' });
  cv.text(o.ylabel, 12, top + ph / 2, { vertical: true, align: 'center' });

  for (const h of o.hlines ?? []) {
    const y = py(h.y);
    cv.polyline([[left, y], [left + pw, y]], h.color ?? COLORS.muted, 1.5, [6, 5]);
    cv.text(h.label, left + 8, y - 20, { color: h.color ?? COLORS.muted });
  }
  for (const v of o.vlines ?? []) {
    const x = px(v.x);
    cv.polyline([[x, top], [x, top + ph]], v.color ?? COLORS.muted, 1.5, [6, 5]);
    const fits = x + 6 + textWidth(v.label) * 2 <= left + pw;
    cv.text(v.label, fits ? x + 6 : x - 6, top + ph - 24, { color: v.color ?? COLORS.muted, align: fits ? 'left' : 'right' });
  }

  for (const s of series) {
    const pts: [number, number][] = [];
    s.x.forEach((x, i) => {
      if (Number.isFinite(x) && Number.isFinite(s.y[i]) && (!o.xlog || x > 0) && (!o.ylog || s.y[i] > 0)) pts.push([px(x), py(s.y[i])]);
    });
    cv.polyline(pts, s.color, 2.5, s.dash ?? null);
    for (const [x, y] of pts) {
      if (s.marker === 'square') cv.square(x, y, 3.5, s.color);
      else if (s.marker !== 'none') cv.disc(x, y, 3.5, s.color);
    }
  }

  // Legend.
  const entry = (s: Series, x: number, y: number) => {
    cv.polyline([[x + 10, y], [x + 50, y]], s.color, 2.5, s.dash ?? null);
    if (s.marker === 'square') cv.square(x + 30, y, 3.5, s.color);
    else if (s.marker !== 'none') cv.disc(x + 30, y, 3.5, s.color);
    cv.text(s.name, x + 60, y - 7);
  };
  if (o.legend === 'below') {
    const colW = pw / legendCols;
    series.forEach((s, i) => entry(s, left + (i % legendCols) * colW, top + ph + 84 + Math.floor(i / legendCols) * 26));
    return cv;
  }
  const lw = entryW;
  const lh = series.length * 26 + 12;
  const pos = o.legend ?? 'top-right';
  const lx = pos.endsWith('left') ? left + 14 : left + pw - lw - 14;
  const ly = pos.startsWith('top') ? top + 14 : top + ph - lh - 14;
  cv.fillRect(lx, ly, lw, lh, COLORS.white);
  cv.strokeRect(lx, ly, lw, lh, COLORS.grid);
  series.forEach((s, i) => entry(s, lx, ly + 18 + i * 26));
  return cv;
}
