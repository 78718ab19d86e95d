// The storyboard's timeline: shots as blocks in proportion to the 15 s cap, boundaries dragged (or
// moved with the arrow keys) to move whole seconds between neighbours. While a boundary moves, the
// bar and the price are redrawn here, in the browser, from the rates and limits Python hands over
// (storyboard/pricing.py browser_rates, storyboard/editing.py LIMITS); on release the new lengths go
// to Python once (trigger "durations"), which commits them through storyboard/editing.py.

// --- exact prices: the same rule as storyboard/pricing.py quote ---------------------------------

function parseDecimal(text) {
  const [whole, frac = ""] = String(text).split(".");
  return { n: BigInt(whole + frac), scale: frac.length };
}

// The total one take costs, as an exact decimal string: every second at the rate, plus the seconds
// a provider bills on top of a multi-shot video.
export function quoteTotal(durations, rates) {
  const rate = parseDecimal(rates.usd_per_second);
  let seconds = durations.reduce((a, b) => a + b, 0);
  if (durations.length > 1) seconds += rates.multi_shot_extra_seconds || 0;
  return decimalString(rate.n * BigInt(seconds), rate.scale);
}

function decimalString(n, scale) {
  if (scale === 0) return n.toString();
  const digits = n.toString().padStart(scale + 1, "0");
  return digits.slice(0, -scale) + "." + digits.slice(-scale);
}

// storyboard/models.py format_usd: whole cents, half up (as Decimal.quantize with ROUND_HALF_UP;
// amounts are never negative); "$0.00" for nothing.
export function formatUsd(amount, times = 1) {
  const d = parseDecimal(amount);
  let n = d.n * BigInt(times);
  if (d.scale <= 2) {
    n = n * 10n ** BigInt(2 - d.scale);
  } else {
    const div = 10n ** BigInt(d.scale - 2);
    const q = n / div;
    n = 2n * (n % div) >= div ? q + 1n : q;
  }
  if (n === 0n) return "$0.00";
  return "$" + decimalString(n, 2);
}

// components/take_count.py generate_label's price part: what the Generate button will say.
export function priceText(total, count) {
  const zero = formatUsd(total) === "$0.00";
  if (count === 1) return zero ? "Price: free" : `Price: ${formatUsd(total)}`;
  return zero ? `Price for ${count} previews: free` : `Price for ${count} takes: ${formatUsd(total, count)}`;
}

// --- where a boundary may go: the same rule as storyboard/editing.py boundary_range -------------

export function boundaryRange(durations, boundary, limits) {
  const start = durations.slice(0, boundary).reduce((a, b) => a + b, 0);
  let low = start + limits.min_shot_seconds;
  let high;
  if (boundary < durations.length - 1) {
    high = start + durations[boundary] + durations[boundary + 1] - limits.min_shot_seconds;
  } else {
    low = Math.max(low, limits.min_total_seconds);
    high = limits.max_total_seconds;
  }
  return [low, Math.max(low, high)];
}

export function moveBoundary(durations, boundary, at, limits) {
  const [low, high] = boundaryRange(durations, boundary, limits);
  const clamped = Math.max(low, Math.min(Math.round(at), high));
  const end = durations.slice(0, boundary + 1).reduce((a, b) => a + b, 0);
  const delta = clamped - end;
  const out = durations.slice();
  if (delta === 0) return out;
  out[boundary] += delta;
  if (boundary + 1 < out.length) out[boundary + 1] -= delta;
  return out;
}

// --- drawing ------------------------------------------------------------------------------------

const COLOURS = ["#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2"];

function el(tag, cls, attrs = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function build(view) {
  const { root, data } = view;
  root.replaceChildren();
  const n = data.durations.length;
  const head = el("div", "sbtl-head");
  view.used = el("strong", "sbtl-used");
  view.left = el("span", "sbtl-left");
  view.price = el("span", "sbtl-price", { "data-testid": "timeline-price", "aria-live": "polite" });
  head.append(view.used, view.left, view.price);
  const track = el("div", "sbtl-track", { "data-testid": "timeline" });
  view.track = track;
  view.blocks = [];
  view.ticks = [];
  for (let i = 0; i < n; i++) {
    const block = el("div", "sbtl-block");
    block.style.background = COLOURS[i % COLOURS.length];
    const label = el("span", "sbtl-label");
    block.append(label);
    track.append(block);
    view.blocks.push({ block, label });
    // each stricter provider's shortest shot, drawn from the start of every block
    view.ticks.push(
      data.minimums.map((m) => {
        const tick = el("div", "sbtl-min", { "aria-hidden": "true" });
        track.append(tick);
        return { tick, seconds: m.seconds };
      }),
    );
  }
  view.free = el("div", "sbtl-free");
  track.append(view.free);
  view.handles = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const handle = el("div", "sbtl-handle", {
      role: "slider",
      tabindex: "0",
      "aria-label": last ? `End of shot ${i + 1} (the free seconds after it)` : `Boundary between shot ${i + 1} and shot ${i + 2}`,
      "data-boundary": String(i),
    });
    if (data.locked) {  // read-only (a reviewer): shown, not moved; the server refuses a change anyway
      handle.setAttribute("aria-disabled", "true");
      handle.tabIndex = -1;
      track.append(handle);
      view.handles.push(handle);
      continue;
    }
    handle.addEventListener("pointerdown", (e) => startDrag(view, i, e));
    handle.addEventListener("pointermove", (e) => drag(view, i, e));
    handle.addEventListener("pointerup", () => release(view));
    handle.addEventListener("pointercancel", () => release(view));
    handle.addEventListener("keydown", (e) => key(view, i, e));
    handle.addEventListener("keyup", (e) => {
      if (KEYS.has(e.key)) release(view);
    });
    track.append(handle);
    view.handles.push(handle);
  }
  const scale = el("div", "sbtl-scale", { "aria-hidden": "true" });
  const max = data.limits.max_total_seconds;
  for (let s = 0; s <= max; s++) {
    const t = el("span", s === max ? "sbtl-cap" : "sbtl-sec");
    t.style.left = `${(100 * s) / max}%`;
    if (s === max) t.textContent = `${max} s cap`;
    else if (s % 5 === 0) t.textContent = `${s}`;
    scale.append(t);
  }
  const legend = el("div", "sbtl-legend");
  const hints = data.minimums.map((m) => `┆ ${m.seconds} s: the shortest shot ${m.providers} take`);
  hints.push("drag a boundary, or focus it and press ← →");
  legend.textContent = hints.join(" · ");
  root.append(head, track, scale, legend);
}

function draw(view) {
  const { data } = view;
  const d = view.durations;
  const max = data.limits.max_total_seconds;
  const total = d.reduce((a, b) => a + b, 0);
  const pct = (s) => `${(100 * s) / max}%`;
  let at = 0;
  d.forEach((seconds, i) => {
    const { block, label } = view.blocks[i];
    block.style.left = pct(at);
    block.style.width = pct(seconds);
    label.textContent = `${i + 1} · ${seconds} s`;
    const strict = data.minimums.filter((m) => seconds < m.seconds).map((m) => m.providers);
    block.classList.toggle("sbtl-short", strict.length > 0 && d.length > 1);
    block.title = `Shot ${i + 1}: ${data.prompts[i] || "(no prompt yet)"}` + (strict.length && d.length > 1 ? `\nToo short for ${strict.join(" and ")}` : "");
    view.ticks[i].forEach(({ tick, seconds: m }) => {
      tick.style.left = pct(at + m);
      tick.hidden = d.length < 2 || seconds <= m; // inside its own block only; a shorter one is striped
    });
    at += seconds;
    const handle = view.handles[i];
    const [low, high] = boundaryRange(d, i, data.limits);
    handle.style.left = pct(at);
    handle.setAttribute("aria-valuemin", String(low));
    handle.setAttribute("aria-valuemax", String(high));
    handle.setAttribute("aria-valuenow", String(at));
    handle.setAttribute(
      "aria-valuetext",
      i < d.length - 1 ? `Shot ${i + 1} ${seconds} s, shot ${i + 2} ${d[i + 1]} s` : `Shot ${i + 1} ${seconds} s, ${max - at} s free`,
    );
  });
  view.free.style.left = pct(total);
  view.free.style.width = pct(max - total);
  view.free.textContent = max - total ? `${max - total} s free` : "";
  view.used.textContent = `${total} of ${max} s`;
  view.left.textContent = max - total ? ` used · ${max - total} s left` : " used · full";
  view.total = quoteTotal(d, data.rates);
  view.price.textContent = priceText(view.total, data.count);
  view.root.dataset.durations = d.join(",");
}

// --- dragging and keys --------------------------------------------------------------------------

const KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"]);

function moveTo(view, boundary, at) {
  const next = moveBoundary(view.durations, boundary, at, view.data.limits);
  if (next.join() === view.durations.join()) return;
  view.durations = next;
  draw(view);
}

function startDrag(view, boundary, e) {
  e.preventDefault();
  e.currentTarget.setPointerCapture(e.pointerId);
  e.currentTarget.focus();
  view.dragging = boundary;
}

function drag(view, boundary, e) {
  if (view.dragging !== boundary) return;
  const rect = view.track.getBoundingClientRect();
  moveTo(view, boundary, ((e.clientX - rect.left) / rect.width) * view.data.limits.max_total_seconds);
}

function key(view, boundary, e) {
  if (!KEYS.has(e.key)) return;
  e.preventDefault();
  const end = view.durations.slice(0, boundary + 1).reduce((a, b) => a + b, 0);
  const [low, high] = boundaryRange(view.durations, boundary, view.data.limits);
  const step = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -3, PageUp: 3 }[e.key];
  moveTo(view, boundary, e.key === "Home" ? low : e.key === "End" ? high : end + step);
}

function release(view) {
  view.dragging = null;
  if (view.durations.join() !== view.committed.join()) {
    view.committed = view.durations.slice();
    view.setTriggerValue("durations", view.durations.slice());
  }
  if (view.pending) {
    const pending = view.pending;
    view.pending = null;
    apply(view, pending);
  }
}

function apply(view, data) {
  if (view.dragging !== null && view.dragging !== undefined) {
    view.pending = data; // a rerun from elsewhere must not yank the boundary from under the pointer
    return;
  }
  const rebuild =
    !view.data ||
    view.data.durations.length !== data.durations.length ||
    view.data.locked !== data.locked ||
    JSON.stringify(view.data.minimums) !== JSON.stringify(data.minimums);
  // A key pressed again before the rerun of the last one came back: keep that newer length (it is
  // sent on its keyup); otherwise the page shows what Python committed.
  const unsent = !rebuild && view.durations.join() !== view.committed.join();
  view.data = data;
  view.committed = data.durations.slice();
  if (!unsent) view.durations = data.durations.slice();
  if (rebuild) build(view);
  draw(view);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__storyboardTimeline;
  if (!view) {
    const root = el("div", "sbtl");
    parentElement.append(root);
    view = { root, dragging: null, pending: null };
    parentElement.__storyboardTimeline = view;
  }
  view.setTriggerValue = setTriggerValue;
  apply(view, data);
}
