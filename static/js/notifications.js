// Keeps the notification badge current in every open tab.
// The server pushes small signals (ids and counts); on every (re)connect the client asks for
// everything after the last id it saw, so nothing is lost while the socket was down.
(function () {
  "use strict";
  const body = document.body;
  const path = body.dataset.notificationsSocket;
  if (!path || !("WebSocket" in window)) return;
  const STORAGE_KEY = "collaborative:last-notification-id";
  const badge = document.getElementById("notification-badge");
  const toasts = document.getElementById("toasts");
  let attempt = 0;
  let socket = null;

  function lastSeen() { return parseInt(localStorage.getItem(STORAGE_KEY) || "0", 10) || 0; }
  function remember(id) { if (id > lastSeen()) localStorage.setItem(STORAGE_KEY, String(id)); }

  function showUnread(count) {
    if (!badge) return;
    badge.querySelector("[data-count]").textContent = String(count);
    badge.hidden = !(count > 0);
  }

  function toast(text) {
    if (!toasts) return;
    const item = document.createElement("div");
    item.className = "toast";
    item.textContent = text;
    toasts.appendChild(item);
    setTimeout(() => item.remove(), 6000);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + path);
    socket.addEventListener("open", () => {
      attempt = 0;
      body.dataset.socketState = "open";
      socket.send(JSON.stringify({ type: "resume", after: lastSeen() }));
    });
    socket.addEventListener("message", (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (typeof data.unread === "number") showUnread(data.unread);
      if (data.type === "notification") {
        remember(data.id);
        toast("You have a new notification.");
      } else if (data.type === "resume" && data.notifications.length) {
        data.notifications.forEach((n) => remember(n.id));
        toast(data.notifications.length === 1 ? "You have a new notification." : data.notifications.length + " new notifications.");
      }
    });
    socket.addEventListener("close", (event) => {
      body.dataset.socketState = "closed";
      if (event.code === 4401 || event.code === 4403) return;
      // Exponential backoff with full jitter, capped at 30 s.
      const delay = Math.random() * Math.min(30000, 500 * 2 ** attempt);
      attempt += 1;
      setTimeout(connect, delay);
    });
  }
  connect();
})();
