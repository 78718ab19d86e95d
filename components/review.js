// Review comments beside a take's player (issue 13). Two small pieces, one component:
//   mode "list": the comments, each as text (never HTML); a comment's time is a button that seeks
//     the player in the same card (`scope`, a container's st-key class) to that moment. With no
//     player on the page yet, it asks the server to open it (trigger "play") and the next render
//     seeks once the video is there (`seek`: {at, nonce}, applied once per nonce).
//   mode "now": a button that reads the player's current time (trigger "moment", in seconds).
// `scroll` (a nonce): bring the card into view once, for a link that opens this take (?take=<id>).

const WAIT_MS = 10000; // a player drawn by the rerun that a click asked for appears within this

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text; // user text: shown as text, never parsed
  return node;
}

function video(scope) {
  return document.querySelector(`.${CSS.escape(scope)} video`);
}

function seek(player, at) {
  const go = () => {
    player.currentTime = at;
  };
  if (player.readyState >= 1) go();
  else player.addEventListener("loadedmetadata", go, { once: true });
}

function whenVideo(scope, then) {
  const until = Date.now() + WAIT_MS;
  const look = () => {
    const found = video(scope);
    if (found) then(found);
    else if (Date.now() < until) setTimeout(look, 100);
  };
  look();
}

function drawList(root, data, setTriggerValue) {
  const list = el("ul", "review-comments");
  for (const c of data.comments) {
    const item = el("li", "review-comment");
    item.append(el("strong", "review-who", c.who));
    if (c.at !== null) {
      const time = el("button", "review-time", c.label);
      time.type = "button";
      time.title = `Play from ${c.label}`;
      time.addEventListener("click", () => {
        const player = video(data.scope);
        if (player) seek(player, c.at);
        else setTriggerValue("play", c.at); // the server opens the player; `seek` follows
      });
      item.append(time);
    }
    if (c.where) item.append(el("span", "review-where", c.where));
    item.append(el("span", "review-body", c.body));
    list.append(item);
  }
  root.replaceChildren(list);
}

function drawNow(root, data, setTriggerValue) {
  const button = el("button", "review-now", data.label || "Player's time");
  button.type = "button";
  button.title = "Take the moment from the player above";
  const said = el("span", "review-now-said");
  button.addEventListener("click", () => {
    const player = video(data.scope);
    if (!player) {
      said.textContent = "Press Play first: the moment is read from the player.";
      return;
    }
    said.textContent = "";
    setTriggerValue("moment", Math.round(player.currentTime * 100) / 100);
  });
  root.replaceChildren(button, said);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.__review;
  if (!root) {
    root = el("div", "review-piece");
    root.done = new Set(); // nonces already applied (a rerun draws the same data again)
    parentElement.append(root);
    parentElement.__review = root;
  }
  if (data.mode === "now") drawNow(root, data, setTriggerValue);
  else drawList(root, data, setTriggerValue);
  if (data.seek && !root.done.has(data.seek.nonce)) {
    root.done.add(data.seek.nonce);
    whenVideo(data.scope, (player) => seek(player, data.seek.at));
  }
  if (data.scroll && !root.done.has(data.scroll)) {
    root.done.add(data.scroll);
    const card = document.querySelector(`.${CSS.escape(data.scope)}`);
    if (card) card.scrollIntoView({ block: "start" });
  }
}
