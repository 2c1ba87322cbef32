// The time left before each enrollment code on the page expires, updated every second: the
// supervisor sees when to make a new one. The page works without it.
const left = (until) => Math.max(0, Math.round((until - Date.now()) / 1000));
function tick() {
  for (const node of document.querySelectorAll(".countdown[data-expires]")) {
    const seconds = left(Date.parse(node.dataset.expires));
    node.textContent = seconds ? `(${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")})` : "(0:00)";
  }
}
tick();
setInterval(tick, 1000);
