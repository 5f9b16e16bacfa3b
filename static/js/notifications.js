// Keeps the notification badge and toasts current in every open tab.
// A new notification arrives as a small signal (ids and counts); its text comes from the feed
// over HTTP. On every (re)connect the tab resumes from the last id it saw, and the socket's
// answer carries what was missed with its text; while the socket is down the tab polls the
// feed instead, so nothing is lost when a socket, a server process or the channel layer drops.
(function () {
  "use strict";
  const body = document.body;
  const path = body.dataset.notificationsSocket;
  const feed = body.dataset.notificationsFeed;
  if (!path || !feed) return;
  const STORAGE_KEY = "collaborative:last-notification:" + (body.dataset.notificationsUser || "");
  const POLL_MS = 20000;
  const badge = document.getElementById("notification-badge");
  const toasts = document.getElementById("toasts");
  let attempt = 0;
  let pollTimer = null;
  let fetching = null;

  function stored() {
    try {
      const value = localStorage.getItem(STORAGE_KEY);
      return value === null ? null : parseInt(value, 10) || 0;
    } catch (e) { return null; }
  }
  // This tab's high-water mark starts at what the browser last saw and only moves forward.
  let seen = stored();
  function advance(id) {
    if (seen === null || id > seen) seen = id;
    try {
      if (id > (stored() || 0)) localStorage.setItem(STORAGE_KEY, String(id));
    } catch (e) { /* private mode: the tab's own mark still works */ }
  }

  function showUnread(count) {
    if (!badge || typeof count !== "number") return;
    badge.querySelector("[data-count]").textContent = String(count);
    badge.hidden = !(count > 0);
    body.dataset.unread = String(count);
  }

  function toast(item) {
    if (!toasts) return;
    const box = document.createElement("div");
    box.className = "toast";
    if (item.url) {
      const link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.summary;
      box.appendChild(link);
    } else {
      box.textContent = item.summary;
    }
    toasts.appendChild(box);
    setTimeout(() => box.remove(), 8000);
  }

  function markReadOnPage(ids) {
    for (const id of ids) {
      const row = document.querySelector('[data-notification-id="' + id + '"]');
      if (!row) continue;
      row.classList.remove("notification-unread");
      const tag = row.querySelector("[data-unread-tag]");
      if (tag) tag.remove();
    }
  }

  // Shows what a feed page or a resume answer brought that is newer than ``after``: the
  // count, a toast for up to three unread ones, and moves this tab's mark.
  function take(data, after, silent) {
    showUnread(data.unread);
    const fresh = data.notifications.filter((n) => n.id > after);
    if (!silent) {
      const unread = fresh.filter((n) => !n.read);
      unread.slice(-3).forEach(toast);
      if (unread.length > 3) {
        toast({ summary: (unread.length - 3) + " more new notifications.", url: "" });
      }
    }
    fresh.forEach((n) => advance(n.id));
  }

  // Everything after this tab's mark, with its text; toasts for what is new to this tab.
  // A tab with no mark yet (a new browser, its socket not up) starts from now: it pages to the
  // newest without toasting any of what was already there.
  function catchUp(quiet) {
    if (fetching) return fetching;
    const after = seen || 0;
    const silent = quiet === true || seen === null;
    fetching = fetch(feed + "?after=" + after, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then((response) => {
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.includes("application/json")) return null;
      return response.json();
    }).then((data) => {
      if (!data) return;
      take(data, after, silent);
      if (data.more) { fetching = null; return catchUp(silent); }
    }).catch(() => { /* offline: the next signal or poll tries again */ })
      .finally(() => { fetching = null; });
    return fetching;
  }

  function startPolling() {
    if (pollTimer) return;
    const tick = () => {
      catchUp();
      pollTimer = setTimeout(tick, POLL_MS * (0.75 + Math.random() * 0.5));
    };
    pollTimer = setTimeout(tick, 1000 + Math.random() * 2000);
    body.dataset.notificationsPolling = "on";
  }
  function stopPolling() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
    body.dataset.notificationsPolling = "off";
  }

  // While the socket is open, a slow check still asks the feed every few minutes: should a
  // socket stay open but stop carrying signals (a fault in the channel layer), what arrived is
  // shown minutes later at most, not only after a reload.
  const CHECK_MS = 300000;
  let checkTimer = null;
  function startChecking() {
    if (checkTimer) return;
    const tick = () => {
      catchUp();
      checkTimer = setTimeout(tick, CHECK_MS * (0.75 + Math.random() * 0.5));
    };
    checkTimer = setTimeout(tick, CHECK_MS * (0.75 + Math.random() * 0.5));
  }
  function stopChecking() {
    if (checkTimer) clearTimeout(checkTimer);
    checkTimer = null;
  }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + path);
    socket.addEventListener("open", () => {
      attempt = 0;
      body.dataset.socketState = "open";
      stopPolling();
      startChecking();
    });
    socket.addEventListener("message", (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (typeof data.unread === "number") showUnread(data.unread);
      if (data.type === "hello") {
        if (seen === null) advance(data.latest || 0);  // a new browser: start from now
        // Everything after this tab's mark comes back in the resume answer, including what
        // arrived during the handshake.
        socket.send(JSON.stringify({ type: "resume", after: seen || 0 }));
      } else if (data.type === "notification") {
        if (data.id > (seen || 0)) catchUp();
      } else if (data.type === "resume") {
        // What was missed, with its text; a feed request only for what did not fit.
        if (fetching) return;  // a feed request already on its way brings the same
        take(data, seen || 0, false);
        if (data.more) catchUp();
      } else if (data.type === "resync") {
        // The server lost its channel layer for a while: ask for what may have been missed.
        socket.send(JSON.stringify({ type: "resume", after: seen || 0 }));
      } else if (data.type === "read") {
        markReadOnPage(data.ids || []);
      }
    });
    socket.addEventListener("close", (event) => {
      body.dataset.socketState = "closed";
      stopChecking();
      if (event.code === 4401 || event.code === 4403) return;  // signed out: stop
      startPolling();
      // Exponential backoff with full jitter, capped at 30 s; 4000 asks for a quick return.
      const cap = event.code === 4000 ? 1000 : Math.min(30000, 500 * 2 ** attempt);
      attempt += 1;
      setTimeout(connect, Math.random() * cap);
    });
  }
  connect();
})();
