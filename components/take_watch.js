// A running Preview take, watched from the browser: its progress bar and sentence are redrawn here
// from a small JSON answer (serve.py's /api/take-progress/<id>?after=<version>, which the server
// gives once the take has changed: a long poll), and the page reruns once, when the take has
// finished (trigger "finished"). Watching by rerunning a Streamlit fragment every 0.25 s cost
// ~0.1 s of CPU per look between the server and Chromium, taken from the render on a 2-core
// machine (bench.preview_e2e).

const EVERY_MS = 30; // between answers (each waits on the server for a change)
const AFTER_ERROR_MS = 1000; // the app restarting: Streamlit reconnects and reruns the page itself

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function draw(view, answer) {
  const percent = Math.round(Math.min(1, Math.max(0, answer.progress)) * 100);
  view.text.textContent = answer.text; // a sentence of ours, shown as text, never as HTML
  view.bar.style.width = `${percent}%`;
  view.track.setAttribute("aria-valuenow", String(percent));
  view.track.setAttribute("aria-valuetext", answer.text);
}

function look(view) {
  view.timer = null;
  if (view.stopped || !view.root.isConnected) return;
  const jobId = view.data.job_id;
  const generation = view.generation; // a newer render of the card starts its own loop
  const current = () => !view.stopped && view.generation === generation;
  const after = encodeURIComponent(view.version || "");
  fetch(`${view.data.url}?after=${after}`, { cache: "no-store", credentials: "same-origin" })
    .then((reply) => (reply.ok ? reply.json() : Promise.reject(new Error(String(reply.status)))))
    .then((answer) => {
      if (!current() || view.data.job_id !== jobId) return;
      view.version = answer.version;
      draw(view, answer);
      if (answer.finished) {
        if (!view.fired.has(jobId)) {
          view.fired.add(jobId); // one rerun per take, however many looks see it finished
          view.setTriggerValue("finished", jobId);
        }
        return;
      }
      view.timer = setTimeout(() => look(view), EVERY_MS);
    })
    .catch(() => {
      if (current()) view.timer = setTimeout(() => look(view), AFTER_ERROR_MS);
    });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let view = parentElement.__takeWatch;
  if (!view) {
    const root = el("div", "take-watch");
    const text = el("p", "take-watch-text");
    const track = el("div", "take-watch-track");
    const bar = el("div", "take-watch-bar");
    track.setAttribute("role", "progressbar");
    track.setAttribute("aria-valuemin", "0");
    track.setAttribute("aria-valuemax", "100");
    track.append(bar);
    root.append(text, track);
    parentElement.append(root);
    view = { root, text, track, bar, timer: null, fired: new Set(), generation: 0 };
    parentElement.__takeWatch = view;
  }
  if (view.timer !== null) clearTimeout(view.timer);
  view.generation += 1;
  view.stopped = false;
  view.data = data;
  view.version = data.first.version;
  view.setTriggerValue = setTriggerValue;
  draw(view, data.first);
  view.timer = setTimeout(() => look(view), 0);
  return () => {
    view.stopped = true;
    if (view.timer !== null) clearTimeout(view.timer);
    view.timer = null;
  };
}
